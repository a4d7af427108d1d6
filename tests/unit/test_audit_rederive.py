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
    assert violations == ["line 2: grant of 200000 fen to a1, larger than its rule allows (120000)"]


def test_a_grant_without_an_approval_or_for_another_amount_fails():
    assert audit([ALLOC, grant("a1"), grant("a2")], []) == ["line 2: grant to a1 without an approval",
                                                            "line 3: grant to a2 without an approval"]
    assert audit([ALLOC, grant("a1", 200_000)], [approval("a1", 100_000)]) == [
        "line 2: grant of 200000 fen to a1, approved 100000"]
    from_the_budget = ("budget:central:340000", "recipient:a1", 150_000, "grant", "a1", None)
    assert audit([ALLOC, from_the_budget], [approval("a1", 150_000, invoice=150_000)]) == [
        "line 2: grant to a1 paid from budget:central:340000, not a source its decision allows"]


def test_a_second_aid_to_one_student_in_a_year_fails_across_exclusive_programs():
    approvals = [approval("a1", 100_000, invoice=100_000), approval("a2", 100_000, invoice=100_000, program="dream_plan")]
    violations = audit([ALLOC, grant("a1", 100_000), grant("a2", 100_000)], approvals)
    assert violations == ["one student aided 2 times in 2023 (dream_plan+enrolment_aid+golden_blue_collar): a1, a2"]


def test_the_chain_and_the_decisions_are_both_reported():
    violations = audit([ALLOC, grant("a1", 600_000)], [approval("a1", 150_000, invoice=150_000)])
    assert violations == ["line 2: fund:central:341602 overdrawn by 100000 fen",
                          "line 2: grant of 600000 fen to a1, approved 150000",
                          "line 2: grant of 600000 fen to a1, larger than its rule allows (150000)"]


def test_a_donation_pays_only_whom_its_donor_allowed():
    paid = [DONATION, grant("a1", 150_000, fund="fund:donation:d1")]
    decided = [approval("a1", 150_000, invoice=150_000)]
    outside = ["line 2: donation fund:donation:d1 paid a1 outside its donor's intent"]
    up_to_the_cap = {"fund:donation:d1": Intent(("341602",), ("primary",), 150_000)}
    assert audit(paid, decided, up_to_the_cap) == []
    for intent in (Intent(("341623",), (), None), Intent((), ("junior_secondary",), None), Intent((), (), 149_999)):
        assert audit(paid, decided, {"fund:donation:d1": intent}) == outside, intent
    assert audit(paid, decided, {}) == outside  # a donation fund whose intent is not given


def test_the_donors_stage_is_the_one_the_decision_recorded():
    """The stage among the decision's inputs; the decision's own where it records none."""
    paid = [DONATION, grant("a1", 150_000, fund="fund:donation:d1")]
    primary_only = {"fund:donation:d1": Intent((), ("primary",), None)}
    junior = approval("a1", 150_000, invoice=150_000)
    junior["data"]["inputs"]["stage"] = "junior_secondary"
    assert audit(paid, [junior], primary_only) == [
        "line 2: donation fund:donation:d1 paid a1 outside its donor's intent"]
    no_inputs = approval("a1", 150_000, invoice=150_000)
    no_inputs["data"]["inputs"] = None
    assert audit(paid, [no_inputs], primary_only) == ["line 2: a1: the decision records no inputs to decide again"]


def test_the_audit_can_stop_at_a_date():
    lines = ledger(ALLOC, grant("a1"))
    assert verify_lines(lines, as_of="2023-09-01").entries == 2
    assert verify_lines(lines, as_of="2023-09-01T00:00:00Z").entries == 2  # an entry at that very time is in
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
    assert moved.violations == [
        "line 1: event time 2023-07-01T02:00:00Z is not the posting time 2023-08-21T02:00:00.000000Z the hash covers"]
    data_moved = {**data, "recorded_at": "2023-07-01T02:00:00.000000Z"}  # both edited: the hash breaks
    assert not verify_lines([json.dumps({**event, "time": "2023-07-01T02:00:00Z", "data": data_moved})]).passed


