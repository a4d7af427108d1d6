"""Intake refuses bad personal data with stable codes and Chinese messages; ids are idempotent."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import PydanticCustomError
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from services.intake.domain import _UNPRINTABLE, ApplicationForm, _strings, application_id_for, has_unprintable_text
from services.intake.personal_data import _ID_PROBLEMS, valid_id_number
from tests.factories import form


def codes(exc: ValidationError) -> dict[str, str]:
    return {".".join(map(str, e["loc"])): e["type"] for e in exc.errors()}


@pytest.mark.parametrize(("override", "field", "code"), [
    ({"student": {"id_number": "341602200703010010"}}, "student.id_number", "invalid_id_number"),
    ({"bank_card": "6228480000000000001"}, "bank_card", "invalid_bank_card"),
    ({"bank_card": "1234"}, "bank_card", "invalid_bank_card"),
    ({"phone": "2391234567"}, "phone", "invalid_phone"),
    ({"org_code": "34160"}, "org_code", "string_pattern_mismatch"),
    ({"tuition_invoice_fen": 1500.5}, "tuition_invoice_fen", "int_from_float"),
])
def test_bad_input_is_refused_with_a_stable_code(override, field, code):
    with pytest.raises(ValidationError) as caught:
        ApplicationForm.model_validate(form(**override))
    assert codes(caught.value)[field] == code


def test_id_number_error_is_explained_in_chinese():
    with pytest.raises(ValidationError) as caught:
        ApplicationForm.model_validate(form(student={"id_number": "341602200703010010"}))
    assert "身份证" in caught.value.errors()[0]["msg"]


def test_the_same_submission_maps_to_the_same_application():
    assert application_id_for("341602", "s-1") == application_id_for("341602", "s-1")
    assert application_id_for("341602", "s-1") != application_id_for("341621", "s-1")


@settings(max_examples=2000, deadline=None)
@given(region=st.sampled_from(["341602", "341621", "110101", "510107", "999999", "341600", "130000"]),
       year=st.integers(1890, 2040), month=st.integers(0, 13), day=st.integers(0, 32), serial=st.integers(0, 999),
       check=st.sampled_from([None, *"0123456789X"]), cut=st.one_of(st.none(), st.integers(0, 17)))
def test_the_id_number_check_agrees_with_stdnum(region, year, month, day, serial, check, cut):
    """Ours caches stdnum's birth-place lookup per region and year: it must accept and refuse
    exactly what `stdnum.cn.ric.validate` does, with the reason stdnum gives."""
    body = f"{region}{year:04d}{month:02d}{day:02d}{serial:03d}"
    number = (body + (check or ric.calc_check_digit(body + "0")))[:cut]
    try:
        expected = ric.validate(number)
    except StdnumError as exc:
        with pytest.raises(PydanticCustomError) as refused:
            valid_id_number(number)
        assert refused.value.context["why"] == _ID_PROBLEMS.get(type(exc), "格式错误")
    else:
        assert valid_id_number(number) == expected


# Text with at most one odd piece in it (so that each kind is seen alone): a control character,
# DEL, a lone surrogate, or backslashes and quotes that are only text.
_ODD = st.sampled_from(["\\", '"', "\\n", "\\\\", '\\"', "\\u0000", "\n", "\r", "\t", "\x00", "\x1f", "\x7f",
                        "\\\x7f", "\x80", "\ud800", "\udfff", "\U0001f600", "中"])
_CLEAN = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=4)
_TEXT = _CLEAN | st.builds(lambda before, odd, after: before + odd + after, _CLEAN, _ODD, _CLEAN)
_FORM_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70) | st.floats() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(_TEXT | st.integers(), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=600, deadline=None)
@given(_FORM_LIKE)
def test_the_printable_text_check_finds_exactly_what_a_walk_of_every_string_finds(data):
    """The one-pass check (the form as orjson writes it) against its definition: any string,
    key or value, at any depth, holding a control character, DEL or a lone surrogate."""
    expected = _UNPRINTABLE.search("".join(_strings(data))) is not None
    assert has_unprintable_text(data) is expected


def test_a_control_character_anywhere_in_a_form_refuses_it():
    for where in ({"worker": {**form()["worker"], "name": "王\r强"}}, {"school_note\x00": "x"},
                  {"documents": [{"kind": "附件5", "location": "s3://x/\ud800", "sha256": "0" * 64}]}):
        with pytest.raises(ValidationError) as caught:
            ApplicationForm.model_validate({**form(), **where})
        assert [e["type"] for e in caught.value.errors()] == ["invalid_characters"]
    assert ApplicationForm.model_validate({**form(), "household_id": 'a\\nb"\\'})  # backslashes are text
