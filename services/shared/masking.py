"""Masks resident ID numbers, bank cards and phone numbers in any text before it is logged or
echoed back: written as one run of digits or in groups (spaces, dashes, full-width digits), as
people type them. What stays: the first 3 (phone) or 4 digits and the last 4."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_DIGITS = "0-9\uff10-\uff19"
_SEPARATOR = r"[ \-\u3000\uff0d]"
_RUN = re.compile(rf"(?<![{_DIGITS}A-Za-z])[{_DIGITS}]{{3,}}(?:{_SEPARATOR}[{_DIGITS}]{{3,}})*"
                  rf"[Xx\uff38\uff58]?(?![{_DIGITS}A-Za-z])")
# Eleven digits or more, one separator at most between two: every personal number is such a run,
# and most text (ids, times, amounts) has none, so the run-by-run check is skipped for it.
_LONG = re.compile(rf"[{_DIGITS}](?:{_SEPARATOR}?[{_DIGITS}]){{10,}}")


def _is_personal(digits: str) -> bool:
    """A phone (11 digits, 13x-19x), an ID number (15 or 18), a bank card (16-19), or anything as
    long, mistyped or not."""
    return (len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789") or len(digits) >= 15


def _mask_run(match: re.Match) -> str:
    digits = re.sub(r"[^0-9Xx]", "", unicodedata.normalize("NFKC", match.group(0)))
    if not _is_personal(digits):
        return match.group(0)
    head = 3 if len(digits) == 11 else 4
    return digits[:head] + "*" * (len(digits) - head - 4) + digits[-4:]


def may_hold_personal_data(text: str) -> bool:
    return _LONG.search(text) is not None


def mask_text(text: str) -> str:
    return _RUN.sub(_mask_run, text) if may_hold_personal_data(text) else text


def mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value


def mask_name(name: str) -> str:
    """As notices are published: 张*明, 王*."""
    if len(name) <= 1:
        return name
    return name[0] + "*" * max(1, len(name) - 2) + (name[-1] if len(name) > 2 else "")


def mask_id_number(id_number: str) -> str:
    """As notices are published: the region and the last four digits, 341621********1234."""
    return id_number[:6] + "*" * max(0, len(id_number) - 10) + id_number[-4:] if len(id_number) > 10 else "****"