def test_a_ledger_cut_short_or_rewritten_does_not_hold_the_published_head():
    import json

    lines = ledger(ALLOC, grant("a1"), grant("a2"))
    head = (3, json.loads(lines[2])["data"]["hash"])
    assert verify_lines(lines, head=head).passed
    assert verify_lines(lines[:2], head=head).violations == [
        "the ledger is cut short: 2 entries, the published head is at 3"]
    rewritten = ledger(ALLOC, grant("a1"), grant("a3"))
    assert verify_lines(rewritten, head=head).violations == ["entry 3 does not carry the published head's hash"]
    assert verify_lines(lines, head=(2, head[1])).violations == ["entry 2 does not carry the published head's hash"]


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
    (tmp_path / "donations.jsonl").write_text("\n".join(json.dumps(d) for d in [
        {"account": "fund:donation:d1", "org_codes": ["341602"], "stages": [], "per_student_cap_fen": None},
        {"account": "fund:donation:d2", "org_codes": [], "stages": ["primary"], "per_student_cap_fen": 100_000},
    ]) + "\n  \n")
    evidence = load_evidence(str(tmp_path / "decisions.jsonl"), str(tmp_path / "policies"),
                             str(tmp_path / "donations.jsonl"))
    assert set(evidence.decisions) == {"a1"} and set(evidence.policies) == {POLICY.version}
    assert evidence.intents == {"fund:donation:d1": Intent(("341602",), (), None),
                                "fund:donation:d2": Intent((), ("primary",), 100_000)}
    assert load_evidence(str(tmp_path / "decisions.jsonl"), str(tmp_path / "policies"), None).intents == {}
    report = verify_lines(ledger(ALLOC, DONATION, grant("a1", 150_000, fund="fund:donation:d1")), evidence)
    assert report.passed, report.violations


def test_a_decision_under_another_rule_or_policy_is_named():
    other_rule = approval("a1", 150_000, invoice=150_000)
    other_rule["data"]["rule_id"] = "ah2023.something.else"
    assert audit([ALLOC, grant("a1", 150_000)], [other_rule]) == [
        "line 2: a1: decided under ah2023.something.else, the policy gives ah2023.archived.basic_education"]
    unknown_policy = approval("a1", 150_000, invoice=150_000)
    unknown_policy["data"]["policy_version"] = "anhui-2023@000000000000"
    assert audit([ALLOC, grant("a1", 150_000)], [unknown_policy]) == [
        "line 2: a1: policy anhui-2023@000000000000 is not among the policies given"]
    no_inputs = approval("a1", 150_000)
    no_inputs["data"]["inputs"] = None
    assert audit([ALLOC, grant("a1", 150_000)], [no_inputs]) == [
        "line 2: a1: the decision records no inputs to decide again"]
    wrong_fund = approval("a1", 150_000, invoice=150_000, sources=("provincial",))
    assert audit([ALLOC, grant("a1", 150_000)], [wrong_fund]) == [
        "line 2: grant to a1 paid from fund:central:341602, not a source its decision allows"]


def test_the_entitlement_follows_the_rule_kind():
    from services.audit.rederive import entitlement

    base = {"category": "archived_family", "program": "enrolment_aid", "stage": "primary", "new_entrant": False}
    assert entitlement(POLICY, {**base, "tuition_invoice_fen": 150_000}) == ("ah2023.archived.basic_education", 150_000)
    assert entitlement(POLICY, {**base, "tuition_invoice_fen": 900_000}) == ("ah2023.archived.basic_education", 200_000)
    assert entitlement(POLICY, {**base, "category": "graduate", "program": "sunshine_employment",
                                "stage": "undergraduate"}) == ("ah2023.sunshine_employment.graduate", 0)
    assert entitlement(POLICY, base) == ("ah2023.archived.basic_education", 0)  # no invoice: nothing to refund
    assert entitlement(POLICY, {**base, "category": "liang_hou_sheng"}) == (None, 0)


def test_the_entitlement_follows_the_school_tier_and_whether_the_student_is_new():
    from services.audit.rederive import entitlement

    college = {"category": "archived_family", "program": "enrolment_aid", "stage": "undergraduate"}
    assert entitlement(POLICY, {**college, "new_entrant": True}) == ("ah2023.archived.college_entrant", 300_000)
    assert entitlement(POLICY, {**college, "new_entrant": False}) == ("ah2023.archived.dream_plan", 200_000)
    shaanxi = load_book("shaanxi-2023").find("610100", 2023)
    assert entitlement(shaanxi, {**college, "new_entrant": True, "school_tier": "985"}) == (
        "sx2023.archived.key_university", 500_000)
    assert entitlement(shaanxi, {**college, "new_entrant": True}) == ("sx2023.archived.college_or_vocational", 300_000)

