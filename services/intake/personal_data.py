"""Validation of personal data with python-stdnum; errors carry a stable code and Chinese text."""

from __future__ import annotations

import hashlib
import re

from pydantic_core import PydanticCustomError
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError

_PHONE = re.compile(r"^1[3-9]\d{9}$")


_ID_PROBLEMS = {
    InvalidLength: "长度应为18位",
    InvalidFormat: "前17位应为数字",
    InvalidChecksum: "校验码错误，请核对号码",
    InvalidComponent: "出生日期或地区码无效",
}


def valid_id_number(value: str) -> str:
    try:
        return ric.validate(value.strip().upper())
    except StdnumError as exc:
        why = _ID_PROBLEMS.get(type(exc), "格式错误")
        raise PydanticCustomError("invalid_id_number", "居民身份证号码无效：{why}", {"why": why}) from None


def valid_bank_card(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit() or not 16 <= len(digits) <= 19:
        raise PydanticCustomError("invalid_bank_card", "银行卡号应为16至19位数字")
    try:
        return luhn.validate(digits)
    except StdnumError:
        raise PydanticCustomError("invalid_bank_card", "银行卡号校验位错误，请核对卡号") from None


def valid_phone(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _PHONE.match(value.strip()):
        raise PydanticCustomError("invalid_phone", "手机号码应为11位，以1开头")
    return value.strip()


def student_key(id_number: str) -> str:
    """A stable pseudonym for a student: the partition key, free of personal data."""
    return hashlib.sha256(f"jinqiu-student:{id_number}".encode()).hexdigest()[:32]
