"""The Grafana dashboard queries only metrics the services export."""

import json
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from services.shared import metrics

FASTSTREAM = {"faststream_received_messages_total"}


def exported_names() -> set[str]:
    names = set(FASTSTREAM)
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            names.add(value._name + "_total")
        elif isinstance(value, Histogram):
            names |= {value._name + suffix for suffix in ("_bucket", "_count", "_sum")}
        elif isinstance(value, Gauge):
            names.add(value._name)
    return names


def test_every_panel_queries_an_exported_metric():
    dashboard = json.loads((Path(__file__).parents[2] / "deploy" / "grafana-dashboard.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\b(?:jinqiu|faststream)_[a-z_]+", target["expr"])}
    assert queried and queried <= exported_names(), queried - exported_names()
