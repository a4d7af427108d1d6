"""The auditor decides every grant again from its decision's inputs and the policy version it
names: a grant larger than its rule allows, a second aid to one student in a year, a donation
paying outside its intent, or a grant with no approval behind it each fail the audit."""

from services.audit.rederive import Intent
from services.audit.verify import Evidence, verify_lines
from services.shared.policy import load_book
from tests.unit.test_audit_verify import ALLOC, grant, ledger

POLICY = load_book("anhui-2023").find("341602", 2023)
DONATION = ("donor:d1", "fund:donation:d1", 500_000, "donation", None, None)


def approval(app: str, amount: int, student: str = "s-1", program: str = "enrolment_aid", invoice: int = 200_000,
             sources=("central", "donation")) -> dict:
    inputs = {"student_key": student, "campaign_year": 2023, "category": "archived_family", "program": program,
              "stage": "primary", "school_tier": None, "new_entrant": False, "tuition_invoice_fen": invoice,
              "authorization_signed": True, "authorization_complete": True}
    return {"type": "cn.jinqiu.application.verified.v2",
            "data": {"application_id": app, "org_code": "341602", "amount_fen": amount, "fund_sources": list(sources),
                     "stage": "primary", "rule_id": "ah2023.archived.basic_education",
                     "policy_version": POLICY.version, "bank_card": "x", "inputs": inputs}}


def audit(transfers, approvals, intents=None) -> list[str]:
    from services.audit.rederive import approvals as by_application

    evidence = Evidence(by_application(approvals), {POLICY.version: POLICY}, intents or {})
    return verify_lines(ledger(*transfers), evidence).violations


def test_grants_that_their_rules_allow_pass():
    assert audit([ALLOC, grant("a1", 150_000)], [approval("a1", 150_000, invoice=150_000)]) == []


def test_a_grant_larger_than_its_rule_allows_fails():
    violations = audit([ALLOC, grant("a1", 200_000)], [approval("a1", 200_000, invoice=120_000)])
    assert any("larger than its rule allows" in v for v in violations)


def test_a_grant_without_an_approval_or_for_another_amount_fails():
    assert any("without an approval" in v for v in audit([ALLOC, grant("a1")], []))
    assert any("approved 100000" in v for v in audit([ALLOC, grant("a1", 200_000)], [approval("a1", 100_000)]))


def test_a_second_aid_to_one_student_in_a_year_fails_across_exclusive_programs():
    approvals = [approval("a1", 100_000, invoice=100_000), approval("a2", 100_000, invoice=100_000, program="dream_plan")]
    violations = audit([ALLOC, grant("a1", 100_000), grant("a2", 100_000)], approvals)
    assert any("aided 2 times" in v for v in violations)


def test_a_donation_pays_only_whom_its_donor_allowed():
    paid = [DONATION, grant("a1", 150_000, fund="fund:donation:d1")]
    allowed = {"fund:donation:d1": Intent(("341602",), ("primary",), 200_000)}
    elsewhere = {"fund:donation:d1": Intent(("341623",), (), None)}
    assert audit(paid, [approval("a1", 150_000, invoice=150_000)], allowed) == []
    assert any("outside its donor's intent" in v for v in audit(paid, [approval("a1", 150_000, invoice=150_000)],
                                                                   elsewhere))


def test_the_audit_can_stop_at_a_date():
    lines = ledger(ALLOC, grant("a1"))
    assert verify_lines(lines, as_of="2023-09-01").entries == 2
    assert verify_lines(lines, as_of="2023-08-31").entries == 0


def test_an_edited_event_time_is_caught_when_the_hash_covers_the_posting_time():
    import json

    from contracts.ledger_format import GENESIS_HASH, seal

    data = seal({"sequence": 1, "transfer_id": "t1", "debit_account": "budget:central:340000",
                 "credit_account": "fund:central:341602", "amount_fen": 100, "application_id": None,
                 "kind": "allocation", "reverses": None, "prev_hash": GENESIS_HASH,
                 "recorded_at": "2023-08-21T02:00:00.000000Z"})
    event = {"specversion": "1.0", "id": "e1", "source": "/jinqiu/disbursement", "subject": "x",
             "type": "cn.jinqiu.ledger.transfer_posted.v1", "datacontenttype": "application/json", "data": data}
    assert verify_lines([json.dumps({**event, "time": "2023-08-21T02:00:00Z"})]).passed
    moved = verify_lines([json.dumps({**event, "time": "2023-07-01T02:00:00Z"})])
    assert any("posting time" in v for v in moved.violations)
    data_moved = {**data, "recorded_at": "2023-07-01T02:00:00.000000Z"}  # both edited: the hash breaks
    assert not verify_lines([json.dumps({**event, "time": "2023-07-01T02:00:00Z", "data": data_moved})]).passed


