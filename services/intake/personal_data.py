"""Validation of personal data with python-stdnum; errors carry a stable code and Chinese text."""

from __future__ import annotations

import functools
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
    """stdnum's checks, in its order (length, digits, check digit, birth date, birth place); the
    birth place (a search of stdnum's region table, a tenth of intake's work per filing) is
    looked up once per region and birth year: thousands of applicants share a county."""
    try:
        number = ric.compact(value.strip().upper())
        if len(number) != 18:
            raise InvalidLength()
        if not number[:-1].isdigit():
            raise InvalidFormat()
        if number[-1] != ric.calc_check_digit(number):
            raise InvalidChecksum()
        if not _region_existed(number[:6], ric.get_birth_date(number).year):
            raise InvalidComponent()
        return number
    except StdnumError as exc:
        why = _ID_PROBLEMS.get(type(exc), "格式错误")
        raise PydanticCustomError("invalid_id_number", "居民身份证号码无效：{why}", {"why": why}) from None


@functools.lru_cache(maxsize=65536)
def _region_existed(region: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{region}{year}01010000")
        return True
    except StdnumError:
        return False


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
