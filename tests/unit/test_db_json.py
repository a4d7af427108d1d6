"""jsonb goes in and out through orjson, faster than json; it must read and write exactly what
json does, integers beyond 64 bits included (orjson alone would make them floats)."""

import json
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.shared.db import _from_json, _may_hold_a_long_number, _to_json
from tests.factories import application

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_values)
@example(-9223372036854775809)  # found by hypothesis in CI: a bare number beyond 64 bits, the whole value
def test_jsonb_values_round_trip_as_json_reads_and_writes_them(value):
    text = _to_json(value)
    assert json.loads(text) == value
    assert _from_json(text) == value == _from_json(json.dumps(value)) == _from_json(json.dumps(value, indent=1))


def test_an_amount_beyond_64_bits_stays_an_exact_integer():
    huge = 2**70 + 1
    assert _from_json(_to_json({"amount_fen": huge, "xs": [huge]})) == {"amount_fen": huge, "xs": [huge]}
    assert _from_json('{"bank_card": "6228488551996201806", "n": 12}') == {"bank_card": "6228488551996201806", "n": 12}


_OLD_LONG_NUMBER = re.compile(r"(?:^|[:\[,])\s*-?\d{19}")  # the first pattern (48 µs a filing)
_pieces = st.lists(st.sampled_from([":", "[", ",", "-", " ", "\n", '"', "a", "x1"])
                   | st.integers(15, 22).map(lambda n: "9" * n), max_size=12).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_pieces)
@example("-" + "1" * 19)
@example("[ -" + "1" * 20 + "]")
@example('"' + "1" * 19 + '"')
def test_every_bare_long_number_the_first_pattern_found_is_found(text):
    """Where it finds one and the pattern did not (digits split by a space, a space after the
    minus: not JSON numbers), json reads the text: slower, never wrong."""
    if _OLD_LONG_NUMBER.search(text):
        assert _may_hold_a_long_number(text)


def test_a_filing_with_a_19_digit_bank_card_is_read_by_orjson_as_postgresql_writes_it():
    stored = _to_json(application(1, bank_card="6228480000000000018").model_dump(mode="json"))
    as_postgresql_writes_it = stored.replace('":', '": ').replace(',"', ', "')
    assert "6228480000000000018" in stored
    assert not _may_hold_a_long_number(stored) and not _may_hold_a_long_number(as_postgresql_writes_it)
    assert _may_hold_a_long_number(stored.replace('"6228480000000000018"', "6228480000000000018"))
