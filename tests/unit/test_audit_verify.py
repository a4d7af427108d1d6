"""The auditor's replay catches every kind of tampering and every red line."""

import json
import uuid

from contracts.ledger_format import GENESIS_HASH, seal
from services.audit.verify import verify_lines

ALLOC = ("budget:central:340000", "fund:central:341602", 500_000, "allocation", None, None)


def ledger(*transfers, tamper=None) -> list[str]:
    """JSON lines for (debit, credit, amount, kind, application_id, reverses-index) transfers."""
    lines, prev, ids = [], GENESIS_HASH, []
    for seq, (debit, credit, amount, kind, app, reverses) in enumerate(transfers, start=1):
        ids.append(str(uuid.uuid4()))
        data = seal({"sequence": seq, "transfer_id": ids[-1], "debit_account": debit, "credit_account": credit,
                     "amount_fen": amount, "application_id": app, "kind": kind,
                     "reverses": ids[reverses] if reverses is not None else None, "prev_hash": prev})
        prev = data["hash"]
        if tamper and tamper[0] == seq:
            data.update(tamper[1])
        lines.append(json.dumps({"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/jinqiu/disbursement",
                                 "type": "cn.jinqiu.ledger.transfer_posted.v1", "subject": app or credit,
                                 "time": "2023-09-01T00:00:00Z", "datacontenttype": "application/json", "data": data}))
    return lines


def grant(app, amount=200_000, fund="fund:central:341602"):
    return (fund, f"recipient:{app}", amount, "grant", app, None)


def test_a_sound_ledger_passes_and_reports_fund_balances():
    report = verify_lines(ledger(ALLOC, grant("a1"), ("recipient:a1", "bank:settled", 200_000, "settlement", "a1", None)))
    assert report.passed, report.violations
    assert report.fund_balances() == {"fund:central:341602": 300_000}


def test_an_edited_amount_breaks_the_chain():
    report = verify_lines(ledger(ALLOC, grant("a1"), tamper=(2, {"amount_fen": 100})))
    assert report.violations == ["line 2: hash does not match the entry's content"]


def test_a_missing_entry_is_a_gap():
    lines = ledger(ALLOC, grant("a1"), grant("a2"))
    report = verify_lines([lines[0], lines[2]])
    assert report.violations == ["line 2: sequence 3 where 2 was due",
                                 "line 2: prev_hash does not match the previous entry's hash"]


def test_overdrawing_a_fund_is_a_violation():
    report = verify_lines(ledger(ALLOC, grant("a1", 300_000), grant("a2", 300_000)))
    assert report.violations == ["line 3: fund:central:341602 overdrawn by 100000 fen"]


def test_paying_an_application_twice_is_a_violation():
    report = verify_lines(ledger(ALLOC, grant("a1"), grant("a1")))
    assert report.violations == ["line 3: application a1 paid twice (unreversed grant exists)"]


def test_a_reversed_grant_may_be_issued_again():
    reversal = ("recipient:a1", "fund:central:341602", 200_000, "reversal", "a1", 1)
    report = verify_lines(ledger(ALLOC, grant("a1"), reversal, grant("a1")))
    assert report.passed, report.violations
    assert (report.grants, report.reversals) == (2, 1)


def test_an_amount_must_be_a_positive_whole_number_of_fen():
    """Sealed as they are (the chain holds), so only the amount check can catch them."""
    for amount in (0, -100, 5000.0, True, "5000"):
        report = verify_lines(ledger(ALLOC, grant("a1", amount)))
        assert report.violations == [f"line 2: amount_fen must be a positive integer, got {amount!r}"], amount
        assert report.balances["fund:central:341602"] == 500_000  # nothing moved


def test_an_empty_ledger_fails():
    assert verify_lines([]).violations == ["the ledger is empty"]
    assert verify_lines(["", "  "]).violations == ["the ledger is empty"]


