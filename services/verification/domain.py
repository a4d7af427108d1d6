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
    DecisionInputs,
    DocumentKind,
    ManualReviewRequired,
    Program,
)
from services.shared.errors import Refused
from services.shared.policy import Fixed, Policy, Rule, TuitionCapped

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
HARDSHIP_FILE_OF_ANOTHER_UNION = "hardship_file_of_another_union"
AUTHORIZATION_EXPIRED = "authorization_expired"
GRADUATE_NOT_IN_COHORT = "graduate_not_in_cohort"
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
    file_in_scope: bool = True  # the file was opened by the filing union, or a union above or below it
    signed_on: dt.date | None = None  # when the 附件5 authorization was signed
    reviewed_on: dt.date | None = None  # the campaign date of the review


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


def _household_reasons(app: ApplicationSubmitted, facts: HouseholdFacts, rule: Rule | None,
                       policy: Policy) -> list[str]:
    reasons = []
    if facts.signatories is None:
        reasons.append(AUTHORIZATION_MISSING)
    elif not {app.worker.id_number, *facts.file_members} <= set(facts.signatories):
        reasons.append(AUTHORIZATION_INCOMPLETE)
    elif _expired(facts, policy.authorization_valid_days):
        reasons.append(AUTHORIZATION_EXPIRED)
    if facts.hardship_file is not None and not facts.file_in_scope:
        reasons.append(HARDSHIP_FILE_OF_ANOTHER_UNION)
    if facts.check_passed is False:
        reasons.append(HOUSEHOLD_CHECK_FAILED)
    if rule is not None and rule.requires_hardship_file and facts.hardship_file != "open":
        reasons.append(HARDSHIP_FILE_CLOSED if facts.hardship_file == "closed" else NO_HARDSHIP_FILE)
    evidenced = {Category.WARMTH_VISITED: facts.warmth_visited, Category.GIG_OR_MIGRANT: facts.gig_worker}
    if not evidenced.get(app.category, True):
        reasons.append(CATEGORY_NOT_EVIDENCED)
    return reasons


def _expired(facts: HouseholdFacts, valid_days: int | None) -> bool:
    if valid_days is None or facts.signed_on is None or facts.reviewed_on is None:
        return False
    return (facts.reviewed_on - facts.signed_on).days > valid_days


def _outside_cohort(app: ApplicationSubmitted, policy: Policy) -> bool:
    if app.program is not Program.SUNSHINE_EMPLOYMENT or policy.graduate_cohort is None:
        return False
    first, last = policy.graduate_cohort
    return app.student.graduation_year is None or not first <= app.student.graduation_year <= last


def _missing_documents(app: ApplicationSubmitted, policy: Policy, rule: Rule) -> list[str]:
    required = set(policy.required_documents.get(app.program, ()))
    if not rule.requires_hardship_file:
        required.discard(DocumentKind.ARCHIVE_FORM)
    present = {d.kind for d in app.documents}
    return [f"{DOCUMENTS_MISSING}:{kind.value}" for kind in sorted(required - present)]


def decision_inputs(app: ApplicationSubmitted, facts: HouseholdFacts) -> DecisionInputs:
    """The snapshot a decision records of what it was made on."""
    s = app.student
    return DecisionInputs(
        student_key=app.student_key, campaign_year=app.campaign_year, category=app.category, program=app.program, stage=s.stage, school_tier=s.school_tier,
        new_entrant=s.new_entrant, graduation_year=s.graduation_year, tuition_invoice_fen=app.tuition_invoice_fen,
        documents=tuple(sorted({d.kind for d in app.documents})), relative_of_staff=app.relative_of_staff,
        hardship_file=facts.hardship_file, hardship_file_in_scope=facts.file_in_scope,
        authorization_signed=facts.signatories is not None,
        authorization_complete=facts.signatories is not None
        and {app.worker.id_number, *facts.file_members} <= set(facts.signatories),
        authorization_signed_on=facts.signed_on, household_check_passed=facts.check_passed,
        warmth_visited=facts.warmth_visited, gig_worker=facts.gig_worker, reviewed_on=facts.reviewed_on)


def review(app: ApplicationSubmitted, facts: HouseholdFacts, policy: Policy | None) -> Outcome:
    inputs = decision_inputs(app, facts)
    if policy is None:
        return ApplicationRejected(application_id=app.application_id, org_code=app.org_code,
                                   reasons=(NO_POLICY,), policy_version=NO_POLICY_VERSION, inputs=inputs)
    s = app.student
    rule = policy.rule_for(app.category, app.program, s.stage, s.school_tier, s.new_entrant)
    reasons = _household_reasons(app, facts, rule, policy)
    if _outside_cohort(app, policy):
        reasons.append(GRADUATE_NOT_IN_COHORT)
    amount = 0
    if rule is None:
        reasons.append(NO_RULE)
    else:
        amount = _entitlement(app, rule, reasons)
        reasons += _missing_documents(app, policy, rule)
    if reasons:
        return ApplicationRejected(application_id=app.application_id, org_code=app.org_code,
                                   reasons=tuple(reasons), policy_version=policy.version,
                                   rule_id=rule.id if rule else None, inputs=inputs)
    manual = ManualReviewRequired(application_id=app.application_id, org_code=app.org_code,
                                  reason=RELATIVE_OF_STAFF, filed_by_user=app.filed_by_user)
    return Passed(manual_review=manual if app.relative_of_staff else None, verified=ApplicationVerified(
        application_id=app.application_id, org_code=app.org_code, amount_fen=amount,
        fund_sources=tuple(s.value for s in rule.fund_sources), stage=s.stage, rule_id=rule.id,
        policy_version=policy.version, bank_card=app.bank_card,
        priority=0 if (not rule.new_entrants_first or s.new_entrant) else 1, inputs=inputs,
    ))


def notice(verified: ApplicationVerified, starts_on: dt.date, days: int) -> ApplicationInNotice:
    """公示: the notice runs `days` calendar days from `starts_on`, inclusive."""
    return ApplicationInNotice(application_id=verified.application_id, org_code=verified.org_code,
                               starts_on=starts_on, ends_on=starts_on + dt.timedelta(days=days - 1),
                               amount_fen=verified.amount_fen, rule_id=verified.rule_id,
                               fund_sources=verified.fund_sources)


def advance_clock(current: dt.date | None, proposed: dt.date, max_jump_days: int) -> dt.date:
    """Campaign time only moves forward, and by at most `max_jump_days` at a time: a tick far in
    the future would end every notice at once, irreversibly."""
    if current is None:
        return proposed
    if proposed > current + dt.timedelta(days=max_jump_days):
        raise Refused("clock_jump_too_large",
                      f"活动时钟不能从{current}一次跳到{proposed}（最多{max_jump_days}天）")
    return max(current, proposed)
