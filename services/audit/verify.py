"""Replays `ledger.jsonl` and proves: chain intact, sequence gap-free, no fund ever overdrawn,
no application holding two unreversed grants, every reversal undoing a real grant. Pure."""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from contracts.ledger_format import GENESIS_HASH, entry_hash, guarded
from services.audit.rederive import Intent, check
from services.shared.policy import Policy

CLOUDEVENT_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data")
DATA_FIELDS = ("sequence", "transfer_id", "debit_account", "credit_account", "amount_fen",
               "application_id", "kind", "reverses", "prev_hash", "hash")
_ATTRIBUTES, _DATA_KEYS = frozenset(CLOUDEVENT_ATTRIBUTES), frozenset(DATA_FIELDS)
_CHECKED_KINDS = frozenset({"grant", "subsidy", "reversal", "revocation", "repayment"})


@dataclass
class AuditReport:
    entries: int = 0
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    violations: list[str] = field(default_factory=list)
    grants: int = 0
    subsidies: int = 0
    reversals: int = 0

    @property
    def passed(self) -> bool:
        return self.entries > 0 and not self.violations

    def fund_balances(self) -> dict[str, int]:
        return {a: b for a, b in sorted(self.balances.items()) if a.startswith("fund:")}


_Posted = tuple[str, int, str, str | None]
"""What later entries need of a transfer: kind, amount_fen, debit_account, application_id (the
rest of its data is let go: the replay holds millions of these; a plain tuple is the cheapest)."""
_PAYMENTS = frozenset({"grant", "subsidy"})


class _Replay:
    def __init__(self, keep_grants: bool) -> None:
        self.report = AuditReport()
        self.prev_hash = GENESIS_HASH
        self.transfers: dict[str, _Posted] = {}
        self.event_ids: set[str] = set()
        self.live_payments: dict[str | None, int] = defaultdict(int)  # application → unreversed grants/subsidies
        self.reversed: set[str] = set()
        self.grants: list[tuple[int, dict]] | None = [] if keep_grants else None  # to decide them again
        self.head_sequence: int | None = None  # a published head's: its hash is kept when passed
        self.head_hash: str | None = None
        self.owed_to: dict[str, str] = {}  # application → the fund its revoked grant came from

    def fail(self, line_no: int, message: str) -> None:
        self.report.violations.append(f"line {line_no}: {message}")

    def apply(self, n: int, event: object) -> None:
        """One parsed line (None: it was not JSON). The checks run inline, in one pass: this is
        the loop an auditor runs over millions of entries."""
        if type(event) is not dict:
            return self.fail(n, "not JSON" if event is None else "not a JSON object")
        if not event.keys() >= _ATTRIBUTES or event["specversion"] != "1.0":
            missing = [a for a in CLOUDEVENT_ATTRIBUTES if a not in event]
            return self.fail(n, f"not a CloudEvents 1.0 event (missing {missing})")
        event_id = event["id"]
        if event_id in self.event_ids:
            self.fail(n, f"duplicate event id {event_id}")
        self.event_ids.add(event_id)
        data = event["data"]
        if type(data) is not dict or not data.keys() >= _DATA_KEYS:
            return self.fail(n, "data lacks ledger fields")
        report = self.report
        report.entries += 1
        # the event's `time` must be the posting time the hash covers (`recorded_at`)
        recorded, time = data.get("recorded_at"), event["time"]
        if recorded is not None and time != recorded and _instant(time) != _instant(recorded):
            self.fail(n, f"event time {time} is not the posting time {recorded} the hash covers")
        # the chain: gap-free sequence, each entry linked to and hashed over the one before
        sequence, prev_hash, hash_ = data["sequence"], data["prev_hash"], data["hash"]
        if sequence != report.entries:
            self.fail(n, f"sequence {sequence} where {report.entries} was due")
        if prev_hash != self.prev_hash:
            self.fail(n, "prev_hash does not match the previous entry's hash")
        body = dict(data)
        del body["hash"]
        if entry_hash(prev_hash, body) != hash_:
            self.fail(n, "hash does not match the entry's content")
        self.prev_hash = hash_
        if sequence == self.head_sequence:
            self.head_hash = hash_
        transfer_id = data["transfer_id"]
        if transfer_id in self.transfers:
            self.fail(n, f"transfer {transfer_id} posted twice")
        # amounts and balances: no fund or recipient overdrawn at any point
        amount = data["amount_fen"]
        if type(amount) is not int or amount <= 0:
            self.fail(n, f"amount_fen must be a positive integer, got {amount!r}")
        else:
            balances, debit = report.balances, data["debit_account"]
            balances[debit] -= amount
            balances[data["credit_account"]] += amount
            if balances[debit] < 0 and guarded(debit):
                self.fail(n, f"{debit} overdrawn by {-balances[debit]} fen")
        if data["kind"] in _CHECKED_KINDS or data["reverses"] is not None:
            self._check_grants(n, data)
        self.transfers[transfer_id] = (data["kind"], amount, data["debit_account"], data["application_id"])

    def _check_grants(self, n: int, data: dict) -> None:
        app = data["application_id"]
        if data["kind"] == "grant":
            self.report.grants += 1
            if app is None or data["credit_account"] != f"recipient:{app}":
                self.fail(n, "grant must credit recipient:<application_id>")
            if self.live_payments[app]:
                self.fail(n, f"application {app} paid twice (unreversed grant exists)")
            self.live_payments[app] += 1
            if self.grants is not None:
                self.grants.append((n, data))
        elif data["kind"] == "subsidy":
            self._check_subsidy(n, data)
        elif data["kind"] == "reversal":
            self.report.reversals += 1
            original = self.transfers.get(data["reverses"] or "")
            if original is None or data["reverses"] in self.reversed:
                return self.fail(n, f"reversal of unknown or already reversed {data['reverses']}")
            kind, amount, debit, paid_to = original
            if amount != data["amount_fen"] or debit != data["credit_account"]:
                self.fail(n, "reversal does not mirror the transfer it reverses")
            self.reversed.add(data["reverses"])
            if kind in _PAYMENTS:
                self.live_payments[paid_to] -= 1
        elif data["kind"] == "revocation":
            self._check_revocation(n, data)
        elif data["kind"] == "repayment":
            if data["reverses"] is not None or data["debit_account"] != f"clawback:{app}" \
                    or data["credit_account"] != self.owed_to.get(app):
                self.fail(n, "a repayment moves money owed back from clawback:<application> into the fund "
                             "that paid the revoked grant")
        elif data["reverses"] is not None:
            self.fail(n, f"{data['kind']} entry must not name reverses")

    def _check_subsidy(self, n: int, data: dict) -> None:
        """An employment subsidy: from a central assistance fund, to recipient:<SUB-id>, once."""
        ref = data["application_id"]
        if not (ref or "").startswith("SUB-") or data["credit_account"] != f"recipient:{ref}":
            self.fail(n, "a subsidy must credit recipient:<SUB-id>")
        if not data["debit_account"].startswith("fund:central:"):
            self.fail(n, f"a subsidy is paid from central assistance funds, not {data['debit_account']}")
        if self.live_payments[ref]:
            self.fail(n, f"subsidy {ref} paid twice (unreversed payment exists)")
        self.report.subsidies += 1
        self.live_payments[ref] += 1

    def _check_revocation(self, n: int, data: dict) -> None:
        """A settled grant withdrawn: the same amount, from the settled account to what the
        recipient owes back; the grant no longer counts as aid given."""
        original = self.transfers.get(data["reverses"] or "")
        app = data["application_id"]
        if original is None or original[0] != "grant" or data["reverses"] in self.reversed:
            return self.fail(n, f"revocation of unknown, non-grant or already undone {data['reverses']}")
        _, amount, debit, granted_to = original
        if (amount, granted_to) != (data["amount_fen"], app) or \
                (data["debit_account"], data["credit_account"]) != ("bank:settled", f"clawback:{app}"):
            self.fail(n, "revocation does not mirror the settled grant it withdraws")
        self.report.reversals += 1
        self.reversed.add(data["reverses"])
        self.live_payments[app] -= 1
        self.owed_to[app] = debit


