"""Signed events: HMAC-SHA256, with the signer's key, over every attribute but the signature
itself (id, type, source, subject, time, the extensions and the data), so that no part of an
event can be changed, nor the event re-attributed, without the signature failing."""

from __future__ import annotations

import hashlib
import hmac

from contracts.envelope import Envelope
from contracts.ledger_format import canonical_bytes


def _message(envelope: Envelope, signer: str | None) -> bytes:
    attributes = envelope.attributes()
    attributes["signer"] = signer
    del attributes["signature"]
    return canonical_bytes(attributes)


def sign(envelope: Envelope, signer: str, key: str) -> Envelope:
    mac = hmac.new(key.encode(), _message(envelope, signer), hashlib.sha256).hexdigest()
    return envelope.model_copy(update={"signer": signer, "signature": mac})


def verify(envelope: Envelope, key: str) -> bool:
    if envelope.signature is None:
        return False
    expected = hmac.new(key.encode(), _message(envelope, envelope.signer), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, envelope.signature)