def test_blank_lines_are_passed_over_and_what_follows_them_is_still_checked():
    lines = ledger(ALLOC, grant("a1", 300_000), grant("a2", 300_000))
    report = verify_lines([lines[0], "", lines[1], "   ", lines[2], ""])
    assert report.entries == 3
    assert report.violations == ["line 5: fund:central:341602 overdrawn by 100000 fen"]


def test_the_replay_leaves_the_garbage_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    verify_lines(ledger(ALLOC))
    assert gc.isenabled()


def test_what_is_not_a_ledger_event_is_named_by_line():
    good = ledger(ALLOC)[0]
    not_json = verify_lines(["{nope"])
    not_cloudevent = verify_lines([json.dumps({"id": "x", "data": {}})])
    wrong_version = verify_lines([good.replace('"specversion": "1.0"', '"specversion": "0.3"')])
    no_fields = verify_lines([json.dumps({**json.loads(good), "data": {"sequence": 1}})])
    assert not_json.violations == ["line 1: not JSON", "the ledger is empty"]
    assert verify_lines(["[1, 2]"]).violations == ["line 1: not a JSON object", "the ledger is empty"]
    assert not_cloudevent.violations[0] == ("line 1: not a CloudEvents 1.0 event (missing ['specversion', "
                                            "'source', 'type', 'subject', 'time', 'datacontenttype'])")
    assert wrong_version.violations[0] == "line 1: not a CloudEvents 1.0 event (missing [])"
    assert no_fields.violations == ["line 1: data lacks ledger fields", "the ledger is empty"]
    assert (not_json.entries, no_fields.entries) == (0, 0)


def test_every_red_line_of_grants_and_reversals_is_named():
    wrong_account = ("fund:central:341602", "recipient:other", 100, "grant", "a1", None)
    report = verify_lines(ledger(ALLOC, wrong_account))
    assert report.violations == ["line 2: grant must credit recipient:<application_id>"]
    not_its_mirror = verify_lines(ledger(ALLOC, ("recipient:a1", "fund:central:341602", 100, "reversal", "a1", 0)))
    assert not_its_mirror.violations == ["line 2: recipient:a1 overdrawn by 100 fen",
                                         "line 2: reversal does not mirror the transfer it reverses"]
    twice = ("recipient:a1", "fund:central:341602", 200_000, "reversal", "a1", 1)
    lines = ledger(ALLOC, grant("a1"), twice, twice)
    report = verify_lines(lines)
    granted = json.loads(lines[1])["data"]["transfer_id"]
    assert report.violations == ["line 4: recipient:a1 overdrawn by 200000 fen",
                                 f"line 4: reversal of unknown or already reversed {granted}"]
    assert report.reversals == 2
    naming_nothing = ("recipient:a1", "fund:central:341602", 200_000, "reversal", "a1", None)
    assert verify_lines(ledger(ALLOC, grant("a1"), naming_nothing)).violations == [
        "line 3: reversal of unknown or already reversed None"]
    settlement_naming = ("recipient:a1", "bank:settled", 200_000, "settlement", "a1", 1)
    report = verify_lines(ledger(ALLOC, grant("a1"), settlement_naming))
    assert report.violations == ["line 3: settlement entry must not name reverses"]
    assert report.grants == 1 and report.balances["bank:settled"] == 200_000


def test_a_transfer_posted_twice_and_a_broken_link_are_named():
    lines = ledger(ALLOC, grant("a1"))
    replayed = json.loads(lines[1])
    replayed["data"]["sequence"] = 3
    report = verify_lines([*lines, json.dumps(replayed)])
    transfer, event = replayed["data"]["transfer_id"], replayed["id"]
    assert report.violations == [f"line 3: duplicate event id {event}",
                                 "line 3: prev_hash does not match the previous entry's hash",
                                 "line 3: hash does not match the entry's content",
                                 f"line 3: transfer {transfer} posted twice",
                                 "line 3: application a1 paid twice (unreversed grant exists)"]
    assert report.entries == 3 and report.fund_balances() == {"fund:central:341602": 300_000 - 200_000}


SETTLE = ("recipient:a1", "bank:settled", 200_000, "settlement", "a1", None)