@dataclass(frozen=True)
class Evidence:
    """What the auditor re-decides grants from: decision events, policies by version, donor intents."""

    decisions: dict[str, dict]
    policies: dict[str, Policy]
    intents: dict[str, Intent]


def verify_lines(lines: Iterable[str | bytes], evidence: Evidence | None = None, as_of: str | None = None,
                 head: tuple[int, str] | None = None) -> AuditReport:
    """Replays the ledger (up to `as_of`, an ISO date or time, if given); with `evidence`, decides
    every grant again; with a published `head` (sequence, hash), proves the ledger holds it."""
    replay = _Replay(keep_grants=evidence is not None)
    if head:
        replay.head_sequence = head[0]
    end = _end_of(as_of) if as_of else None
    collecting = gc.isenabled()
    gc.disable()  # the replay keeps every entry and makes no cycles: the collector would only rescan them
    try:
        for n, line in enumerate(lines, start=1):
            if len(line) < 8 and not line.strip():  # a blank line (without copying every long one)
                continue
            event = _parse(line)
            if end and isinstance(event, dict) and str(event.get("time", "")) > end:
                break
            replay.apply(n, event)
    finally:
        if collecting:
            gc.enable()
    if replay.report.entries == 0:
        replay.report.violations.append("the ledger is empty")
    if head:
        _check_head(replay, *head)
    if evidence is not None:
        replay.report.violations += check(replay.grants, replay.reversed, evidence.decisions, evidence.policies,
                                          evidence.intents)
    return replay.report


def _check_head(replay: _Replay, sequence: int, hash_: str) -> None:
    """A ledger cut short, or rewritten up to the published head, does not hold the head."""
    if replay.report.entries < sequence:
        replay.report.violations.append(
            f"the ledger is cut short: {replay.report.entries} entries, the published head is at {sequence}")
    elif replay.head_hash != hash_:
        replay.report.violations.append(f"entry {sequence} does not carry the published head's hash")


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def _end_of(as_of: str) -> str:
    """A bare date includes the whole day (ISO times compare as text)."""
    return f"{as_of}T99" if len(as_of) == 10 else as_of


def load_evidence(decisions_path: str, policies_dir: str, donations_path: str | None) -> Evidence:
    """The auditor's evidence from files: decision events, policy files, donor intents."""
    from pathlib import Path

    from services.audit.rederive import approvals
    from services.shared.policy import parse_policy

    with open(decisions_path, encoding="utf-8") as f:
        decisions = approvals(json.loads(line) for line in f if line.strip())
    policies = {p.version: p for p in (parse_policy(path.read_text(encoding="utf-8"))
                                       for path in sorted(Path(policies_dir).glob("*.json")))}
    intents = {}
    if donations_path:
        with open(donations_path, encoding="utf-8") as f:
            for line in filter(str.strip, f):
                d = json.loads(line)
                intents[d["account"]] = Intent(tuple(d["org_codes"]), tuple(d["stages"]), d["per_student_cap_fen"])
    return Evidence(decisions, policies, intents)


def _parse(line: str | bytes) -> object:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
