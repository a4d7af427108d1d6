"""`jinqiu status` figures: events handled, backlog, consumer lag, dead letters."""

from contracts.topics import APPLICATIONS
from services.ops.status import collect
from tests.factories import application
from tests.integration.services import running
from tests.kafka_helpers import as_union, eventually, publish


async def test_status_reports_throughput_lag_and_dead_letters(settings):
    apps = [application(i) for i in range(5)]
    async with running(settings, "verification"):
        await publish(settings, [(APPLICATIONS, a.key, as_union(a).to_bytes()) for a in apps]
                      + [(APPLICATIONS, "junk", b"not an event")])
        def caught_up(report) -> bool:
            services, lags, dead = report
            handled = {s.name: s.handled for s in services}
            return dead == 1 and handled.get("verification") == 5 and {g.group: g.lag for g in lags}[
                "verification.review"] == 0

        services, lags, dead = await eventually(lambda: collect(settings), caught_up)
        lag = {g.group: g.lag for g in lags}
        assert lag["employment.tracking"] >= 6  # not running: everything on its topics waits for it
        assert all(s.outbox_backlog >= 0 for s in services)
