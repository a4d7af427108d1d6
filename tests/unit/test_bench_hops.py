"""The bench's split of submit → verdict into hops: which times are joined, and the percentiles."""

import math

from services.bench.hops import hops


def test_each_hop_runs_from_the_end_of_the_one_before_and_only_followed_filings_count():
    submitted = {f"app-{i}": 100.0 + i for i in range(100)}
    published = {f"ev-{i}": (f"app-{i}", 100.0 + i + 0.010 * (i + 1)) for i in range(100)}  # 10 … 1,000 ms
    handled = {f"ev-{i}": published[f"ev-{i}"][1] + 0.5 for i in range(100)}  # always 500 ms
    published["ev-elsewhere"] = ("app-of-another-run", 1.0)
    published["ev-not-yet-taken"] = ("app-0", 100.5)
    relay, consume = hops(submitted, published, handled)
    assert relay.what.startswith("intake") and consume.what.startswith("Kafka")
    assert math.isclose(relay.p50_ms, 505, abs_tol=1) and math.isclose(relay.p99_ms, 999.9, abs_tol=1)
    assert math.isclose(consume.p50_ms, 500, abs_tol=0.01) and math.isclose(consume.p99_ms, 500, abs_tol=0.01)


def test_too_few_filings_give_no_figure_rather_than_a_wrong_one():
    relay, consume = hops({"a": 1.0}, {"e": ("a", 1.1)}, {"e": 1.2})
    assert math.isnan(relay.p50_ms) and math.isnan(consume.p99_ms)
