"""The review decision against the Anhui 2023 policy file."""

import pytest

from services.verification.domain import HouseholdFacts, review
from services.verification.policy import load_policy
from tests.factories import application

POLICY = load_policy("anhui-2023")
OPEN = HouseholdFacts(hardship_file="open", authorization_signed=True)

CASES = [
    # (student overrides, other overrides, facts, decision, amount, rule or reasons)
    ({"stage": "senior_secondary"}, {"tuition_invoice_fen": 150_000}, OPEN, "verified", 150_000, "ah2023.archived.basic_education"),
    ({"stage": "primary"}, {"tuition_invoice_fen": 350_000}, OPEN, "verified", 200_000, "ah2023.archived.basic_education"),
    ({"stage": "undergraduate", "new_entrant": True}, {}, OPEN, "verified", 300_000, "ah2023.archived.college_entrant"),
    ({"stage": "higher_vocational", "new_entrant": False}, {}, OPEN, "verified", 200_000, "ah2023.archived.dream_plan"),
    ({"stage": "special_education"}, {"category": "other"}, HouseholdFacts(None, True), "verified", 200_000, "ah2023.provincial.special_education"),
    ({"stage": "undergraduate"}, {"category": "gig_or_migrant"}, HouseholdFacts(None, True), "verified", 200_000, "ah2023.provincial.college_not_archived"),
    ({"stage": "senior_secondary"}, {}, HouseholdFacts(None, True), "rejected", 0, ("no_hardship_file",)),
    ({"stage": "senior_secondary"}, {}, HouseholdFacts("closed", True), "rejected", 0, ("hardship_file_closed",)),
    ({"stage": "senior_secondary"}, {}, HouseholdFacts("open", False), "rejected", 0, ("authorization_missing",)),
    ({"stage": "primary"}, {"tuition_invoice_fen": 0}, OPEN, "rejected", 0, ("tuition_invoice_missing",)),
    ({"stage": "senior_secondary"}, {"category": "gig_or_migrant"}, OPEN, "rejected", 0, ("no_matching_rule",)),
]


@pytest.mark.parametrize(("student", "other", "facts", "decision", "amount", "expected"), CASES)
def test_review_follows_the_policy(student, other, facts, decision, amount, expected):
    result = review(application(student=student, **other), facts, POLICY)
    assert result.policy_version == POLICY.version
    if decision == "verified":
        assert (result.amount_fen, result.rule_id) == (amount, expected)
    else:
        assert result.reasons == expected


def test_policy_version_changes_with_content():
    from services.verification.policy import parse_policy

    text = (__import__("importlib").resources.files("services.verification") / "policies" / "anhui-2023.json").read_text()
    assert parse_policy(text).version == POLICY.version
    assert parse_policy(text.replace("200000", "210000", 1)).version != POLICY.version


def test_a_policy_with_a_float_amount_is_refused():
    from pydantic import ValidationError

    from services.verification.policy import parse_policy

    bad = '{"policy":"x","title":"t","province":"340000","campaign_year":2023,"source":"s","rules":[' \
          '{"id":"r","title":"t","requires_hardship_file":true,"amount":{"kind":"fixed","fen":1999.5},' \
          '"fund_sources":["central"]}]}'
    with pytest.raises(ValidationError):
        parse_policy(bad)
