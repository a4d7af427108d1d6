"""Every rule of both policy files, table-driven: the decision, the amount in fen, the rule id."""

import pytest

from services.shared.policy import load_book
from services.verification.domain import HouseholdFacts, Passed, review
from tests.factories import ALL_DOCUMENTS, application, worker_id

BOOK = load_book("anhui-2023,shaanxi-2023")
AH, SX = "341602", "610200"
W = worker_id(1)
FILED = HouseholdFacts(hardship_file="open", signatories=(W,), check_passed=True)
UNFILED = HouseholdFacts(signatories=(W,))
VISITED = HouseholdFacts(signatories=(W,), warmth_visited=True)
GIG = HouseholdFacts(signatories=(W,), gig_worker=True)
NO_DOC = lambda kind: [d for d in ALL_DOCUMENTS if d["kind"] != kind]  # noqa: E731

# (case, org, category, program, stage, tier, new, tuition, facts, extra) →
#     (decision, fen, rule id) or ("rejected", 0, reason, rule id the application fell under)
CASES = [
    ("ah basic primary invoice", AH, "archived_family", "enrolment_aid", "primary", None, False, 150_000, FILED, {}, ("notice", 150_000, "ah2023.archived.basic_education")),
    ("ah basic preschool invoice", AH, "archived_family", "enrolment_aid", "preschool", None, True, 80_000, FILED, {}, ("notice", 80_000, "ah2023.archived.basic_education")),
    ("ah basic junior capped", AH, "archived_family", "dream_plan", "junior_secondary", None, False, 350_000, FILED, {}, ("notice", 200_000, "ah2023.archived.basic_education")),
    ("ah basic senior at cap", AH, "archived_family", "enrolment_aid", "senior_secondary", None, False, 200_000, FILED, {}, ("notice", 200_000, "ah2023.archived.basic_education")),
    ("ah basic vocational one fen over", AH, "archived_family", "enrolment_aid", "secondary_vocational", None, False, 200_001, FILED, {}, ("notice", 200_000, "ah2023.archived.basic_education")),
    ("ah basic no invoice", AH, "archived_family", "enrolment_aid", "senior_secondary", None, False, 0, FILED, {}, ("rejected", 0, "tuition_invoice_missing", "ah2023.archived.basic_education")),
    ("ah basic file closed", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, HouseholdFacts("closed", (), (W,)), {}, ("rejected", 0, "hardship_file_closed", "ah2023.archived.basic_education")),
    ("ah basic no file", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, UNFILED, {}, ("rejected", 0, "no_hardship_file", "ah2023.archived.basic_education")),
    ("ah entrant undergraduate", AH, "archived_family", "enrolment_aid", "undergraduate", None, True, 0, FILED, {}, ("notice", 300_000, "ah2023.archived.college_entrant")),
    ("ah entrant higher vocational", AH, "archived_family", "enrolment_aid", "higher_vocational", None, True, 0, FILED, {}, ("notice", 300_000, "ah2023.archived.college_entrant")),
    ("ah entrant postgraduate", AH, "archived_family", "enrolment_aid", "postgraduate", None, True, 0, FILED, {}, ("notice", 300_000, "ah2023.archived.college_entrant")),
    ("ah dream plan undergraduate", AH, "archived_family", "dream_plan", "undergraduate", None, False, 0, FILED, {}, ("notice", 200_000, "ah2023.archived.dream_plan")),
    ("ah dream plan higher vocational", AH, "archived_family", "dream_plan", "higher_vocational", None, False, 0, FILED, {}, ("notice", 200_000, "ah2023.archived.dream_plan")),
    ("ah special education other", AH, "other", "enrolment_aid", "special_education", None, False, 0, UNFILED, {}, ("notice", 200_000, "ah2023.provincial.special_education")),
    ("ah special education archived", AH, "archived_family", "dream_plan", "special_education", None, False, 0, FILED, {}, ("notice", 200_000, "ah2023.provincial.special_education")),
    ("ah not archived entrant visited", AH, "warmth_visited", "enrolment_aid", "undergraduate", None, True, 0, VISITED, {}, ("notice", 200_000, "ah2023.provincial.college_not_archived")),
    ("ah not archived in school visited", AH, "warmth_visited", "dream_plan", "undergraduate", None, False, 0, VISITED, {}, ("notice", 200_000, "ah2023.provincial.college_not_archived")),
    ("ah warmth not evidenced", AH, "warmth_visited", "enrolment_aid", "undergraduate", None, True, 0, UNFILED, {}, ("rejected", 0, "category_not_evidenced", "ah2023.provincial.college_not_archived")),
    ("ah gig worker vocational", AH, "gig_or_migrant", "enrolment_aid", "higher_vocational", None, True, 0, GIG, {}, ("notice", 200_000, "ah2023.provincial.college_not_archived")),
    ("ah gig worker not registered", AH, "gig_or_migrant", "enrolment_aid", "higher_vocational", None, True, 0, UNFILED, {}, ("rejected", 0, "category_not_evidenced", "ah2023.provincial.college_not_archived")),
    ("ah other postgraduate", AH, "other", "dream_plan", "postgraduate", None, False, 0, UNFILED, {}, ("notice", 200_000, "ah2023.provincial.college_not_archived")),
    ("ah warmth primary no rule", AH, "warmth_visited", "enrolment_aid", "primary", None, False, 100_000, VISITED, {}, ("rejected", 0, "no_matching_rule", None)),
    ("ah graduate employment", AH, "graduate", "sunshine_employment", "undergraduate", None, False, 0, UNFILED, {}, ("notice", 0, "ah2023.sunshine_employment.graduate")),
    ("ah archived graduate employment", AH, "archived_family", "sunshine_employment", "higher_vocational", None, False, 0, FILED, {}, ("notice", 0, "ah2023.sunshine_employment.graduate")),
    ("ah startup graduate", AH, "graduate", "startup", "undergraduate", None, False, 0, UNFILED, {}, ("notice", 0, "ah2023.startup.graduate")),
    ("sx startup graduate", SX, "graduate", "startup", "undergraduate", None, False, 0, UNFILED, {}, ("notice", 0, "sx2023.startup.graduate")),
    ("ah work study archived", AH, "archived_family", "work_study", "undergraduate", None, False, 0, FILED, {}, ("notice", 100_000, "ah2023.work_study.archived_college")),
    ("ah work study not archived", AH, "warmth_visited", "work_study", "undergraduate", None, False, 0, VISITED, {}, ("rejected", 0, "no_matching_rule", None)),
    ("ah golden blue collar archived", AH, "archived_family", "golden_blue_collar", "secondary_vocational", None, True, 0, FILED, {}, ("notice", 0, "ah2023.golden_blue_collar.vocational")),
    ("ah golden blue collar liang hou sheng", AH, "liang_hou_sheng", "golden_blue_collar", "higher_vocational", None, True, 0, FILED, {}, ("notice", 0, "ah2023.golden_blue_collar.vocational")),
    ("ah liang hou sheng cash no rule", AH, "liang_hou_sheng", "enrolment_aid", "secondary_vocational", None, True, 100_000, FILED, {}, ("rejected", 0, "no_matching_rule", None)),
    ("ah authorization missing", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, HouseholdFacts("open"), {}, ("rejected", 0, "authorization_missing", "ah2023.archived.basic_education")),
    ("ah authorization incomplete", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, HouseholdFacts("open", ("spouse-id",), (W,)), {}, ("rejected", 0, "authorization_incomplete", "ah2023.archived.basic_education")),
    ("ah household check failed", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, HouseholdFacts("open", (), (W,), False), {}, ("rejected", 0, "household_check_failed", "ah2023.archived.basic_education")),
    ("ah authorization document missing", AH, "archived_family", "enrolment_aid", "primary", None, False, 100_000, FILED, {"documents": NO_DOC("household_check_authorization")}, ("rejected", 0, "documents_missing:household_check_authorization", "ah2023.archived.basic_education")),
    ("ah not archived needs no archive form", AH, "warmth_visited", "enrolment_aid", "undergraduate", None, True, 0, VISITED, {"documents": NO_DOC("archive_form")}, ("notice", 200_000, "ah2023.provincial.college_not_archived")),
    ("ah archived needs archive form", AH, "archived_family", "dream_plan", "undergraduate", None, False, 0, FILED, {"documents": NO_DOC("archive_form")}, ("rejected", 0, "documents_missing:archive_form", "ah2023.archived.dream_plan")),
    ("ah relative of staff", AH, "archived_family", "enrolment_aid", "primary", None, False, 150_000, FILED, {"relative_of_staff": True}, ("manual_review", 150_000, "ah2023.archived.basic_education")),
    ("ah no policy for 2022", AH, "archived_family", "enrolment_aid", "primary", None, False, 150_000, FILED, {"campaign_year": 2022}, ("rejected", 0, "no_policy_for_province_year", None)),
    ("no policy for jiangsu", "320102", "archived_family", "enrolment_aid", "primary", None, False, 150_000, FILED, {}, ("rejected", 0, "no_policy_for_province_year", None)),
    ("sx 985 entrant", SX, "archived_family", "enrolment_aid", "undergraduate", "985", True, 0, FILED, {}, ("notice", 500_000, "sx2023.archived.key_university")),
    ("sx 211 entrant", SX, "archived_family", "enrolment_aid", "undergraduate", "211", True, 0, FILED, {}, ("notice", 500_000, "sx2023.archived.key_university")),
    ("sx 985 postgraduate entrant", SX, "archived_family", "enrolment_aid", "postgraduate", "985", True, 0, FILED, {}, ("notice", 500_000, "sx2023.archived.key_university")),
    ("sx ordinary university entrant", SX, "archived_family", "enrolment_aid", "undergraduate", None, True, 0, FILED, {}, ("notice", 300_000, "sx2023.archived.college_or_vocational")),
    ("sx 985 in school", SX, "archived_family", "dream_plan", "undergraduate", "985", False, 0, FILED, {}, ("notice", 300_000, "sx2023.archived.college_or_vocational")),
    ("sx secondary vocational entrant", SX, "archived_family", "enrolment_aid", "secondary_vocational", None, True, 0, FILED, {}, ("notice", 300_000, "sx2023.archived.college_or_vocational")),
    ("sx higher vocational in school", SX, "archived_family", "dream_plan", "higher_vocational", None, False, 0, FILED, {}, ("notice", 300_000, "sx2023.archived.college_or_vocational")),
    ("sx primary no rule", SX, "archived_family", "enrolment_aid", "primary", None, False, 100_000, FILED, {}, ("rejected", 0, "no_matching_rule", None)),
    ("sx not archived no rule", SX, "warmth_visited", "enrolment_aid", "undergraduate", None, True, 0, VISITED, {}, ("rejected", 0, "no_matching_rule", None)),
    ("sx graduate employment", SX, "graduate", "sunshine_employment", "undergraduate", None, False, 0, UNFILED, {}, ("notice", 0, "sx2023.sunshine_employment.graduate")),
    ("sx 985 file closed", SX, "archived_family", "enrolment_aid", "undergraduate", "985", True, 0, HouseholdFacts("closed", (), (W,)), {}, ("rejected", 0, "hardship_file_closed", "sx2023.archived.key_university")),
    ("sx admission proof missing", SX, "archived_family", "enrolment_aid", "undergraduate", "211", True, 0, FILED, {"documents": NO_DOC("admission_proof")}, ("rejected", 0, "documents_missing:admission_proof", "sx2023.archived.key_university")),
]


