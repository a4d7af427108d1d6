"""The review decision: a pure function of the application, the registry facts and the policy."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.applications import ApplicationRejected, ApplicationSubmitted, ApplicationVerified
from services.verification.policy import Policy, TuitionCapped

NO_RULE = "no_matching_rule"
NO_HARDSHIP_FILE = "no_hardship_file"
HARDSHIP_FILE_CLOSED = "hardship_file_closed"
AUTHORIZATION_MISSING = "authorization_missing"
TUITION_INVOICE_MISSING = "tuition_invoice_missing"


@dataclass(frozen=True)
class HouseholdFacts:
    """What the registry knows of the applicant's household when the application is reviewed."""

    hardship_file: str | None = None  # None, "open" or "closed"
    authorization_signed: bool = False


def review(
    app: ApplicationSubmitted, facts: HouseholdFacts, policy: Policy
) -> ApplicationVerified | ApplicationRejected:
    reasons: list[str] = []
    if not facts.authorization_signed:
        reasons.append(AUTHORIZATION_MISSING)
    rule = policy.rule_for(app.category, app.student.stage, app.student.new_entrant)
    amount = 0
    if rule is None:
        reasons.append(NO_RULE)
    else:
        if rule.requires_hardship_file and facts.hardship_file != "open":
            reasons.append(HARDSHIP_FILE_CLOSED if facts.hardship_file == "closed" else NO_HARDSHIP_FILE)
        if isinstance(rule.amount, TuitionCapped):
            amount = min(app.tuition_invoice_fen, rule.amount.cap_fen)
            if amount == 0:
                reasons.append(TUITION_INVOICE_MISSING)
        else:
            amount = rule.amount.fen
    if reasons:
        return ApplicationRejected(
            application_id=app.application_id, org_code=app.org_code,
            reasons=tuple(reasons), policy_version=policy.version,
        )
    return ApplicationVerified(
        application_id=app.application_id, org_code=app.org_code, amount_fen=amount,
        fund_sources=tuple(s.value for s in rule.fund_sources), stage=app.student.stage,
        rule_id=rule.id, policy_version=policy.version, bank_card=app.bank_card,
    )
