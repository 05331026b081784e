"""docs/operations.md documents every metric a worker exports and every recorded series."""

from __future__ import annotations

from pathlib import Path

import yaml
from prometheus_client.metrics import MetricWrapperBase

from streams import metrics

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text()


def documented_name(collector: MetricWrapperBase) -> str:
    # As operators query it: counters with _total, histograms by their base name.
    (family,) = collector.describe()
    return family.name + ("_total" if family.type == "counter" else "")


def test_every_metric_has_a_row_in_the_metrics_table() -> None:
    collectors = [c for c in vars(metrics).values() if isinstance(c, MetricWrapperBase)]
    assert collectors
    missing = [documented_name(c) for c in collectors if f"| `{documented_name(c)}` |" not in DOC]
    assert missing == []


def test_every_recorded_series_is_documented() -> None:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules" / "recording.yml").read_text())
    recorded = [r["record"] for group in rules["groups"] for r in group["rules"]]
    missing = [name for name in recorded if f"`{name}`" not in DOC]
    assert missing == []
