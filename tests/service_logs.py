"""What the service processes of a failed end-to-end test were doing: their warnings and errors
by kind, the outbox backlog and consumer lag they last reported, and their stderr. Printed by a
test before it re-raises, so that a failure in CI (where the logs go with the temporary
directory) says whether a relay, a consumer or the broker was stuck."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from services.shared.metrics import CONSUMER_LAG, OUTBOX_AGE, OUTBOX_BACKLOG

GAUGES = tuple(gauge.describe()[0].name for gauge in (OUTBOX_BACKLOG, OUTBOX_AGE, CONSUMER_LAG))


def _parsed(line: str) -> dict | None:
    """A log line, or None for a line that is not one (a process killed mid-write leaves half)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and "event" in record else None


def summary(logs: Path) -> str:
    lines = []
    for log in sorted(logs.glob("*.jsonl")):
        if log.name.endswith(".traces.jsonl"):
            continue
        service = log.name.removesuffix(".jsonl")
        records = [record for line in log.read_text(errors="replace").splitlines() if (record := _parsed(line))]
        troubles = [r for r in records if r.get("level") in ("warning", "error", "critical")]
        lines.append(f"== {service}: {len(records)} log lines, {len(troubles)} warnings or errors, "
                     f"{records[0]['timestamp'] if records else '-'} .. {records[-1]['timestamp'] if records else '-'}")
        kinds = Counter(r["event"][:90] for r in troubles)
        lines += [f"   {n:6d} × {kind}" for kind, n in kinds.most_common(12)]
        if troubles:
            lines.append(f"   last: {troubles[-1]['timestamp']} {troubles[-1]['event'][:200]}")
        metrics = logs / f"{service}.metrics.txt"
        if metrics.exists():
            lines += [f"   {line}" for line in metrics.read_text().splitlines() if line.startswith(GAUGES)]
        stderr = logs / f"{service}.stderr"
        if stderr.exists() and stderr.stat().st_size:
            lines.append("   stderr: " + stderr.read_text(errors="replace")[-1500:])
    return "\n".join(lines)