def test_one_event_id_twice_is_named_even_when_its_entries_are_sound():
    lines = ledger(ALLOC, grant("a1"), grant("a2"))
    second, third = json.loads(lines[1]), json.loads(lines[2])
    third["id"] = second["id"]
    report = verify_lines([lines[0], lines[1], json.dumps(third)])
    assert report.violations == [f"line 3: duplicate event id {second['id']}"] and report.entries == 3


def test_a_revoked_settled_grant_is_owed_back_and_no_longer_aid_given():
    revoked = ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 1)
    report = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked))
    assert report.passed, report.violations
    assert (report.grants, report.reversals) == (1, 1)
    assert report.balances["clawback:a1"] == 200_000 and report.fund_balances() == {"fund:central:341602": 300_000}


def test_a_revocation_must_mirror_a_grant_once():
    wrong_amount = ("bank:settled", "clawback:a1", 100_000, "revocation", "a1", 1)
    wrong_account = ("bank:settled", "fund:central:341602", 200_000, "revocation", "a1", 1)
    not_a_grant = ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 2)
    twice = ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 1)
    mirror = "revocation does not mirror the settled grant it withdraws"
    undone = "revocation of unknown, non-grant or already undone {}"
    for bad, expected, reversals in [((wrong_amount,), [f"line 4: {mirror}"], 1),
                                     ((wrong_account,), [f"line 4: {mirror}"], 1),
                                     ((not_a_grant,), [f"line 4: {undone.format('{settlement}')}"], 0),
                                     ((twice, twice), [f"line 5: {undone.format('{grant}')}"], 1)]:
        lines = ledger(ALLOC, grant("a1"), SETTLE, *bad)
        ids = {name: json.loads(lines[i])["data"]["transfer_id"] for name, i in (("grant", 1), ("settlement", 2))}
        report = verify_lines(lines)
        assert report.violations == [v.format(**ids) for v in expected], bad
        assert report.reversals == reversals, bad


def test_a_signed_head_holds_only_for_its_key_sequence_and_hash():
    from contracts.checkpoint import head_problem, public_key_hex, signed_head

    head = signed_head(7, "ab" * 32, "2023-09-01T00:00:00.000000Z", "secret-1")
    assert head_problem(head, public_key_hex("secret-1")) is None
    assert head_problem(head, public_key_hex("secret-2")) == \
        "the head was signed with another key than the ledger's published one"
    changed = "the head's signature does not match its sequence, hash and time"
    assert head_problem({**head, "sequence": 6}, public_key_hex("secret-1")) == changed
    assert head_problem({**head, "hash": "cd" * 32}, public_key_hex("secret-1")) == changed
    assert head_problem({**head, "signed_at": "2023-09-02T00:00:00.000000Z"}, public_key_hex("secret-1")) == changed
    assert head_problem({k: v for k, v in head.items() if k != "signature"}, public_key_hex("secret-1")) == \
        "the head carries no valid signature"
    forged = signed_head(6, "cd" * 32, "2023-09-02T00:00:00.000000Z", "attacker")
    assert head_problem({**forged, "public_key": None}, public_key_hex("secret-1")) is not None


