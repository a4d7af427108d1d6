"""The review: a pure function of the application, the registry facts and the policy in force.

It returns what happens next: rejected (with every reason found), a manual review (a person must
decide), or public notice with the entitlement that becomes payable once the notice ends clean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from contracts.applications import (
    ApplicationInNotice,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationVerified,
    Category,
    DocumentKind,
    ManualReviewRequired,
)
from services.shared.errors import Refused
from services.verification.policy import Fixed, Policy, Rule, TuitionCapped

NO_POLICY = "no_policy_for_province_year"
NO_RULE = "no_matching_rule"
NO_HARDSHIP_FILE = "no_hardship_file"
HARDSHIP_FILE_CLOSED = "hardship_file_closed"
AUTHORIZATION_MISSING = "authorization_missing"
AUTHORIZATION_INCOMPLETE = "authorization_incomplete"
HOUSEHOLD_CHECK_FAILED = "household_check_failed"
CATEGORY_NOT_EVIDENCED = "category_not_evidenced"
TUITION_INVOICE_MISSING = "tuition_invoice_missing"
DOCUMENTS_MISSING = "documents_missing"
RELATIVE_OF_STAFF = "relative_of_staff"
NO_POLICY_VERSION = "none"


@dataclass(frozen=True)
class HouseholdFacts:
    """What the registry knows of the applicant's household when the application is reviewed."""

    hardship_file: str | None = None  # None, "open" or "closed"
    file_members: tuple[str, ...] = ()
    signatories: tuple[str, ...] | None = None  # None: never signed, or revoked
    check_passed: bool | None = None  # None: no result yet
    warmth_visited: bool = False
    gig_worker: bool = False


@dataclass(frozen=True)
class Passed:
    """Review passed: the entitlement, paid only after public notice, and after a person's
    approval where `manual_review` says why one is needed."""

    verified: ApplicationVerified
    manual_review: ManualReviewRequired | None = None


Outcome = ApplicationRejected | Passed


def _entitlement(app: ApplicationSubmitted, rule: Rule, reasons: list[str]) -> int:
    if isinstance(rule.amount, TuitionCapped):
        if app.tuition_invoice_fen == 0:
            reasons.append(TUITION_INVOICE_MISSING)
        return min(app.tuition_invoice_fen, rule.amount.cap_fen)
    return rule.amount.fen if isinstance(rule.amount, Fixed) else 0


def _household_reasons(app: ApplicationSubmitted, facts: HouseholdFacts, rule: Rule | None) -> list[str]:
    reasons = []
    if facts.signatories is None:
        reasons.append(AUTHORIZATION_MISSING)
    elif not {app.worker.id_number, *facts.file_members} <= set(facts.signatories):
        reasons.append(AUTHORIZATION_INCOMPLETE)
    if facts.check_passed is False:
        reasons.append(HOUSEHOLD_CHECK_FAILED)
    if rule is not None and rule.requires_hardship_file and facts.hardship_file != "open":
        reasons.append(HARDSHIP_FILE_CLOSED if facts.hardship_file == "closed" else NO_HARDSHIP_FILE)
    evidenced = {Category.WARMTH_VISITED: facts.warmth_visited, Category.GIG_OR_MIGRANT: facts.gig_worker}
    if not evidenced.get(app.category, True):
        reasons.append(CATEGORY_NOT_EVIDENCED)
    return reasons


def _missing_documents(app: ApplicationSubmitted, policy: Policy, rule: Rule) -> list[str]:
    required = set(policy.required_documents.get(app.program, ()))
    if not rule.requires_hardship_file:
        required.discard(DocumentKind.ARCHIVE_FORM)
    present = {d.kind for d in app.documents}
    return [f"{DOCUMENTS_MISSING}:{kind.value}" for kind in sorted(required - present)]


def review(app: ApplicationSubmitted, facts: HouseholdFacts, policy: Policy | None) -> Outcome:
    if policy is None:
        return ApplicationRejected(application_id=app.application_id, org_code=app.org_code,
                                   reasons=(NO_POLICY,), policy_version=NO_POLICY_VERSION)
    s = app.student
    rule = policy.rule_for(app.category, app.program, s.stage, s.school_tier, s.new_entrant)
    reasons = _household_reasons(app, facts, rule)
    amount = 0
    if rule is None:
        reasons.append(NO_RULE)
    else:
        amount = _entitlement(app, rule, reasons)
        reasons += _missing_documents(app, policy, rule)
    if reasons:
        return ApplicationRejected(application_id=app.application_id, org_code=app.org_code,
                                   reasons=tuple(reasons), policy_version=policy.version,
                                   rule_id=rule.id if rule else None)
    manual = ManualReviewRequired(application_id=app.application_id, org_code=app.org_code,
                                  reason=RELATIVE_OF_STAFF, filed_by_user=app.filed_by_user)
    return Passed(manual_review=manual if app.relative_of_staff else None, verified=ApplicationVerified(
        application_id=app.application_id, org_code=app.org_code, amount_fen=amount,
        fund_sources=tuple(s.value for s in rule.fund_sources), stage=s.stage, rule_id=rule.id,
        policy_version=policy.version, bank_card=app.bank_card,
        priority=0 if (not rule.new_entrants_first or s.new_entrant) else 1,
    ))


def notice(verified: ApplicationVerified, starts_on: dt.date, days: int) -> ApplicationInNotice:
    """公示: the notice runs `days` calendar days from `starts_on`, inclusive."""
    return ApplicationInNotice(application_id=verified.application_id, org_code=verified.org_code,
                               starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days - 1),
                               amount_fen=verified.amount_fen, rule_id=verified.rule_id)


def advance_clock(current: dt.date | None, proposed: dt.date, max_jump_days: int) -> dt.date:
    """Campaign time only moves forward, and by at most `max_jump_days` at a time: a tick far in
    the future would end every notice at once, irreversibly."""
    if current is None:
        return proposed
    if proposed > current + dt.timedelta(days=max_jump_days):
        raise Refused("clock_jump_too_large",
                      f"活动时钟不能从{current}一次跳到{proposed}（最多{max_jump_days}天）")
    return max(current, proposed)
