"""No full ID number, bank card or phone number survives a log line."""

import re

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


def test_masks_numbers_typed_with_spaces_dashes_or_full_width_digits():
    pid, card = id_number(), bank_card(7)
    spaced_card = " ".join(card[i:i + 4] for i in range(0, len(card), 4))
    dashed_id = f"{pid[:6]}-{pid[6:14]}-{pid[14:]}"
    full_width_phone = "１３９１２３４５６７８"
    masked = mask_text(f"卡号 {spaced_card}，身份证 {dashed_id}，电话 {full_width_phone}，手机 139-1234-5678")
    assert not re.search(r"\d{5,}", re.sub(r"[ \-]", "", masked))  # no more than 4 digits in a row survive
    assert card[-4:] in masked and pid[-4:] in masked and "139****5678" in masked


def test_leaves_amounts_dates_and_message_ids_alone():
    line = "amount 200000 on 2023-08-01 id 0-1-1795386750344 year 2023"
    assert mask_text(line) == line

