"""Verification on the real broker and PostgreSQL: decisions, idempotency, crash recovery, poison."""

import asyncio
import datetime as dt
from types import SimpleNamespace

from faststream.kafka.message import KafkaAckableMessage

from contracts.applications import ApplicationInNotice, ApplicationVerified
from contracts.envelope import Envelope
from contracts.households import (
    HardshipFileOpened,
    HardshipKind,
    HouseholdCheckAuthorizationRevoked,
    HouseholdCheckAuthorizationSigned,
    HouseholdCheckCompleted,
    WarmthVisitRecorded,
)
from contracts.registry import decode
from contracts.reviews import ClockTicked
from contracts.topics import APPLICATIONS, DEAD_LETTER, DEAD_LETTER_REASON_HEADER, DECISIONS
from services.shared import consumer, inbox
from tests.factories import application
from tests.integration.services import running
from tests.kafka_helpers import as_union, eventually, publish, publish_events, read_topic


def registry_for(*apps, signed: bool = True, signed_by_union: bool = True):
    """Open hardship files (and signed 附件5 authorizations) for the applicants' households."""
    events = []
    for app in apps:
        events.append(HardshipFileOpened(household_id=app.household_id, org_code=app.org_code,
                                         kind=HardshipKind.WORKER, worker_id_number=app.worker.id_number,
                                         opened_on=dt.date(2022, 5, 1)))
        if signed:
            events.append(HouseholdCheckAuthorizationSigned(household_id=app.household_id, org_code=app.org_code,
                                                            signed_on=dt.date(2023, 7, 20),
                                                            signatory_id_numbers=(app.worker.id_number,)))
    return [(e, as_union(e, signed=signed_by_union)) for e in events]


def tick(day: int):
    event = ClockTicked(today=dt.date(2023, 8, day))
    return [(event, as_union(event))]  # as the scheduler


async def decisions(db) -> dict[str, str]:
    return {r["application_id"]: r["decision"] for r in await db.fetch("SELECT * FROM verification.decisions")}


async def reviews(db) -> dict[str, str]:
    return {r["application_id"]: r["status"] for r in await db.fetch("SELECT * FROM verification.reviews")}


async def test_approves_a_registered_family_and_rejects_the_others(settings, db):
    ok, unsigned, unknown = application(1), application(2), application(3)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(ok) + registry_for(unsigned, signed=False) + tick(21))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.clock"), lambda n: n == 1)
        await publish_events(settings, [(a, as_union(a)) for a in (ok, unsigned, unknown)])
        in_review = await eventually(lambda: reviews(db), lambda r: len(r) == 3)
        assert in_review[ok.application_id] == "in_notice" and ok.application_id not in await decisions(db)
        await publish_events(settings, tick(27))
        result = await eventually(lambda: decisions(db), lambda d: len(d) == 3)
    assert result == {ok.application_id: "approved", unsigned.application_id: "rejected",
                      unknown.application_id: "rejected"}
    reasons = await db.fetchval("SELECT reasons FROM verification.decisions WHERE application_id = $1",
                                unknown.application_id)
    assert reasons == ["authorization_missing", "no_hardship_file"]
    published = [decode(Envelope.from_bytes(r.value)) for r in await read_topic(settings, DECISIONS)]
    approved = [e for e in published if isinstance(e, ApplicationVerified)]
    assert [e.application_id for e in approved] == [ok.application_id]
    assert approved[0].amount_fen == 150_000 and approved[0].rule_id == "ah2023.archived.basic_education"
    notices = [e for e in published if isinstance(e, ApplicationInNotice)]
    assert [(n.starts_on, n.ends_on) for n in notices] == [(dt.date(2023, 8, 21), dt.date(2023, 8, 25))]


async def test_the_same_event_twice_changes_nothing_more(settings, db):
    first = application(1)
    sentinel = application(99, student=first.student.model_dump(include={"id_number"}))  # same key, later
    assert sentinel.key == first.key
    envelope = as_union(first)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(first, sentinel))
        await publish_events(settings, [(first, envelope), (first, envelope), (sentinel, as_union(sentinel))])
        await eventually(lambda: reviews(db), lambda d: sentinel.application_id in d)
    assert len(await reviews(db)) == 2
    stream = await db.fetch("SELECT type FROM verification.events WHERE stream_id = $1 ORDER BY version",
                            f"review-{first.application_id}")  # filed, then decided: once each
    assert [r["type"].removeprefix("cn.jinqiu.").rsplit(".v", 1)[0] for r in stream] in (
        ["application.submitted", "application.rejected"],  # the registry came later than the filing
        ["application.submitted", "entitlement.assessed", "application.in_notice"])
    published = [decode(Envelope.from_bytes(r.value)) for r in await read_topic(settings, DECISIONS)]
    assert sorted(e.application_id for e in published) == sorted([first.application_id, sentinel.application_id])


