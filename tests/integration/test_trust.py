"""Trust at every door, on the real broker and PostgreSQL: replays change nothing, forged or
unauthorised events are dead letters that move no money and no clock, and the broker itself
refuses a principal writing a topic that is not its own."""

import datetime as dt
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts.funds import FundAllocated, FundSource
from contracts.reviews import ClockTicked
from contracts.signing import sign
from contracts.topics import DEAD_LETTER, DEAD_LETTER_REASON_HEADER, DECISIONS
from services.shared.kafka import client_options
from tests.factories import TEST_KEYS
from tests.integration.services import running
from tests.integration.test_disbursement import allocation, payment_statuses, verified
from tests.kafka_helpers import as_union, eventually, publish_events, read_topic


async def dead_letter_reasons(settings, count: int) -> list[str]:
    dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) >= count)
    return sorted(dict(r.headers)[DEAD_LETTER_REASON_HEADER].decode().split(":")[0] for r in dead)


async def fund_balance(db, account: str) -> int | None:
    return await db.fetchval("SELECT credits_fen - debits_fen FROM disbursement.accounts WHERE account = $1", account)


async def ledger_size(db) -> int:
    return await db.fetchval("SELECT count(*) FROM disbursement.ledger_entries")


async def test_the_same_allocation_published_fifty_times_is_credited_once(settings, db):
    grant = allocation(100_000)
    sentinel = allocation(1)
    retries = [(grant, as_union(grant)) for _ in range(50)]  # 50 event ids, one allocation id
    async with running(settings, "disbursement"):
        await publish_events(settings, [*retries, (sentinel, as_union(sentinel))])
        await eventually(lambda: ledger_size(db), lambda n: n == 2)
    assert await fund_balance(db, "fund:central:341602") == 100_001


async def test_an_allocation_id_reused_for_another_amount_is_refused(settings, db):
    grant = allocation(100_000)
    changed = grant.model_copy(update={"amount_fen": 900_000})
    async with running(settings, "disbursement"):
        await publish_events(settings, [(grant, as_union(grant)), (changed, as_union(changed))])
        assert await dead_letter_reasons(settings, 1) == ["business_id_reused"]
    assert await fund_balance(db, "fund:central:341602") == 100_000


@pytest.mark.parametrize("source", [FundSource.CENTRAL, FundSource.PROVINCIAL])
async def test_a_county_cannot_bring_in_provincial_or_central_money(settings, db, source):
    minted = FundAllocated(allocation_id=str(uuid.uuid4()), fund_source=source, from_org="341622",
                           to_org="341622", amount_fen=777_700, campaign_year=2023)
    own = FundAllocated(allocation_id=str(uuid.uuid4()), fund_source=FundSource.LOCAL, from_org="341622",
                        to_org="341622", amount_fen=50_000, campaign_year=2023)
    async with running(settings, "disbursement"):
        await publish_events(settings, [(minted, as_union(minted)), (own, as_union(own))])
        assert await dead_letter_reasons(settings, 1) == ["budget_not_held"]
        await eventually(lambda: ledger_size(db), lambda n: n == 1)
    assert await fund_balance(db, f"fund:{source.value}:341622") is None
    assert await fund_balance(db, "fund:local:341622") == 50_000


async def test_forged_or_unauthorised_approvals_pay_nothing(settings, db):
    paid, never_filed = verified(1), verified(2)
    money = allocation(10_000_000)
    async with running(settings, "disbursement"):
        await publish_events(settings, [(money, as_union(money)), (paid, as_union(paid))])
        await eventually(lambda: payment_statuses(db), lambda s: s == {"instructed": 1})
        await publish_events(settings, [
            (paid, paid.to_envelope(source="/jinqiu/verification")),  # unsigned copy, new event id
            (paid, as_union(paid, "341602")),  # signed by a union: not a producer of decisions
            (never_filed, sign(never_filed.to_envelope(source="/jinqiu/verification"), "verification",
                               TEST_KEYS["intake"])),  # claims verification, signed with another key
            (paid, as_union(paid)),  # verification's own signature, replayed under a new id
        ])
        reasons = await dead_letter_reasons(settings, 4)
    assert reasons == ["already_approved_for_payment", "producer_not_allowed", "signature_invalid",
                       "signature_invalid"]
    assert await payment_statuses(db) == {"instructed": 1}
    assert await db.fetchval("SELECT count(*) FROM disbursement.ledger_entries WHERE kind = 'grant'") == 1


async def clock(db) -> dt.date | None:
    return await db.fetchval("SELECT today FROM verification.clock WHERE name = 'campaign'")


async def test_the_clock_moves_only_for_the_scheduler_and_only_so_far(settings, db):
    start, doom = ClockTicked(today=dt.date(2023, 8, 1)), ClockTicked(today=dt.date(2099, 1, 1))
    async with running(settings, "verification"):
        await publish_events(settings, [(start, as_union(start))])
        await eventually(lambda: clock(db), lambda today: today == dt.date(2023, 8, 1))
        await publish_events(settings, [
            (doom, doom.to_envelope(source="/jinqiu/scheduler")),  # unsigned
            (doom, as_union(doom, "340000")),  # the province is not the scheduler
            (doom, as_union(doom)),  # the scheduler, but far beyond the bound
        ])
        reasons = await dead_letter_reasons(settings, 3)
    assert reasons == ["clock_jump_too_large", "producer_not_allowed", "signature_invalid"]
    assert await clock(db) == dt.date(2023, 8, 1)


async def test_the_broker_refuses_a_principal_writing_another_principals_topic(settings, endpoints):
    if not endpoints.kafka_credentials:
        pytest.skip("this broker has no authentication (the Tansu fallback)")
    decision = verified(1)
    union = AIOKafkaProducer(**client_options(settings, "union"), acks="all")
    await union.start()
    try:
        with pytest.raises(KafkaError, match="TopicAuthorizationFailed"):
            await union.send_and_wait(DECISIONS.physical(settings.namespace), as_union(decision).to_bytes())
    finally:
        await union.stop()
    impostor = AIOKafkaProducer(**{**client_options(settings, "verification"), "sasl_plain_password": "guess"})
    with pytest.raises(KafkaError):
        await impostor.start()
    await impostor.stop()
