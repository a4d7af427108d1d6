"""Disbursement on the real broker and PostgreSQL: two instances never overdraw, bank results."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from contracts.applications import ApplicationVerified, SchoolStage
from contracts.envelope import Envelope
from contracts.funds import FundAllocated, FundSource
from contracts.ledger import BankCardCorrected, PaymentFailed, PaymentSettled
from contracts.registry import decode
from contracts.topics import PAYMENTS
from services.audit.verify import verify_lines
from services.reports.outputs import write_ledger
from tests.factories import bank_card
from tests.integration.services import running
from tests.kafka_helpers import as_union, eventually, ledger_chained, publish_events, read_topic


def verified(i: int, amount: int = 200_000) -> ApplicationVerified:
    return ApplicationVerified(application_id=f"app-{i:04d}", org_code="341602", amount_fen=amount,
                               fund_sources=("central",), stage=SchoolStage.PRIMARY, rule_id="r",
                               policy_version="p@1", bank_card=bank_card(i))


def allocation(amount: int, to_org: str = "341602") -> FundAllocated:
    return FundAllocated(allocation_id=str(uuid.uuid4()), fund_source=FundSource.CENTRAL, from_org="340000",
                         to_org=to_org, amount_fen=amount, campaign_year=2023)


async def payment_statuses(db) -> dict[str, int]:
    rows = await db.fetch("SELECT status, count(*) FROM disbursement.payments GROUP BY status")
    return {r["status"]: r["count"] for r in rows}


async def test_two_instances_paying_at_once_never_overdraw_a_fund(settings, db, tmp_path):
    apps = [verified(i) for i in range(60)]  # 60 × 2000 yuan wanted, 50 × 2000 yuan available
    async with running(settings, "disbursement", "disbursement"):
        await publish_events(settings, [(a, as_union(a)) for a in (allocation(10_000_000), *apps)])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM disbursement.payments"), lambda n: n == 60)
        statuses = await eventually(lambda: payment_statuses(db), lambda s: s.get("instructed") == 50)
    assert statuses == {"instructed": 50, "awaiting_funds": 10}
    assert await db.fetchval("SELECT count(*) FROM disbursement.payments WHERE reason = 'insufficient_funds'") == 10
    assert await db.fetchval("SELECT credits_fen - debits_fen FROM disbursement.accounts "
                             "WHERE account = 'fund:central:341602'") == 0
    await ledger_chained(db)
    await write_ledger(db, tmp_path / "ledger.jsonl")
    report = verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines())
    assert report.passed, report.violations
    assert report.entries == 51 and report.grants == 50


async def test_waiting_payments_are_paid_when_money_arrives(settings, db):
    apps = [verified(i) for i in range(3)]
    async with running(settings, "disbursement"):
        await publish_events(settings, [(a, as_union(a)) for a in (allocation(200_000), *apps)])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"instructed": 1, "awaiting_funds": 2})
        top_up = allocation(400_000)
        await publish_events(settings, [(top_up, as_union(top_up))])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"instructed": 3})


async def test_bank_results_settle_or_reverse_into_the_fund(settings, db, tmp_path):
    apps = [verified(1), verified(2)]
    async with running(settings, "disbursement"):
        await publish_events(settings, [(a, as_union(a)) for a in (allocation(1_000_000), *apps)])
        await eventually(lambda: payment_statuses(db), lambda s: s.get("instructed") == 2)
        grants = {r["application_id"]: str(r["grant_transfer_id"])
                  for r in await db.fetch("SELECT * FROM disbursement.payments")}
        settled = PaymentSettled(application_id="app-0001", transfer_id=grants["app-0001"], bank_reference="B1")
        failed = PaymentFailed(application_id="app-0002", transfer_id=grants["app-0002"], reason="account_closed")
        await publish_events(settings, [(settled, as_union(settled)), (failed, as_union(failed))])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"settled": 1, "failed": 1})
        assert await db.fetchval("SELECT credits_fen - debits_fen FROM disbursement.accounts "
                                 "WHERE account = 'fund:central:341602'") == 800_000
        corrected = BankCardCorrected(application_id="app-0002", org_code="341602", bank_card=bank_card(99),
                                      corrected_by_user="staff-341602")
        await publish_events(settings, [(corrected, as_union(corrected))])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"settled": 1, "instructed": 1})
        await ledger_chained(db)
    requests = [decode(Envelope.from_bytes(r.value)) for r in await read_topic(settings, PAYMENTS)
                if b"payment.requested" in r.value]
    assert [r.bank_card for r in requests if r.application_id == "app-0002"] == [bank_card(2), bank_card(99)]
    exported = subprocess.run([str(Path(sys.executable).parent / "jinqiu"), "audit", "export", "--out",
                               str(tmp_path / "ledger.jsonl")], env={**os.environ, "DATABASE_URL": settings.database_url},
                              capture_output=True, text=True)
    assert exported.returncode == 0, exported.stderr
    report = verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines())
    assert report.passed, report.violations
    assert (report.grants, report.reversals) == (3, 1)


async def test_the_ledger_refuses_updates_and_deletes(settings, db):
    async with running(settings, "disbursement"):
        a = allocation(100)
        await publish_events(settings, [(a, as_union(a))])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM disbursement.ledger_entries"), lambda n: n == 1)
    import asyncpg
    import pytest

    for statement in ("UPDATE disbursement.ledger_entries SET amount_fen = 1",
                      "DELETE FROM disbursement.ledger_entries"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute(statement)


async def test_money_for_one_county_pays_only_what_waits_on_its_funds(settings, db):
    here = [verified(i) for i in range(2)]
    elsewhere = ApplicationVerified(application_id="app-other", org_code="341621", amount_fen=200_000,
                                    fund_sources=("central",), stage=SchoolStage.PRIMARY, rule_id="r",
                                    policy_version="p@1", bank_card=bank_card(50))
    async with running(settings, "disbursement"):
        await publish_events(settings, [(a, as_union(a)) for a in (*here, elsewhere)])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"awaiting_funds": 3})
        versions = {r["application_id"]: r["version"] for r in await db.fetch(
            "SELECT application_id, version FROM disbursement.payments")}
        top_up = allocation(400_000)  # to 341602's central fund
        await publish_events(settings, [(top_up, as_union(top_up))])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"instructed": 2, "awaiting_funds": 1})
        untouched = await db.fetchrow("SELECT status, version FROM disbursement.payments WHERE application_id = $1",
                                      "app-other")
    assert (untouched["status"], untouched["version"]) == ("awaiting_funds", versions["app-other"])
