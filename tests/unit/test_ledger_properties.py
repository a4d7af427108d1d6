"""Properties of the ledger and its auditor, for any season hypothesis can think of: a ledger
built by the rules always passes the audit, and each way of breaking a rule is always caught.
Also: yuan with two decimals become fen exactly."""

from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.audit.verify import verify_lines
from services.intake.spreadsheet import yuan_to_fen
from tests.unit.test_audit_verify import ledger

FUNDS = ("fund:central:341602", "fund:provincial:341621")

# One step of a season: money in, a grant, the bank settling it, or the bank refusing it.
step = st.one_of(
    st.tuples(st.just("allocate"), st.sampled_from(FUNDS), st.integers(1, 10_000_000)),
    st.tuples(st.just("grant"), st.sampled_from(FUNDS), st.integers(1, 500_000)),
    st.tuples(st.just("settle"), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("refuse"), st.integers(0, 50), st.just(0)),
)


def by_the_rules(steps) -> list[tuple]:
    """The transfers a correct disbursement would post for these steps (impossible steps skipped)."""
    transfers, balance, live = [], dict.fromkeys(FUNDS, 0), {}
    for kind, target, amount in steps:
        if kind == "allocate":
            transfers.append((f"budget:{target.split(':')[1]}:340000", target, amount, "allocation", None, None))
            balance[target] += amount
        elif kind == "grant" and balance[target] >= amount:
            app = f"a{len(transfers)}"
            transfers.append((target, f"recipient:{app}", amount, "grant", app, None))
            balance[target] -= amount
            live[app] = (len(transfers) - 1, target, amount)
        elif kind in ("settle", "refuse") and live:
            app = sorted(live)[target % len(live)]
            index, fund, paid = live.pop(app)
            if kind == "settle":
                transfers.append((f"recipient:{app}", "bank:settled", paid, "settlement", app, None))
            else:
                transfers.append((f"recipient:{app}", fund, paid, "reversal", app, index))
                balance[fund] += paid
    return transfers


seasons = st.lists(step, min_size=1, max_size=40).map(by_the_rules).filter(bool)


@settings(max_examples=150, deadline=None)
@given(seasons)
def test_a_ledger_built_by_the_rules_passes_and_no_fund_goes_below_zero(transfers):
    report = verify_lines(ledger(*transfers))
    assert report.passed, report.violations
    assert all(balance >= 0 for balance in report.fund_balances().values())


def grants_of(transfers):
    return [i for i, t in enumerate(transfers) if t[3] == "grant"]


@settings(max_examples=100, deadline=None)
@given(seasons.filter(grants_of), st.integers(0, 1000))
def test_paying_a_recipient_out_twice_is_caught(transfers, pick):
    debit, credit, amount, _, app, _ = transfers[grants_of(transfers)[pick % len(grants_of(transfers))]]
    twice = [*transfers, (credit, "bank:settled", amount, "settlement", app, None),
             (credit, "bank:settled", amount, "settlement", app, None)]
    assert not verify_lines(ledger(*twice)).passed


@settings(max_examples=100, deadline=None)
@given(seasons.filter(grants_of), st.integers(0, 1000), st.sampled_from(["amount", "fund", "account"]))
def test_a_reversal_that_does_not_mirror_its_grant_is_caught(transfers, pick, how):
    index = grants_of(transfers)[pick % len(grants_of(transfers))]
    fund, recipient, amount, _, app, _ = transfers[index]
    if any(t[5] == index for t in transfers) or any(t[3] == "settlement" and t[4] == app for t in transfers):
        return  # already settled or reversed: a reversal now is wrong for another reason
    other_fund = next(f for f in FUNDS if f != fund)
    wrong = {"amount": (recipient, fund, amount - 1 if amount > 1 else amount + 1),
             "fund": (recipient, other_fund, amount),
             "account": ("recipient:someone-else", fund, amount)}[how]
    reversal = (*wrong, "reversal", app, index)
    assert not verify_lines(ledger(*transfers, reversal)).passed


@settings(max_examples=100, deadline=None)
@given(seasons, st.integers(0, 1000))
def test_the_same_event_id_twice_is_caught(transfers, pick):
    import json

    lines = ledger(*transfers)
    if len(lines) < 2:
        return
    last = json.loads(lines[-1])
    last["id"] = json.loads(lines[pick % (len(lines) - 1)])["id"]  # an earlier entry's event id
    assert not verify_lines([*lines[:-1], json.dumps(last)]).passed


@given(st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False))
def test_yuan_with_two_decimals_become_fen_exactly(yuan):
    assert yuan_to_fen(str(yuan)) == int(yuan * 100)
    assert yuan_to_fen(f"{yuan:,.2f}") == int(yuan * 100)  # as Excel formats it: 1,234.50


@given(st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3).filter(lambda y: y != y.quantize(Decimal("0.01"))))
def test_a_fraction_of_a_fen_is_refused_not_rounded(yuan):
    import pytest

    from services.intake.spreadsheet import RowError

    with pytest.raises(RowError):
        yuan_to_fen(str(yuan))


LEDGER_VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                          st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40))


@given(st.dictionaries(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12),
                       st.one_of(LEDGER_VALUES, st.integers(min_value=2**64, max_value=2**80)), max_size=12))
@example({"收款人": "王小明", "b": 2**70, "a": 1})  # beyond 64 bits: the fallback too sorts and keeps UTF-8
@settings(max_examples=300)
def test_the_fast_canonical_form_is_byte_for_byte_the_specified_one(data):
    import json

    from contracts.ledger_format import canonical_bytes

    specified = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert canonical_bytes(data) == specified


def test_integers_beyond_64_bits_still_hash_in_the_specified_form():
    from contracts.ledger_format import canonical_bytes, compact_bytes

    data = {"收款人": "王小明", "amount_fen": 2**70, "a": [1, 2]}
    assert canonical_bytes(data) == '{"a":[1,2],"amount_fen":1180591620717411303424,"收款人":"王小明"}'.encode()
    assert compact_bytes(data) == '{"收款人":"王小明","amount_fen":1180591620717411303424,"a":[1,2]}'.encode()


@given(st.dictionaries(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12),
                       st.one_of(LEDGER_VALUES, st.integers(min_value=2**64, max_value=2**80)), max_size=12))
@settings(max_examples=200)
def test_an_envelope_on_the_wire_is_byte_for_byte_the_compact_json_form(data):
    import json

    from contracts.envelope import Envelope

    envelope = Envelope(source="/jinqiu/test", type="cn.jinqiu.test.v1", data=data)
    attributes = {k: v for k, v in envelope.model_dump(mode="json").items() if v is not None or k == "data"}
    assert envelope.to_bytes() == json.dumps(attributes, ensure_ascii=False, separators=(",", ":")).encode()
    assert Envelope.from_bytes(envelope.to_bytes()) == envelope