def test_the_head_signature_covers_the_documented_message():
    """What an auditor's own tool checks: Ed25519 over the canonical JSON of hash, sequence and
    signed_at (sorted keys, no spaces), with the published raw public key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from contracts.checkpoint import signed_head

    head = signed_head(7, "ab" * 32, "2023-09-01T00:00:00.000000Z", "secret-1")
    message = ('{"hash":"' + "ab" * 32 + '","sequence":7,"signed_at":"2023-09-01T00:00:00.000000Z"}').encode()
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
        bytes.fromhex(head["signature"]), message)  # raises InvalidSignature if the format differs


def test_money_owed_back_is_repaid_into_the_fund_that_paid_never_beyond_the_debt():
    revoked = ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 1)
    repaid = ("clawback:a1", "fund:central:341602", 150_000, "repayment", "a1", None)
    rest = ("clawback:a1", "fund:central:341602", 50_000, "repayment", "a1", None)
    report = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked, repaid, rest))
    assert report.passed, report.violations
    assert report.balances["clawback:a1"] == 0 and report.fund_balances() == {"fund:central:341602": 500_000}
    too_much = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked, repaid, rest, rest))
    assert too_much.violations == ["line 7: clawback:a1 overdrawn by 50000 fen"]
    rule = ("a repayment moves money owed back from clawback:<application> into the fund that paid the revoked "
            "grant")
    elsewhere = ("clawback:a1", "fund:provincial:341602", 150_000, "repayment", "a1", None)
    assert verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked, elsewhere)).violations == [f"line 5: {rule}"]
    naming_the_grant = ("clawback:a1", "fund:central:341602", 150_000, "repayment", "a1", 1)
    assert verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked, naming_the_grant)).violations == [
        f"line 5: {rule}"]
    unowed = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, repaid))
    assert unowed.violations == ["line 4: clawback:a1 overdrawn by 150000 fen", f"line 4: {rule}"]


def test_only_undoing_the_grant_itself_lets_the_application_be_paid_again():
    """A reversed settlement leaves the grant standing; a revoked grant no longer counts."""
    settlement_undone = ("bank:settled", "recipient:a1", 200_000, "reversal", "a1", 2)
    report = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, settlement_undone, grant("a1")))
    assert report.violations == ["line 5: application a1 paid twice (unreversed grant exists)"]
    revoked = ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 1)
    report = verify_lines(ledger(ALLOC, grant("a1"), SETTLE, revoked, grant("a1")))
    assert report.passed, report.violations
    undone_then_revoked = ledger(ALLOC, grant("a1"), ("recipient:a1", "fund:central:341602", 200_000, "reversal",
                                                      "a1", 1), grant("a1"), SETTLE,
                                 ("bank:settled", "clawback:a1", 200_000, "revocation", "a1", 3))
    report = verify_lines(undone_then_revoked)
    assert report.passed and (report.grants, report.reversals) == (2, 2), report.violations


def subsidy(ref="SUB-g1", fund="fund:central:341602", credit=None):
    return (fund, credit or f"recipient:{ref}", 120_000, "subsidy", ref, None)


def test_an_employment_subsidy_comes_from_central_funds_to_its_own_recipient_once():
    assert verify_lines(ledger(ALLOC, subsidy())).passed
    province = ("budget:province:340000", "fund:province:341602", 500_000, "allocation", None, None)
    undo_first = ("recipient:SUB-g1", "fund:central:341602", 120_000, "reversal", "SUB-g1", 1)
    for bad, expected in [
            ((province, subsidy(fund="fund:province:341602")),
             ["line 3: a subsidy is paid from central assistance funds, not fund:province:341602"]),
            ((subsidy(credit="recipient:a1"),), ["line 2: a subsidy must credit recipient:<SUB-id>"]),
            ((subsidy(ref="a1"),), ["line 2: a subsidy must credit recipient:<SUB-id>"]),
            ((subsidy(), subsidy(), undo_first, subsidy()),
             ["line 3: subsidy SUB-g1 paid twice (unreversed payment exists)",
              "line 5: subsidy SUB-g1 paid twice (unreversed payment exists)"])]:
        assert verify_lines(ledger(ALLOC, *bad)).violations == expected, bad
    report = verify_lines(ledger(ALLOC, subsidy(), undo_first, subsidy()))
    assert report.passed and report.subsidies == 2, report.violations


def test_a_grant_paid_twice_stays_live_until_both_are_undone():
    undo_first = ("recipient:a1", "fund:central:341602", 100_000, "reversal", "a1", 1)
    report = verify_lines(ledger(ALLOC, grant("a1", 100_000), grant("a1", 100_000), undo_first,
                                 grant("a1", 100_000)))
    assert [v.split(":")[0] for v in report.violations if "paid twice" in v] == ["line 3", "line 5"]
