"""Intake refuses bad personal data with stable codes and Chinese messages; ids are idempotent."""

import pytest
from pydantic import ValidationError

from services.intake.domain import ApplicationForm, application_id_for
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
