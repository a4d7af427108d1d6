"""The auditor decides every grant again, from the public formats only: the decision events
(`decisions.jsonl`, v2 with their input snapshot), the policy files, the donors' intents
(`donations.jsonl`) and the ledger. Each grant must match a decision that its rule allows, paid
from a fund its rule names (a donation only to whom its donor allowed), and no student may hold
two live grants of one aid group in one year. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from services.shared.policy import Fixed, Policy, TuitionCapped

APPROVED = "cn.jinqiu.application.verified"


@dataclass(frozen=True)
class Intent:
    org_codes: tuple[str, ...]
    stages: tuple[str, ...]
    per_student_cap_fen: int | None

    def allows(self, org_code: str, stage: str, amount_fen: int) -> bool:
        return ((not self.org_codes or org_code in self.org_codes) and (not self.stages or stage in self.stages)
                and (self.per_student_cap_fen is None or amount_fen <= self.per_student_cap_fen))


def entitlement(policy: Policy, inputs: dict) -> tuple[str | None, int]:
    """(rule id, amount in fen) the policy gives for these inputs."""
    rule = policy.rule_for(inputs["category"], inputs["program"], inputs["stage"], inputs.get("school_tier"),
                           inputs["new_entrant"])
    if rule is None:
        return None, 0
    if isinstance(rule.amount, TuitionCapped):
        return rule.id, min(inputs.get("tuition_invoice_fen", 0), rule.amount.cap_fen)
    return rule.id, rule.amount.fen if isinstance(rule.amount, Fixed) else 0


def approvals(decision_events: Iterable[dict]) -> dict[str, dict]:
    """The approval of each application (its data), from decision CloudEvents."""
    return {e["data"]["application_id"]: e["data"] for e in decision_events if e["type"].startswith(APPROVED)}


def check(grants: list[tuple[int, dict]], reversed_ids: set[str], decisions: dict[str, dict],
          policies: dict[str, Policy], intents: dict[str, Intent]) -> list[str]:
    """Violations: `grants` are (line, ledger data) of every grant entry, in log order."""
    violations = []
    live: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    for line, grant in grants:
        decision = decisions.get(grant["application_id"])
        policy = policies.get(decision["policy_version"]) if decision else None
        violations += [f"line {line}: {v}" for v in _check_grant(grant, decision, policy, intents)]
        if decision and decision.get("inputs") and policy and grant["transfer_id"] not in reversed_ids:
            inputs = decision["inputs"]
            live[(inputs["student_key"], inputs["campaign_year"], policy.aid_group(inputs["program"]))].add(
                grant["application_id"])
    for (_, year, group), apps in live.items():
        if len(apps) > 1:
            violations.append(f"one student aided {len(apps)} times in {year} ({group}): {', '.join(sorted(apps))}")
    return violations


def _check_grant(grant: dict, decision: dict | None, policy: Policy | None,
                 intents: dict[str, Intent]) -> list[str]:
    app = grant["application_id"]
    if decision is None:
        return [f"grant to {app} without an approval"]
    problems = []
    if grant["amount_fen"] != decision["amount_fen"]:
        problems.append(f"grant of {grant['amount_fen']} fen to {app}, approved {decision['amount_fen']}")
    source = grant["debit_account"].split(":")[1] if grant["debit_account"].startswith("fund:") else None
    if source not in decision["fund_sources"]:
        problems.append(f"grant to {app} paid from {grant['debit_account']}, not a source its decision allows")
    if source == "donation":
        intent = intents.get(grant["debit_account"])
        stage = (decision.get("inputs") or {}).get("stage", decision.get("stage"))
        if intent is None or not intent.allows(decision["org_code"], stage, grant["amount_fen"]):
            problems.append(f"donation {grant['debit_account']} paid {app} outside its donor's intent")
    if policy is None:
        return [*problems, f"{app}: policy {decision['policy_version']} is not among the policies given"]
    if not decision.get("inputs"):
        return [*problems, f"{app}: the decision records no inputs to decide again"]
    rule_id, amount = entitlement(policy, decision["inputs"])
    if rule_id != decision["rule_id"]:
        problems.append(f"{app}: decided under {decision['rule_id']}, the policy gives {rule_id}")
    if grant["amount_fen"] > amount:
        problems.append(f"grant of {grant['amount_fen']} fen to {app}, larger than its rule allows ({amount})")
    return problems
