"""The public `ledger.jsonl` format (DESIGN §4): canonical JSON and the hash chain.

`hash` = lowercase hex SHA-256 of `prev_hash` followed by the canonical JSON (UTF-8, sorted keys,
no spaces) of `data` without `hash`. The first entry's `prev_hash` is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

GENESIS_HASH = "0" * 64
LEDGER_SOURCE = "/jinqiu/disbursement"


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, data_without_hash: dict[str, Any]) -> str:
    payload = prev_hash + canonical_json(data_without_hash)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def timestamp(moment) -> str:
    """The one text form of a posting time inside `data` (UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seal(data_without_hash: dict[str, Any]) -> dict[str, Any]:
    """The entry's data with its `hash` added."""
    return {**data_without_hash, "hash": entry_hash(data_without_hash["prev_hash"], data_without_hash)}
