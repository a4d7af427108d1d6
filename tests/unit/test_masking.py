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



def test_every_log_line_is_json_with_personal_numbers_masked_ours_libraries_and_tracebacks():
    """The log pipeline masks a line only where it holds a long run of digits (its fast path);
    this holds it to masking every place a number can reach a line."""
    import io
    import json
    import logging

    import structlog

    from services.shared.logging import configure_logging

    card, person, phone = bank_card(), id_number(), "13912345678"
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        log = structlog.get_logger("tests.masking")
        structlog.contextvars.bind_contextvars(correlation_id="c-1", user=f"clerk {phone}")
        log.info("filed", form={"student": {"id_number": person}, "cards": [card]}, amount_fen=310300)
        log.debug("not written", id_number=person)
        try:
            raise ValueError(f"card {card} refused")
        except ValueError:
            log.exception("failed")
        logging.getLogger("aiokafka").warning("record for %s", person)
        logging.getLogger("aiokafka").warning("record for %s", person)  # a repeat at once: held back
        log.info("plain", application_id="e4b3c9a2-1f1e-4c7b-9a57-d2d7c7e5b1a0")
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.reset_defaults()
        logging.getLogger().handlers[:] = []
        logging.getLogger().setLevel(logging.WARNING)
    text = stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines] == ["filed", "failed", "record for " + person[:4] + "*" * 10 + person[-4:],
                                                  "plain"]
    assert not [s for s in (card, person, phone) if s in text]
    assert lines[0]["form"]["student"]["id_number"] == person[:4] + "*" * 10 + person[-4:]
    assert lines[0]["amount_fen"] == 310300 and lines[0]["user"] == "clerk 139****5678"
    assert "ValueError: card " + card[:4] in lines[1]["exception"] and lines[1]["level"] == "error"
    assert lines[2]["logger"] == "aiokafka" and lines[0]["logger"] == "tests.masking"
    assert lines[3]["application_id"] == "e4b3c9a2-1f1e-4c7b-9a57-d2d7c7e5b1a0" and lines[3]["correlation_id"] == "c-1"


def test_a_library_message_repeated_within_ten_seconds_is_held_and_counted_on_the_next_let_through():
    """aiokafka retries a dead broker every 50-100 ms; the log keeps the first error of each kind
    and, ten seconds on, one more that says how many were held."""
    import logging

    from services.shared.logging import HeldRepeats

    held = HeldRepeats(every=10.0)

    def record(msg: str, at: float, *args: object, name: str = "aiokafka", level: int = logging.ERROR):
        r = logging.LogRecord(name, level, __file__, 1, msg, args, None)
        r.created = at
        return r

    refused = "Unable connect to node with id %s: %s"
    passed = [r.getMessage() for r in (
        record(refused, 100.0, 1, "refused"),
        *(record(refused, 100.0 + i / 10, 1, "refused") for i in range(1, 100)),  # to 109.9 s
        record("Unable to update metadata from %s", 100.5, [1]),  # another text: its own count
        record(refused, 100.7, 1, "refused", name="aiokafka.consumer"),  # another logger: its own count
        record(refused, 110.0, 1, "refused"),
        record(refused, 110.5, 1, "refused"),
        record(refused, 125.0, 1, "refused"),
        *(record("Received", 130.0, level=logging.INFO) for _ in range(3)),  # information passes
    ) if held.filter(r)]
    assert passed == [
        "Unable connect to node with id 1: refused",
        "Unable to update metadata from [1]",
        "Unable connect to node with id 1: refused",
        "Unable connect to node with id 1: refused (and 99 more like it in the 10 s before)",
        "Unable connect to node with id 1: refused (and 1 more like it in the 15 s before)",
        "Received", "Received", "Received",
    ]