def test_a_ledger_cut_short_or_rewritten_does_not_hold_the_published_head():
    import json

    lines = ledger(ALLOC, grant("a1"), grant("a2"))
    head = (3, json.loads(lines[2])["data"]["hash"])
    assert verify_lines(lines, head=head).passed
    assert any("cut short" in v for v in verify_lines(lines[:2], head=head).violations)
    rewritten = ledger(ALLOC, grant("a1"), grant("a3"))
    assert any("published head" in v for v in verify_lines(rewritten, head=head).violations)


def test_the_evidence_files_are_read_as_the_demo_writes_them(tmp_path):
    import json
    import shutil

    from services.audit.verify import load_evidence
    from services.shared.policy import BUNDLED_POLICIES

    (tmp_path / "policies").mkdir()
    shutil.copy(BUNDLED_POLICIES / "anhui-2023.json", tmp_path / "policies")
    rejected = {"type": "cn.jinqiu.application.rejected.v2", "data": {"application_id": "a9"}}
    (tmp_path / "decisions.jsonl").write_text(
        "\n".join(json.dumps(e) for e in [approval("a1", 150_000, invoice=150_000), rejected]) + "\n\n")
    (tmp_path / "donations.jsonl").write_text(json.dumps(
        {"account": "fund:donation:d1", "org_codes": ["341602"], "stages": [], "per_student_cap_fen": None}) + "\n")
    evidence = load_evidence(str(tmp_path / "decisions.jsonl"), str(tmp_path / "policies"),
                             str(tmp_path / "donations.jsonl"))
    assert set(evidence.decisions) == {"a1"} and set(evidence.policies) == {POLICY.version}
    assert evidence.intents == {"fund:donation:d1": Intent(("341602",), (), None)}
    assert load_evidence(str(tmp_path / "decisions.jsonl"), str(tmp_path / "policies"), None).intents == {}
    report = verify_lines(ledger(ALLOC, DONATION, grant("a1", 150_000, fund="fund:donation:d1")), evidence)
    assert report.passed, report.violations


def test_a_decision_under_another_rule_or_policy_is_named():
    other_rule = approval("a1", 150_000, invoice=150_000)
    other_rule["data"]["rule_id"] = "ah2023.something.else"
    assert any("the policy gives ah2023.archived.basic_education" in v
               for v in audit([ALLOC, grant("a1", 150_000)], [other_rule]))
    unknown_policy = approval("a1", 150_000, invoice=150_000)
    unknown_policy["data"]["policy_version"] = "anhui-2023@000000000000"
    assert any("is not among the policies given" in v for v in audit([ALLOC, grant("a1", 150_000)], [unknown_policy]))
    no_inputs = approval("a1", 150_000)
    no_inputs["data"]["inputs"] = None
    assert any("records no inputs" in v for v in audit([ALLOC, grant("a1", 150_000)], [no_inputs]))
    wrong_fund = approval("a1", 150_000, invoice=150_000, sources=("provincial",))
    assert any("not a source its decision allows" in v for v in audit([ALLOC, grant("a1", 150_000)], [wrong_fund]))


def test_the_entitlement_follows_the_rule_kind():
    from services.audit.rederive import entitlement

    base = {"category": "archived_family", "program": "enrolment_aid", "stage": "primary", "new_entrant": False}
    assert entitlement(POLICY, {**base, "tuition_invoice_fen": 150_000}) == ("ah2023.archived.basic_education", 150_000)
    assert entitlement(POLICY, {**base, "tuition_invoice_fen": 900_000}) == ("ah2023.archived.basic_education", 200_000)
    assert entitlement(POLICY, {**base, "category": "graduate", "program": "sunshine_employment",
                                "stage": "undergraduate"}) == ("ah2023.sunshine_employment.graduate", 0)

