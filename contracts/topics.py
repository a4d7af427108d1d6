"""Topic names, partition counts and message keys: defined once, here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key_doc: str

    def physical(self, namespace: str = "") -> str:
        """The broker-side name: a namespace (empty in production) isolates test runs and tenants."""
        return f"{namespace}{self.name}"


APPLICATIONS = Topic("jinqiu.applications", 8, "student_key (all filings for one student in order)")
HOUSEHOLDS = Topic("jinqiu.households", 8, "household_id (hardship files and authorizations)")
DECISIONS = Topic("jinqiu.decisions", 8, "application_id")
FUNDS = Topic("jinqiu.funds", 1, "allocation or donation id; one partition: fund movements are few and their order matters")
LEDGER = Topic("jinqiu.ledger", 8, "application_id, or the fund account for fund movements")
PAYMENTS = Topic("jinqiu.payments", 8, "application_id (bank results)")
EMPLOYMENT = Topic("jinqiu.employment", 8, "graduate_id")
REVIEWS = Topic("jinqiu.reviews", 8, "application_id (manual review decisions, objections)")
CLOCK = Topic("jinqiu.clock", 1, "clock name; campaign time as events")
DEAD_LETTER = Topic("jinqiu.deadletter", 4, "the original key; value is the original bytes")

ALL_TOPICS = (APPLICATIONS, HOUSEHOLDS, DECISIONS, REVIEWS, CLOCK, FUNDS, LEDGER, PAYMENTS, EMPLOYMENT, DEAD_LETTER)

DEAD_LETTER_REASON_HEADER = "x-jinqiu-dlq-reason"
DEAD_LETTER_SOURCE_HEADER = "x-jinqiu-dlq-source"
