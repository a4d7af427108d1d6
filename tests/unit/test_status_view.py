"""The status view's rule, in memory (services/intake/status_view.py); the same fold against the
statement it replaced, on PostgreSQL, is tests/integration/test_status_fold.py."""

from services.intake.status_view import Standing, Step, advance, fold


def after(*steps: Step) -> Standing:
    start = Standing()
    for step in steps:
        start = advance(start, step)
    return start


def decided(status: str, attempt: int = 1) -> Step:
    return Step("app-1", status, {}, attempt=attempt)


def test_statuses_only_move_forward_within_an_attempt():
    assert after(decided("approved"), decided("in_notice")).status == "approved"
    assert after(decided("in_notice"), decided("approved")).status == "approved"


def test_a_later_attempt_starts_over_and_an_earlier_one_arriving_late_is_ignored():
    assert after(decided("rejected"), Step("app-1", "appealed", {}), decided("in_notice", 2)).status == "in_notice"
    late = after(decided("in_notice", 2), decided("rejected", 1))
    assert (late.status, late.attempt) == ("in_notice", 2)


def test_another_grant_after_a_refused_one_is_reissued_but_the_refused_grants_own_entry_is_not():
    refused = after(Step("app-1", "paid", {"transfer_id": "t1"}), Step("app-1", "payment_failed", {"transfer_id": "t1"}))
    assert refused.status == "payment_failed"
    assert advance(refused, Step("app-1", "paid", {"transfer_id": "t2"})).status == "reissued"
    late_entry = after(Step("app-1", "payment_failed", {"transfer_id": "t1"}), Step("app-1", "paid", {"transfer_id": "t1"}))
    assert late_entry.status == "payment_failed"


def test_open_objections_and_complaints_never_count_below_zero():
    closed_first = after(Step("app-1", None, {}, objections=-1, complaints=-1),
                         Step("app-1", None, {}, objections=1, complaints=1))
    assert (closed_first.open_objections, closed_first.open_complaints) == (1, 1)


def test_a_run_keeps_every_entry_in_order_and_the_last_value_each_column_was_given():
    steps = [(Step("app-1", "in_notice", {"amount_fen": 150_000}, attempt=1, fund_sources=["fund:a"]), {"n": 1}),
             (Step("app-2", "rejected", {"reasons": ["超标"]}, attempt=1), {"n": 2}),
             (Step("app-1", "approved", {"amount_fen": 200_000}, attempt=1), {"n": 3})]
    changes = fold({"app-2": Standing(status="approved", attempt=2)}, steps)
    assert (changes["app-1"].standing.status, changes["app-1"].amount_fen) == ("approved", 200_000)
    assert changes["app-1"].fund_sources == ["fund:a"] and changes["app-1"].entries == [{"n": 1}, {"n": 3}]
    assert changes["app-2"].standing.status == "approved" and changes["app-2"].reasons == ["超标"]