@pytest.mark.parametrize(("case", "org", "category", "program", "stage", "tier", "new", "tuition", "facts", "extra", "expected"),
                         CASES, ids=[c[0] for c in CASES])
def test_every_rule_of_both_policies(case, org, category, program, stage, tier, new, tuition, facts, extra, expected):
    app = application(1, org_code=org, category=category, program=program, tuition_invoice_fen=tuition,
                      student={"stage": stage, "school_tier": tier, "new_entrant": new,
                               "graduation_year": 2023 if program == "sunshine_employment" else None}, **extra)
    outcome = review(app, facts, BOOK.find(org, app.campaign_year))
    decision, fen, rule_or_reason = expected[:3]
    if decision == "rejected":
        assert (outcome.reasons, outcome.rule_id, fen) == ((rule_or_reason,), expected[3], 0)
    else:
        assert isinstance(outcome, Passed)
        assert (outcome.manual_review is not None) == (decision == "manual_review")
        assert (outcome.verified.amount_fen, outcome.verified.rule_id) == (fen, rule_or_reason)
        assert outcome.verified.policy_version == BOOK.find(org, 2023).version


def test_the_table_covers_every_rule_of_every_policy():
    covered = {c[-1][2] for c in CASES if c[-1][0] != "rejected"}
    assert covered == {rule.id for policy in BOOK.by_key.values() for rule in policy.rules}
    assert len(CASES) >= 40


