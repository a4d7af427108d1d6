"""Corrections after a decision, on the real broker and PostgreSQL: an appeal against a rejection
reviews the application again; an upheld complaint revokes a grant, with a correcting ledger
entry when it was already paid; each decided by someone other than the filer, with history."""

import contextlib
import datetime as dt
import json

from contracts.households import HouseholdCheckAuthorizationSigned
from contracts.ledger import PaymentFailed, PaymentSettled
from services.audit.verify import verify_lines
from services.reports.outputs import write_ledger
from tests.factories import application, auth
from tests.integration.services import running
from tests.integration.test_authority_and_review import client_for
from tests.integration.test_disbursement import allocation, payment_statuses
from tests.integration.test_verification import registry_for, reviews, tick
from tests.kafka_helpers import as_union, eventually, ledger_chained, publish_events

COUNTY, CITY = auth("341602"), auth("341600")


async def status(client, app) -> dict:
    return (await client.get(f"/v1/applications/{app.application_id}", headers=CITY)).json()


async def test_an_upheld_appeal_reviews_again_and_an_upheld_complaint_revokes_the_grant(settings, db, tmp_path):
    unsigned, paid, at_bank = application(1), application(2), application(3)
    async with running_all(settings) as client:
        await publish_events(settings, registry_for(unsigned, signed=False) + registry_for(paid, at_bank) + tick(21)
                             + [(a, as_union(a)) for a in [allocation(10_000_000)]])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.clock"), lambda n: n == 1)
        await publish_events(settings, [(a, as_union(a)) for a in (unsigned, paid, at_bank)])
        await eventually(lambda: reviews(db), lambda r: r.get(unsigned.application_id) == "rejected")
        await eventually(lambda: status(client, unsigned), lambda v: v["status"] == "rejected")

        on_notice = await client.post(f"/v1/applications/{paid.application_id}/appeals",
                                      json={"grounds": "x"}, headers=COUNTY)
        assert on_notice.status_code == 409 and on_notice.json()["errors"][0]["code"] == "wrong_state"
        appeal = await client.post(f"/v1/applications/{unsigned.application_id}/appeals",
                                   json={"grounds": "配偶已补签附件5"}, headers=COUNTY)
        assert appeal.status_code == 201
        await eventually(lambda: status(client, unsigned), lambda v: v["status"] == "appealed")
        by_filer = await client.post(f"/v1/applications/{unsigned.application_id}/appeals/{appeal.json()['id']}/decision",
                                     json={"ruling": "upheld"}, headers=COUNTY)
        assert by_filer.status_code == 403 and by_filer.json()["errors"][0]["code"] == "filer_cannot_decide"
        signed = HouseholdCheckAuthorizationSigned(household_id=unsigned.household_id, org_code=unsigned.org_code,
                                                   signed_on=dt.date(2023, 8, 21),
                                                   signatory_id_numbers=(unsigned.worker.id_number,))
        await publish_events(settings, [(signed, as_union(signed))])
        await eventually(lambda: db.fetchval("SELECT count(*) FROM verification.authorizations"), lambda n: n == 3)
        upheld = await client.post(f"/v1/applications/{unsigned.application_id}/appeals/{appeal.json()['id']}/decision",
                                   json={"ruling": "upheld", "note": "材料已补齐"}, headers=CITY)
        assert upheld.status_code == 201
        again = await eventually(lambda: status(client, unsigned), lambda v: v["status"] == "in_notice")
        assert again["attempt"] == 2

        await publish_events(settings, tick(30))
        await eventually(lambda: payment_statuses(db), lambda s: s == {"instructed": 3})
        grants = {r["application_id"]: str(r["grant_transfer_id"])
                  for r in await db.fetch("SELECT * FROM disbursement.payments")}
        settled = PaymentSettled(application_id=paid.application_id, transfer_id=grants[paid.application_id],
                                 bank_reference="B1")
        await publish_events(settings, [(settled, as_union(settled))])
        await eventually(lambda: status(client, paid), lambda v: v["status"] == "settled")

        complaints = {}
        for app in (paid, at_bank):
            filed = await client.post(f"/v1/applications/{app.application_id}/complaints",
                                      json={"summary": "家庭经济状况并不困难"}, headers=COUNTY)
            assert filed.status_code == 201, filed.json()
            complaints[app.application_id] = filed.json()["id"]
            await eventually(lambda app=app: status(client, app), lambda v: v["open_complaints"] == 1)
        second = await client.post(f"/v1/applications/{paid.application_id}/complaints",
                                   json={"summary": "again"}, headers=COUNTY)
        assert second.status_code == 409 and second.json()["errors"][0]["code"] == "complaint_open"
        queue = await client.get("/v1/review-queue", headers=CITY)
        assert {paid.application_id, at_bank.application_id} <= {i["application_id"] for i in queue.json()["items"]}
        for app in (paid, at_bank):
            decided = await client.post(
                f"/v1/applications/{app.application_id}/complaints/{complaints[app.application_id]}/decision",
                json={"ruling": "upheld", "note": "经核实属实"}, headers=CITY)
            assert decided.status_code == 201
        await eventually(lambda: status(client, paid), lambda v: v["status"] == "revoked")
        await eventually(lambda: db.fetchval("SELECT revoke_pending FROM disbursement.payments "
                                             "WHERE application_id = $1", at_bank.application_id), bool)
        refused = PaymentFailed(application_id=at_bank.application_id, transfer_id=grants[at_bank.application_id],
                                reason="account_closed")
        await publish_events(settings, [(refused, as_union(refused))])
        final = await eventually(lambda: payment_statuses(db), lambda s: s == {"revoked": 2, "instructed": 1})
        history = [h.get("event") for h in (await status(client, unsigned))["history"]]

        # the money owed back is repaid, in two parts, never beyond the debt, into the fund that paid
        owed = (await status(client, paid))["amount_fen"]
        repay = f"/v1/applications/{paid.application_id}/repayments"
        too_much = await client.post(repay, json={"amount_fen": owed + 1, "bank_reference": "R0"}, headers=COUNTY)
        assert too_much.status_code == 409 and too_much.json()["errors"][0]["code"] == "repayment_exceeds_debt"
        not_owed = await client.post(f"/v1/applications/{at_bank.application_id}/repayments",
                                     json={"amount_fen": 1, "bank_reference": "R0"}, headers=COUNTY)
        assert not_owed.status_code == 409  # refused by the bank, reversed: nothing is owed
        first = await client.post(repay, json={"amount_fen": owed // 2, "bank_reference": "R1"}, headers=COUNTY)
        assert first.status_code == 201
        await eventually(lambda: status(client, paid), lambda v: any(h.get("event") == "grant_repaid"
                                                                     for h in v["history"]))
        rest = await client.post(repay, json={"amount_fen": owed - owed // 2, "bank_reference": "R2"}, headers=COUNTY)
        assert rest.status_code == 201
        await eventually(lambda: db.fetchval("SELECT credits_fen - debits_fen FROM disbursement.accounts "
                                             "WHERE account = $1", f"clawback:{paid.application_id}"), lambda b: b == 0)
    assert final == {"revoked": 2, "instructed": 1}
    assert history.count("appeal_filed") == history.count("appeal_decided") == 1
    balances = {r["account"]: r["balance"] for r in await db.fetch(
        "SELECT account, credits_fen - debits_fen AS balance FROM disbursement.accounts")}
    amount = (await db.fetchval("SELECT amount_fen FROM disbursement.payments WHERE application_id = $1",
                                paid.application_id))
    assert balances[f"clawback:{paid.application_id}"] == 0  # owed back, then repaid into the fund
    assert balances[f"recipient:{at_bank.application_id}"] == 0  # reversed into the fund, not re-issued
    await ledger_chained(db)
    await write_ledger(db, tmp_path / "ledger.jsonl")
    report = verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines())
    assert report.passed, report.violations
    assert (report.grants, report.reversals) == (3, 2)
    repayments = [json.loads(line)["data"] for line in (tmp_path / "ledger.jsonl").read_text().splitlines()
                  if '"repayment"' in line]
    assert [r["amount_fen"] for r in repayments] == [amount // 2, amount - amount // 2]
    assert {r["credit_account"] for r in repayments} == {"fund:central:341602"}


@contextlib.asynccontextmanager
async def running_all(settings):
    """Intake, verification and disbursement, and an HTTP client of intake."""
    async with running(settings, "intake", "verification", "disbursement") as (intake, _, _), \
            client_for(intake) as client:
        yield client
