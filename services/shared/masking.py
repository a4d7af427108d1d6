"""Masks resident ID numbers, bank cards and phone numbers in any text before it is logged."""

from __future__ import annotations

import re
from typing import Any

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_BANK_CARD = re.compile(r"(?<!\d)\d{12,15}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1**********\2", text)
    text = _BANK_CARD.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(1), text)
    return _PHONE.sub(r"\1****\2", text)


def mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value
