"""How the demo's and the bench's staff file: 24 clerks as fast as intake answers, or, with
`jinqiu bench --rate`, at a steady pace whatever the answers (an open load, so that latency is
read at a given peak and not hidden by clerks waiting)."""

import asyncio
import time
from types import SimpleNamespace

import orjson
import pytest
from rich.progress import Progress

from services.cli.main import parser
from services.demo.run import file_applications
from services.demo.staff_http import Answer


class SlowIntake:
    """Answers every filing after `delay` seconds; counts the filings in flight."""

    def __init__(self, delay: float) -> None:
        self.delay, self.sent, self.in_flight, self.most_in_flight = delay, [], 0, 0

    async def post(self, org: str, path: str, form: dict) -> Answer:
        self.sent.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1
        return Answer(201, orjson.dumps({"application_id": "app-" + form["submission_id"]}))


def _season(filings: int) -> SimpleNamespace:
    forms = [{"org_code": "341602", "submission_id": f"s{i}"} for i in range(filings)]
    return SimpleNamespace(applications=forms, mistyped=[], refiled_by_city=[])


def test_an_offered_rate_keeps_filing_while_earlier_filings_wait_for_their_answers():
    intake = SlowIntake(delay=0.5)
    filed, refused = asyncio.run(file_applications(intake, _season(40), Progress(), offered_rate=200))
    assert filed == {f"s{i}": f"app-s{i}" for i in range(40)} and refused == 0
    assert intake.most_in_flight == 40  # no clerk waited for an answer before the next filing
    assert intake.sent[-1] - intake.sent[0] > 0.15  # paced over 39/200 s, not all at once


def test_without_a_rate_24_clerks_file_each_after_their_last_answer():
    intake = SlowIntake(delay=0.01)
    filed, _ = asyncio.run(file_applications(intake, _season(60), Progress()))
    assert len(filed) == 60
    assert intake.most_in_flight == 24


def test_the_bench_refuses_a_rate_that_is_not_a_number_above_zero():
    for bad in ("0", "-5", "abc", "nan", "inf"):
        with pytest.raises(SystemExit):
            parser().parse_args(["bench", "--rate", bad])
    assert parser().parse_args(["bench", "--rate", "150"]).rate == 150.0
