"""structlog JSON logs with correlation ids; personal data masked in every line, ours or a library's."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from services.shared.masking import mask_value


def _mask(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return mask_value(event_dict)


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _mask,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def bind_correlation(correlation_id: str | None, causation_id: str | None = None) -> None:
    structlog.contextvars.bind_contextvars(
        correlation_id=correlation_id, causation_id=causation_id
    )
