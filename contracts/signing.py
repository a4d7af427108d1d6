"""Signed credentials for events that union levels publish: HMAC-SHA256 with the org's key."""

from __future__ import annotations

import hashlib
import hmac

from contracts.envelope import Envelope
from contracts.ledger_format import canonical_json


def _message(envelope: Envelope) -> bytes:
    return "\n".join([envelope.id, envelope.type, envelope.orgcode or "", canonical_json(envelope.data)]).encode()


def sign(envelope: Envelope, key: str) -> Envelope:
    mac = hmac.new(key.encode(), _message(envelope), hashlib.sha256).hexdigest()
    return envelope.model_copy(update={"orgsignature": mac})


def verify(envelope: Envelope, key: str) -> bool:
    expected = hmac.new(key.encode(), _message(envelope), hashlib.sha256).hexdigest()
    return envelope.orgsignature is not None and hmac.compare_digest(expected, envelope.orgsignature)