async def test_a_crash_between_db_commit_and_offset_commit_duplicates_nothing(settings, db, monkeypatch):
    apps = [application(i) for i in range(1, 21)]
    late = application(100)

    async def lost_commit(self):  # the process dies after the DB commit, before the offset commit
        return None

    monkeypatch.setattr(KafkaAckableMessage, "ack", lost_commit)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(*apps, late))
        await publish_events(settings, [(a, as_union(a)) for a in apps])
        await eventually(lambda: reviews(db), lambda d: len(d) == 20)
    monkeypatch.undo()
    redelivered = []

    async def counting_claim(conn, event_ids):
        first_time = await inbox.claim_many(conn, event_ids)
        redelivered.extend(i for i in event_ids if i not in first_time)
        return first_time

    monkeypatch.setattr(consumer, "inbox", SimpleNamespace(claim_many=counting_claim))
    async with running(settings, "verification"):  # restarts from the last committed offset: none
        await publish_events(settings, [(late, as_union(late))])
        await eventually(lambda: reviews(db), lambda d: late.application_id in d)
        await eventually(lambda: asyncio.sleep(0, len(redelivered)), lambda n: n == 20 + 42)
    assert len(await reviews(db)) == 21
    assert await db.fetchval("SELECT count(DISTINCT stream_id) FROM verification.events") == 21
    assert await db.fetchval("SELECT count(*) FROM verification.events WHERE type LIKE '%application.submitted%'") == 21
    published = [Envelope.from_bytes(r.value) for r in await read_topic(settings, DECISIONS)]
    assert len(published) == len({e.id for e in published}) == 21


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_rest_goes_on(settings, db):
    good = application(1)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(good))
        await publish(settings, [(APPLICATIONS, good.key, b"{not json"),
                                 (APPLICATIONS, good.key, as_union(good).to_bytes())])
        await eventually(lambda: reviews(db), lambda d: good.application_id in d)
        dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) == 1)
    assert dead[0].value == b"{not json"
    reason = dict(dead[0].headers)[DEAD_LETTER_REASON_HEADER].decode()
    assert reason.startswith("undecodable")


async def test_registry_events_from_any_union_level_shape_the_review(settings, db):
    revoked, failed_check, visited = application(1), application(2), application(3, category="warmth_visited",
                                                                             student={"stage": "undergraduate"})
    city = "341600"
    registry = registry_for(revoked, failed_check) + [
        (e, as_union(e, city)) for e in (
            HouseholdCheckAuthorizationRevoked(household_id=revoked.household_id, org_code="341602",
                                               revoked_on=dt.date(2023, 8, 1)),
            HouseholdCheckCompleted(household_id=failed_check.household_id, org_code="341602",
                                    checked_on=dt.date(2023, 8, 2), passed=False),
            WarmthVisitRecorded(household_id=visited.household_id, org_code="341602", visited_on=dt.date(2023, 1, 20),
                                worker_id_number=visited.worker.id_number),
            HouseholdCheckAuthorizationSigned(household_id=visited.household_id, org_code="341602",
                                              signed_on=dt.date(2023, 7, 1),
                                              signatory_id_numbers=(visited.worker.id_number,)),
        )]
    async with running(settings, "verification"):
        await publish_events(settings, registry)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.warmth_visits"), lambda n: n == 1)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations "
                                             "WHERE revoked_on IS NOT NULL"), lambda n: n == 1)
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.household_checks"), lambda n: n == 1)
        await publish_events(settings, [(a, as_union(a)) for a in (revoked, failed_check, visited)])
        found = await eventually(lambda: reviews(db), lambda r: len(r) == 3)
    reasons = {r["application_id"]: r["reasons"] for r in await db.fetch("SELECT * FROM verification.decisions")}
    assert reasons == {revoked.application_id: ["authorization_missing"],
                       failed_check.application_id: ["household_check_failed"]}
    assert found[visited.application_id] == "in_notice"