def test_new_entrants_come_first_where_the_policy_says_so():
    entrant = application(1, category="other", student={"stage": "undergraduate", "new_entrant": True})
    in_school = application(2, category="other", student={"stage": "undergraduate", "new_entrant": False})
    policy = BOOK.find("341602", 2023)
    in_school_facts = HouseholdFacts(signatories=(worker_id(2),))
    assert review(entrant, UNFILED, policy).verified.priority == 0
    assert review(in_school, in_school_facts, policy).verified.priority == 1
    archived = review(application(1), FILED, policy).verified  # a rule without new-entrant priority
    assert archived.priority == 0


def test_policy_version_changes_with_content():
    from importlib import resources

    from services.shared.policy import parse_policy

    text = (resources.files("services.verification") / "policies" / "anhui-2023.json").read_text(encoding="utf-8")
    assert parse_policy(text).version == BOOK.find("341602", 2023).version
    assert parse_policy(text.replace("200000", "210000", 1)).version != BOOK.find("341602", 2023).version


def test_a_policy_with_a_float_amount_is_refused():
    from pydantic import ValidationError

    from services.shared.policy import parse_policy

    bad = '{"policy":"x","title":"t","province":"340000","campaign_year":2023,"source":"s","rules":[' \
          '{"id":"r","title":"t","requires_hardship_file":true,"amount":{"kind":"fixed","fen":1999.5},' \
          '"fund_sources":["central"]}]}'
    with pytest.raises(ValidationError):
        parse_policy(bad)


