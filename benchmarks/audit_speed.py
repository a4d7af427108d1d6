"""`python -m benchmarks.audit_speed [--entries N]`: how fast `jinqiu audit verify` replays a
ledger: writes a valid N-entry ledger.jsonl (allocations, grants, settlements), then
times the replay with and without --as-of, on one core, a few rounds each (best, median and
worst: this machine's speed wanders), and the memory a replay holds. A benchmark, not a test."""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts.envelope import Envelope
from contracts.ledger_format import GENESIS_HASH, seal, timestamp
from services.audit.verify import verify_lines
from services.bench.procfs import memory_kb


def write_ledger(path: Path, entries: int) -> None:
    start, prev = datetime(2023, 8, 21, tzinfo=UTC), GENESIS_HASH
    with path.open("w", encoding="utf-8") as f:
        for n in range(1, entries + 1):
            app = f"app-{(n - 1) // 3:08d}"
            moment = start + timedelta(milliseconds=n)
            kind, debit, credit = {
                1: ("allocation", "budget:central:340000", "fund:central:341602"),
                2: ("grant", "fund:central:341602", f"recipient:{app}"),
                0: ("settlement", f"recipient:{app}", "bank:settled")}[n % 3]
            data = seal({"sequence": n, "transfer_id": str(uuid.uuid4()), "debit_account": debit,
                         "credit_account": credit, "amount_fen": 200_000,
                         "application_id": None if kind == "allocation" else app, "kind": kind,
                         "reverses": None, "prev_hash": prev, "recorded_at": timestamp(moment)})
            prev = data["hash"]
            f.write(Envelope(source="/jinqiu/disbursement", type="cn.jinqiu.ledger.transfer_posted.v1",
                             subject=data["application_id"] or credit, time=moment, data=data).to_json() + "\n")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--entries", type=int, default=300_000)
    p.add_argument("--rounds", type=int, default=3, help="replays of each kind (the machine's speed wanders)")
    args = p.parse_args()
    if args.rounds < 1 or args.entries < 1:
        p.error("--entries and --rounds must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.jsonl"
        write_ledger(path, args.entries)
        before_kb = memory_kb("self", "VmRSS")
        for label, as_of in (("full replay", None), ("--as-of 2023-12-31", "2023-12-31")):
            rates = sorted(_replay_rate(path, as_of) for _ in range(args.rounds))
            print(f"{label}: {args.entries:,} entries, best {rates[-1]:,.0f} entries/s, median "
                  f"{rates[len(rates) // 2]:,.0f}, worst {rates[0]:,.0f} ({args.rounds} round{'s' * (args.rounds > 1)})")
    held = (memory_kb("self", "VmHWM") - before_kb) * 1024
    print(f"memory held by a replay: {held / 2**20:,.0f} MB, {held / args.entries:,.0f} bytes per entry (to catch a "
          "repeated id or transfer and to check reversals)")


def _replay_rate(path: Path, as_of: str | None) -> float:
    started = time.perf_counter()
    with path.open("rb") as f:
        report = verify_lines(f, as_of=as_of)
    seconds = time.perf_counter() - started
    assert report.passed, report.violations[:3]
    return report.entries / seconds


if __name__ == "__main__":
    main()
