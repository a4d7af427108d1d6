"""Intake's HTTP API and the employment projection, on the real broker and PostgreSQL."""

import datetime as dt

import httpx

from contracts.applications import ApplicationSubmitted
from contracts.employment import EmploymentProgressRecorded, EmploymentStage
from contracts.envelope import Envelope
from contracts.registry import decode
from contracts.topics import APPLICATIONS, DEAD_LETTER, DEAD_LETTER_REASON_HEADER
from services.intake.answers import ErrorList
from services.intake.api import create_api
from tests.factories import application, auth, form
from tests.integration.services import running
from tests.kafka_helpers import as_union, eventually, publish_events, read_topic


async def test_filing_over_http_is_validated_idempotent_and_emitted(settings):
    async with running(settings, "intake") as (intake,):
        api = create_api(lambda: intake.pool, intake.authority)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://intake",
                                     headers=auth("341602")) as client:
            first = await client.post("/v1/applications", json=form(1), headers={"x-correlation-id": "corr-1"})
            again = await client.post("/v1/applications", json=form(1))
            bad = await client.post("/v1/applications", json=form(2, bank_card="6228480000000000001"))
            view = await client.get(f"/v1/applications/{first.json()['application_id']}")
            missing = await client.get("/v1/applications/nope")
            stranger = await client.post("/v1/applications", json=form(3), headers={"Authorization": "Bearer wrong"})
            spec = await client.get("/openapi.json")
        records = await eventually(lambda: read_topic(settings, APPLICATIONS, idle=0.5), lambda r: len(r) == 1)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["application_id"] == again.json()["application_id"]
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["code"] == "invalid_bank_card" and "银行卡" in bad.json()["errors"][0]["message"]
    assert view.json()["status"] == "submitted"
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "application_not_found"
    paths = spec.json()["paths"]
    # the OpenAPI document tells the truth: each refusal is an ErrorList under a status documented
    # for its route as one, and the token is the bearer scheme
    for refusal, method, path in [(bad, "post", "/v1/applications"), (stranger, "post", "/v1/applications"),
                                  (missing, "get", "/v1/applications/{application_id}")]:
        documented = paths[path][method]["responses"][str(refusal.status_code)]
        assert documented["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorList"
        assert ErrorList.model_validate(refusal.json()).errors
    assert stranger.status_code == 401 and stranger.json()["errors"][0]["code"] == "unauthenticated"
    assert spec.json()["components"]["securitySchemes"]["api_token"]["scheme"] == "bearer"
    assert paths["/v1/applications"]["post"]["security"] == [{"api_token": []}]
    envelope = Envelope.from_bytes(records[0].value)
    assert envelope.correlationid == "corr-1" and envelope.orgcode == "341602"
    assert isinstance(decode(envelope), ApplicationSubmitted)


async def test_graduates_are_registered_and_their_progress_projected(settings, db):
    graduate = application(1, student={"stage": "undergraduate", "graduation_year": 2024})
    pupil = application(2)
    async with running(settings, "employment"):
        await publish_events(settings, [(a, as_union(a)) for a in (graduate, pupil)])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM employment.graduates"), lambda n: n == 1)
        progress = [EmploymentProgressRecorded(graduate_id=graduate.student_key, org_code="341600", stage=stage,
                                               recorded_on=dt.date(2024, 6, day), employer=employer)
                    for stage, day, employer in [(EmploymentStage.CONTRACT, 10, None),
                                                 (EmploymentStage.EMPLOYED, 20, "亳州某企业"),
                                                 (EmploymentStage.INTERVIEW, 5, None)]]
        from_shaanxi = progress[1].model_copy(update={"org_code": "610200", "employer": "西安某公司"})
        await publish_events(settings, [(from_shaanxi, as_union(from_shaanxi, "610200"))])  # signed, but off the line
        dead = await eventually(lambda: read_topic(settings, DEAD_LETTER, idle=0.5), lambda r: len(r) == 1)
        await publish_events(settings, [(p, as_union(p, "341600")) for p in progress])
        row = await eventually(lambda: db.fetchrow("SELECT * FROM employment.graduates"),
                               lambda r: len(r["history"]) == 3)
    assert dict(dead[0].headers)[DEAD_LETTER_REASON_HEADER].decode().startswith("org_out_of_scope")
    assert row["status"] == "employed" and row["employer"] == "亳州某企业"
    assert all(h["by"] == "341600" for h in row["history"])
    assert row["origin_org"] == "341602" and row["graduation_year"] == 2024


async def test_a_refused_grant_arriving_late_is_not_taken_for_its_reissue(settings, db):
    """The ledger entry of a grant and the bank's refusal of it travel on different topics: when
    the refusal is followed first, the grant's own entry must not read as 已重新发放; the grant
    posted again after the card was corrected does."""
    from contracts.ledger import LedgerTransferPosted, PaymentFailed, TransferKind

    app = application(5)

    def grant(transfer: str, sequence: int) -> LedgerTransferPosted:
        return LedgerTransferPosted(sequence=sequence, transfer_id=transfer, debit_account="fund:central:341602",
                                    credit_account=f"recipient:{app.application_id}", amount_fen=150_000,
                                    application_id=app.application_id, kind=TransferKind.GRANT, reverses=None,
                                    prev_hash="0" * 64, hash=f"{sequence:064d}")

    refused = PaymentFailed(application_id=app.application_id, transfer_id="t-1", reason="account_closed")
    async with running(settings, "intake"):
        await publish_events(settings, [(app, as_union(app))])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.applications"), lambda n: n == 1)
        await publish_events(settings, [(refused, as_union(refused))])
        status = "SELECT status FROM intake.applications"
        await eventually(lambda: db.fetchval(status), lambda s: s == "payment_failed")
        await publish_events(settings, [(grant("t-1", 1), as_union(grant("t-1", 1)))])  # late: the refused one
        await eventually(lambda: db.fetchval("SELECT count(*) FROM intake.ledger_view"), lambda n: n == 1)
        after_late_entry = await db.fetchval(status)
        await publish_events(settings, [(grant("t-2", 2), as_union(grant("t-2", 2)))])  # issued again
        reissued = await eventually(lambda: db.fetchval(status), lambda s: s == "reissued")
    assert after_late_entry == "payment_failed" and reissued == "reissued"