def test_the_campaign_clock_moves_forward_by_a_bounded_step():
    import datetime as dt

    from services.shared.errors import Refused
    from services.verification.domain import advance_clock

    day = dt.date(2023, 8, 1)
    assert advance_clock(None, day, 92) == day
    assert advance_clock(day, day + dt.timedelta(days=92), 92) == day + dt.timedelta(days=92)
    assert advance_clock(day, day - dt.timedelta(days=3), 92) == day  # never backwards
    with pytest.raises(Refused) as jump:
        advance_clock(day, dt.date(2099, 1, 1), 92)
    assert (jump.value.code, jump.value.message) == ("clock_jump_too_large",
                                                     "活动时钟不能从2023-08-01一次跳到2099-01-01（最多92天）")


def test_sunshine_employment_serves_only_the_policy_cohort():
    policy = BOOK.find("341602", 2023)
    for year, served in ((2015, False), (2020, False), (2021, True), (2023, True), (None, False)):
        app = application(1, category="graduate", program="sunshine_employment",
                          student={"stage": "undergraduate", "graduation_year": year})
        outcome = review(app, UNFILED, policy)
        assert isinstance(outcome, Passed) == served, year
        if not served:
            assert outcome.reasons == ("graduate_not_in_cohort",)


def test_an_authorization_older_than_the_policy_allows_is_refused():
    import datetime as dt

    policy = BOOK.find("341602", 2023)
    app = application(1)
    for signed_on, expired in ((dt.date(2018, 7, 1), True), (dt.date(2022, 8, 22), False), (dt.date(2023, 7, 20), False)):
        facts = HouseholdFacts(hardship_file="open", signatories=(W,), check_passed=True, signed_on=signed_on,
                               reviewed_on=dt.date(2023, 8, 21))
        outcome = review(app, facts, policy)
        assert ("authorization_expired" in getattr(outcome, "reasons", ())) == expired, signed_on


def test_a_hardship_file_of_another_union_is_refused():
    facts = HouseholdFacts(hardship_file="open", signatories=(W,), check_passed=True, file_in_scope=False)
    outcome = review(application(1), facts, BOOK.find("341602", 2023))
    assert outcome.reasons == ("hardship_file_of_another_union",)


