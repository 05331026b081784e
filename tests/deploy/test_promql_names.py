"""The metric-name checker the rule and dashboard tests rely on finds what it must."""

from __future__ import annotations

import pytest

from tests.deploy.promql import exported_metric_names, metric_names_in, unknown_metric_names


def test_exported_names_follow_the_metric_types() -> None:
    names = exported_metric_names()
    # counter -> _total, histogram -> _bucket/_sum/_count, gauge -> its name
    assert "jobmatch_events_total" in names
    assert {"jobmatch_freshness_seconds_bucket", "jobmatch_freshness_seconds_count"} <= names
    assert "jobmatch_model_auc" in names
    # A histogram's bare name and a counter without _total are not series.
    assert "jobmatch_freshness_seconds" not in names
    assert "jobmatch_events" not in names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('rate(jobmatch_events_total{topic="postings"}[5m])', {"jobmatch_events_total"}),
        (
            "histogram_quantile(0.99, sum by (kind, le) "
            "(rate(jobmatch_freshness_seconds_bucket[$__rate_interval])))",
            {"jobmatch_freshness_seconds_bucket"},
        ),
        (
            "a / on (job) group_left (kind) b offset 5m > bool 1e3 unless NaN",
            {"a", "b"},
        ),
        ('label_replace(up{job="x"}, "dst", "$1", "src", "(.*)")', {"up"}),
        ("time() - max by (job) (job:jobmatch_x:max) > 300", {"job:jobmatch_x:max"}),
        ("max_over_time(x[1h:1m]) - x @ start()", {"x"}),
    ],
)
def test_metric_names_in_expressions(expr: str, names: set[str]) -> None:
    assert metric_names_in(expr) == names


def test_a_misspelt_metric_is_reported() -> None:
    known = exported_metric_names()
    assert unknown_metric_names("rate(jobmatch_event_total[1m])", known) == {"jobmatch_event_total"}
    assert unknown_metric_names("jobmatch_freshness_seconds > 1", known) == {
        "jobmatch_freshness_seconds"
    }
    assert unknown_metric_names('up{job="jobmatch"} == 0', known) == set()
