"""Verification on the real broker and PostgreSQL: decisions, idempotency, crash recovery, poison."""

import asyncio
import datetime as dt
from types import SimpleNamespace

from faststream.kafka.message import KafkaAckableMessage

from contracts.applications import ApplicationVerified
from contracts.envelope import Envelope
from contracts.households import HardshipFileOpened, HardshipKind, HouseholdCheckAuthorizationSigned
from contracts.registry import decode
from contracts.topics import APPLICATIONS, DEAD_LETTER, DEAD_LETTER_REASON_HEADER, DECISIONS
from services.shared import consumer, inbox
from tests.factories import application, id_number
from tests.integration.services import running
from tests.kafka_helpers import as_union, eventually, publish, publish_events, read_topic


def registry_for(*households: str, signed: bool = True):
    events = []
    for hh in households:
        events.append(HardshipFileOpened(household_id=hh, org_code="341602", kind=HardshipKind.WORKER,
                                         worker_id_number=id_number("342126", "19780101"), opened_on=dt.date(2022, 5, 1)))
        if signed:
            events.append(HouseholdCheckAuthorizationSigned(household_id=hh, org_code="341602",
                                                            signed_on=dt.date(2023, 7, 20),
                                                            signatory_id_numbers=(id_number("342126", "19780101"),)))
    return [(e, as_union(e)) for e in events]


async def decisions(db) -> dict[str, str]:
    return {r["application_id"]: r["decision"] for r in await db.fetch("SELECT * FROM verification.decisions")}


async def test_approves_a_registered_family_and_rejects_the_others(settings, db):
    ok, unsigned, unknown = application(1), application(2), application(3)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for("hh-1") + registry_for("hh-2", signed=False))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.hardship_files"), lambda n: n == 2)
        await publish_events(settings, [(a, as_union(a)) for a in (ok, unsigned, unknown)])
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


async def test_the_same_event_twice_changes_nothing_more(settings, db):
    first = application(1)
    sentinel = application(99, student=first.student.model_dump(include={"id_number"}))  # same key, later
    assert sentinel.key == first.key
    envelope = as_union(first)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for("hh-1", "hh-99"))
        await publish_events(settings, [(first, envelope), (first, envelope), (sentinel, as_union(sentinel))])
        await eventually(lambda: decisions(db), lambda d: sentinel.application_id in d)
    assert len(await decisions(db)) == 2
    assert await db.fetchval("SELECT count(*) FROM verification.events WHERE stream_id = $1",
                             f"review-{first.application_id}") == 1
    published = [decode(Envelope.from_bytes(r.value)) for r in await read_topic(settings, DECISIONS)]
    assert sorted(e.application_id for e in published) == sorted([first.application_id, sentinel.application_id])


async def test_a_crash_between_db_commit_and_offset_commit_duplicates_nothing(settings, db, monkeypatch):
    apps = [application(i) for i in range(1, 21)]
    households = [a.household_id for a in apps] + ["hh-100"]

    async def lost_commit(self):  # the process dies after the DB commit, before the offset commit
        return None

    monkeypatch.setattr(KafkaAckableMessage, "ack", lost_commit)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for(*households))
        await publish_events(settings, [(a, as_union(a)) for a in apps])
        await eventually(lambda: decisions(db), lambda d: len(d) == 20)
    monkeypatch.undo()
    redelivered = []

    async def counting_claim(conn, event_id):
        first_time = await inbox.claim(conn, event_id)
        if not first_time:
            redelivered.append(event_id)
        return first_time

    monkeypatch.setattr(consumer, "inbox", SimpleNamespace(claim=counting_claim))
    late = application(100)
    async with running(settings, "verification"):  # restarts from the last committed offset: none
        await publish_events(settings, [(late, as_union(late))])
        await eventually(lambda: decisions(db), lambda d: late.application_id in d)
        await eventually(lambda: asyncio.sleep(0, len(redelivered)), lambda n: n == 20 + 42)
    assert len(await decisions(db)) == 21
    assert await db.fetchval("SELECT count(*) FROM verification.events") == 21
    published = [Envelope.from_bytes(r.value) for r in await read_topic(settings, DECISIONS)]
    assert len(published) == len({e.id for e in published}) == 21


async def test_a_poison_message_goes_to_the_dead_letter_topic_and_the_rest_goes_on(settings, db):
    good = application(1)
    async with running(settings, "verification"):
        await publish_events(settings, registry_for("hh-1"))
        await publish(settings, [(APPLICATIONS, good.key, b"{not json"),
                                 (APPLICATIONS, good.key, as_union(good).to_bytes())])
        await eventually(lambda: decisions(db), lambda d: good.application_id in d)
        dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) == 1)
    assert dead[0].value == b"{not json"
    reason = dict(dead[0].headers)[DEAD_LETTER_REASON_HEADER].decode()
    assert reason.startswith("undecodable")