def test_programs_a_policy_makes_exclusive_share_one_aid_per_student_year():
    from contracts.applications import Program

    policy = BOOK.find("341602", 2023)
    assert policy.aid_group(Program.ENROLMENT_AID) == policy.aid_group(Program.DREAM_PLAN)
    assert policy.aid_group(Program.ENROLMENT_AID) == policy.aid_group(Program.GOLDEN_BLUE_COLLAR)
    assert policy.aid_group(Program.SUNSHINE_EMPLOYMENT) != policy.aid_group(Program.ENROLMENT_AID)


def test_a_notice_runs_the_policy_days_inclusive_and_carries_the_entitlement():
    import datetime as dt

    from services.verification.domain import notice

    verified = review(application(1), FILED, BOOK.find("341602", 2023)).verified
    published = notice(verified, dt.date(2023, 8, 21), 5)
    assert (published.starts_on, published.ends_on) == (dt.date(2023, 8, 21), dt.date(2023, 8, 25))
    assert (published.application_id, published.org_code, published.amount_fen, published.rule_id,
            published.fund_sources) == (verified.application_id, verified.org_code, verified.amount_fen,
                                        verified.rule_id, ("central", "local", "donation"))


def test_a_decision_records_exactly_what_it_was_decided_on():
    import datetime as dt

    app = application(1, tuition_invoice_fen=123_400)
    facts = HouseholdFacts(hardship_file="open", signatories=(W,), check_passed=True, warmth_visited=True,
                           signed_on=dt.date(2023, 7, 20), reviewed_on=dt.date(2023, 8, 21))
    inputs = review(app, facts, BOOK.find("341602", 2023)).verified.inputs
    assert inputs.model_dump(mode="json") == {
        "student_key": app.student_key, "campaign_year": 2023, "category": "archived_family",
        "program": "enrolment_aid", "stage": "senior_secondary", "school_tier": None, "new_entrant": False,
        "graduation_year": None, "tuition_invoice_fen": 123_400,
        "documents": sorted(d["kind"] for d in ALL_DOCUMENTS), "relative_of_staff": False,
        "hardship_file": "open", "hardship_file_in_scope": True, "authorization_signed": True,
        "authorization_complete": True, "authorization_signed_on": "2023-07-20", "household_check_passed": True,
        "warmth_visited": True, "gig_worker": False, "reviewed_on": "2023-08-21"}
    unsigned = review(app, HouseholdFacts(hardship_file="open"), BOOK.find("341602", 2023)).inputs
    assert (unsigned.authorization_signed, unsigned.authorization_complete) == (False, False)


def test_the_filing_window_is_policy_data():
    import datetime as dt

    from services.shared.policy import Calendar

    anhui = BOOK.find(AH, 2023).calendar
    assert anhui.filing_closes == dt.date(2023, 8, 20) and [d.due.isoformat() for d in anhui.deadlines] == [
        "2023-07-14", "2023-08-20", "2023-08-29", "2023-08-31", "2023-11-28"]
    assert (anhui.filing(None), anhui.filing(dt.date(2023, 8, 20)), anhui.filing(dt.date(2023, 8, 21))) == (
        "open", "open", "closed")
    flagged = Calendar(filing_closes=dt.date(2023, 8, 20), late_filing="flag")
    assert flagged.filing(dt.date(2023, 8, 21)) == "late" and Calendar().filing(dt.date(2099, 1, 1)) == "open"
    assert BOOK.find(SX, 2023).calendar.filing(dt.date(2023, 12, 31)) == "open"  # Shaanxi's notice sets no window


