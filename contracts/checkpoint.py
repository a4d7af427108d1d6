"""The published ledger head (`ledger.head.json`): sequence and hash of the last entry, signed
with Ed25519 by the disbursement service's ledger key. An auditor holding only the public key
(`jinqiu audit public-key`, published once to the level above) can prove that a ledger copy is
neither cut short nor rewritten up to that head, and that the head itself came from the ledger.

The ledger key is derived from disbursement's signing secret, so no new secret is handed out.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from contracts.ledger_format import canonical_json

_DERIVATION = b"jinqiu ledger head v1:"


def ledger_key(secret: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_DERIVATION + secret.encode()).digest())


def public_key_hex(secret: str) -> str:
    return ledger_key(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _message(sequence: int, hash_: str, signed_at: str) -> bytes:
    return canonical_json({"sequence": sequence, "hash": hash_, "signed_at": signed_at}).encode()


def signed_head(sequence: int, hash_: str, signed_at: str, secret: str) -> dict:
    signature = ledger_key(secret).sign(_message(sequence, hash_, signed_at)).hex()
    return {"sequence": sequence, "hash": hash_, "signed_at": signed_at, "public_key": public_key_hex(secret),
            "signature": signature}


def head_problem(head: dict, public_key: str) -> str | None:
    """Why `head` is not a checkpoint signed by the holder of `public_key` (None: it is)."""
    if head.get("public_key") not in (None, public_key):
        return "the head was signed with another key than the ledger's published one"
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(head["signature"]), _message(head["sequence"], head["hash"], head["signed_at"]))
    except (KeyError, ValueError, TypeError):
        return "the head carries no valid signature"
    except InvalidSignature:
        return "the head's signature does not match its sequence, hash and time"
    return None
