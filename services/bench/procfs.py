"""CPU time and memory of processes, read from /proc: what the benchmarks charge to each part of the
system."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int | str) -> tuple[str, float, float]:
    """(command name, CPU seconds of the process itself, CPU seconds of its children that have
    exited and been waited for)."""
    comm, rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
    fields = rest.split()
    return (comm.split("(", 1)[1], (int(fields[11]) + int(fields[12])) / _TICK,
            (int(fields[13]) + int(fields[14])) / _TICK)


def cpu_seconds(pid: int) -> float:
    return process_cpu(pid)[1]


def memory_kb(pid: int | str, field: str) -> int:
    """A memory figure of /proc/PID/status in kB: `VmRSS` resident now, `VmHWM` the peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ValueError(f"no {field} for process {pid}")