def test_a_decision_records_every_fact_even_those_that_did_not_decide_it():
    """The auditor decides again from these inputs: a fact left out (a school tier, a file of
    another union) would make it decide differently."""
    import datetime as dt

    from services.verification.domain import decision_inputs

    app = application(1, relative_of_staff=True, student={"stage": "undergraduate", "school_tier": "211",
                                                          "new_entrant": True, "graduation_year": 2027})
    facts = HouseholdFacts(hardship_file="closed", signatories=("someone-else",), check_passed=False,
                           file_in_scope=False, warmth_visited=False, gig_worker=True,
                           signed_on=dt.date(2023, 7, 2), reviewed_on=dt.date(2023, 8, 3))
    assert decision_inputs(app, facts).model_dump(mode="json") == {
        "student_key": app.student_key, "campaign_year": 2023, "category": "archived_family",
        "program": "enrolment_aid", "stage": "undergraduate", "school_tier": "211", "new_entrant": True,
        "graduation_year": 2027, "tuition_invoice_fen": 150_000,
        "documents": sorted(d["kind"] for d in ALL_DOCUMENTS), "relative_of_staff": True,
        "hardship_file": "closed", "hardship_file_in_scope": False, "authorization_signed": True,
        "authorization_complete": False, "authorization_signed_on": "2023-07-02", "household_check_passed": False,
        "warmth_visited": False, "gig_worker": True, "reviewed_on": "2023-08-03"}


def test_an_authorization_is_valid_through_its_last_day():
    import datetime as dt

    policy = BOOK.find("341602", 2023)
    reviewed = dt.date(2023, 8, 21)
    for signed_on, expired in ((reviewed - dt.timedelta(days=policy.authorization_valid_days), False),
                               (reviewed - dt.timedelta(days=policy.authorization_valid_days + 1), True),
                               (None, False)):  # no date on the form: nothing to expire
        facts = HouseholdFacts(hardship_file="open", signatories=(W,), check_passed=True, signed_on=signed_on,
                               reviewed_on=reviewed)
        outcome = review(application(1), facts, policy)
        assert getattr(outcome, "reasons", ()) == (("authorization_expired",) if expired else ()), signed_on


def test_without_a_policy_the_rejection_still_records_its_inputs():
    outcome = review(application(1), FILED, None)
    assert (outcome.reasons, outcome.policy_version, outcome.rule_id) == (("no_policy_for_province_year",), "none", None)
    assert outcome.inputs is not None and outcome.inputs.tuition_invoice_fen == 150_000


def test_a_student_already_aided_is_rejected_naming_the_filing_that_holds_the_aid():
    from services.verification.domain import decision_inputs
    from services.verification.review import duplicate

    app = application(2)
    rejected = duplicate(app, "app-holder", FILED, "anhui-2023@v").model_dump(mode="json")
    named = ("application_id", "org_code", "reasons", "policy_version", "duplicate_of", "inputs")
    assert {k: rejected[k] for k in named} == {
        "application_id": app.application_id, "org_code": "341602", "reasons": ["duplicate_of"],
        "policy_version": "anhui-2023@v", "duplicate_of": "app-holder",
        "inputs": decision_inputs(app, FILED).model_dump(mode="json")}


def test_one_province_and_year_has_one_policy():
    from services.shared.policy import PolicyBook

    policy = BOOK.find("341602", 2023)
    with pytest.raises(ValueError, match="two policies for the same province and year"):
        PolicyBook([policy, policy])
    assert PolicyBook([policy]).find("341699", 2023) is policy


def test_a_union_runs_its_own_policy_file_beside_the_bundled_ones(tmp_path):
    """JINQIU_POLICY_FILES takes names of bundled policies and paths of a union's own files."""
    import json

    from services.shared.policy import BUNDLED_POLICIES, load_book

    own = json.loads((BUNDLED_POLICIES / "anhui-2023.json").read_text(encoding="utf-8"))
    own |= {"policy": "henan-2023", "province": "410000", "title": "河南省 2023年金秋助学"}
    path = tmp_path / "henan-2023.json"
    path.write_text(json.dumps(own, ensure_ascii=False), encoding="utf-8")
    book = load_book(f" anhui-2023 , {path},")
    assert book.find("410100", 2023).version.startswith("henan-2023@")
    assert book.find("341602", 2023).version == BOOK.find("341602", 2023).version
    for missing in (str(tmp_path / "missing.json"), "henan-2024"):
        with pytest.raises(FileNotFoundError, match=f"policy '{missing}' not found: neither a .json file nor one "
                                                    r"of the bundled policies \(anhui-2023, shaanxi-2023\)"):
            load_book(missing)
