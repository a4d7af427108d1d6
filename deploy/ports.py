"""Local ports: one free to listen on, and waiting until a server started on one listens."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, what: str, alive: Callable[[], str | None] = lambda: None) -> None:
    """Until something accepts on `port`; `alive` says why the server exited (then this fails at
    once with that reason, not after the timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        failure = alive()
        if failure:
            raise RuntimeError(f"{what} exited: {failure}")
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port} within {timeout}s")
