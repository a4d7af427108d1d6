"""No full ID number, bank card or phone number survives a log line."""

from services.shared.masking import mask_text, mask_value
from tests.factories import bank_card, id_number


def test_masks_id_numbers_cards_and_phones_in_text():
    pid, card = id_number(), bank_card(42)
    line = f"student {pid} card {card} phone 13912345678 amount 200000"
    masked = mask_text(line)
    assert pid not in masked and card not in masked and "13912345678" not in masked
    assert pid[:4] in masked and card[-4:] in masked and "139****5678" in masked
    assert "200000" in masked


def test_masks_nested_structures():
    pid = id_number()
    masked = mask_value({"form": {"worker": [pid, "x"]}})
    assert pid not in str(masked)
