"""structlog JSON logs with correlation ids; personal data masked in every line, ours or a library's."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

import orjson
import structlog

from services.shared.masking import mask_value, may_hold_personal_data


def _json(value: Any, **_: Any) -> str:
    """One line of JSON, no spaces, UTF-8 as is: orjson, several times faster than json; what it
    cannot write (integers beyond 64 bits, broken encodings) goes through json, as ASCII."""
    try:
        return orjson.dumps(value, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, default=repr, separators=(",", ":"))


def _render(_: Any, __: str, event_dict: dict[str, Any]) -> str:
    """The line, masked: digits are written as they are in JSON, so a line with no long run of
    digits has nothing to mask (most lines; one search of the whole line), and the others are
    written again from their values masked one by one."""
    line = _json(event_dict)
    return _json(mask_value(event_dict)) if may_hold_personal_data(line) else line


class _LineWriter(structlog.WriteLogger):
    """structlog's own writer (a line per event, straight to the stream) with the logger's name
    for `add_logger_name`: stdlib logging's record, handler and formatter cost twice the event
    itself (84 µs a line → 24, measured)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        super().__init__(stream)
        self.name = name


class HeldRepeats(logging.Filter):
    """A library's warning or error repeated within `every` seconds (by logger and text before
    its arguments) is held back and counted; the next one let through says how many were held. While
    the broker was away for 16 s, aiokafka's reconnect attempts wrote about 2,000 identical errors
    per service; the operator needs the first, and that it went on."""

    def __init__(self, every: float = 10.0) -> None:
        super().__init__()
        self.every = every
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # key -> (last let through, held since)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True  # a library's information (FastStream's per-batch lines) is not a flood of failures
        key = (record.name, str(record.msg))
        passed, held = self._seen.get(key, (None, 0))
        if passed is not None and record.created - passed < self.every:
            self._seen[key] = (passed, held + 1)
            return False
        self._seen[key] = (record.created, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the {record.created - passed:.0f} s before)"
        return True


def configure_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Our own events go through structlog alone; libraries' stdlib records (aiokafka, uvicorn)
    through the same processors into the same stream. Every value of a line is masked, the
    context merged in (correlation id, org, user) and a traceback written out included."""
    stream = stream or sys.stderr
    threshold = logging.getLevelNamesMapping()[level.upper()]
    context: list[Any] = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
                          structlog.stdlib.add_logger_name]
    rendering: list[Any] = [structlog.processors.format_exc_info,
                            structlog.processors.TimeStamper(fmt="iso", utc=True), _render]
    structlog.configure(
        processors=[*context, *rendering],
        logger_factory=lambda *args: _LineWriter(stream, args[0] if args else ""),
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=context,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(HeldRepeats())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(threshold)
    for noisy in ("aiokafka", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def bind_correlation(correlation_id: str | None, causation_id: str | None = None) -> None:
    structlog.contextvars.bind_contextvars(
        correlation_id=correlation_id, causation_id=causation_id
    )
