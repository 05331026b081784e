"""The Grafana dashboard: valid JSON, valid PromQL, and only metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.promql import exported_metric_names, metric_names_in, unknown_metric_names

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_PATH = ROOT / "deploy" / "grafana" / "jobmatch-dashboard.json"
GRAFANA_BUILTINS = {"__rate_interval", "__interval", "__range", "__all"}
# What stands in for Grafana's variables when promtool parses an expression.
SUBSTITUTES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD_PATH.read_text())
    return data


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query target."""
    return [
        (panel["title"], target["expr"])
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(variable, selector) of every `label_values(selector, label)` template query."""
    out = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        query = variable["query"]
        if isinstance(query, dict):
            query = query["query"]
        match = re.fullmatch(r"label_values\((?:(.+),\s*)?(\w+)\)", query)
        assert match, f"variable {variable['name']}: unexpected query {query!r}"
        if match.group(1):
            out.append((variable["name"], match.group(1)))
    return out


def test_dashboard_is_identified_and_has_panels(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "jobmatch-overview"
    assert dashboard["title"]
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    assert len(expressions(dashboard)) >= 20


def test_every_query_panel_has_a_datasource_and_targets(dashboard: dict[str, Any]) -> None:
    for panel in panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel.get("targets"), f"panel {panel['title']!r} has no query"
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            assert target["expr"].strip(), panel["title"]


def test_panels_fit_the_grid_without_overlapping(dashboard: dict[str, Any]) -> None:
    taken: dict[tuple[int, int], str] = {}
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in taken, f"{panel['title']!r} overlaps {taken[(x, y)]!r}"
                taken[(x, y)] = panel["title"]


def test_dashboard_queries_only_metrics_that_exist(dashboard: dict[str, Any]) -> None:
    known = exported_metric_names()
    unknown = {
        f"{where}: {expr}": unknown_metric_names(expr, known)
        for where, expr in expressions(dashboard) + variable_queries(dashboard)
    }
    assert {where: names for where, names in unknown.items() if names} == {}


def test_dashboard_covers_what_operators_need(dashboard: dict[str, Any]) -> None:
    used = set().union(*(metric_names_in(expr) for _, expr in expressions(dashboard)))
    needed = {
        "jobmatch_events_total",  # events/s
        "jobmatch_freshness_seconds_bucket",  # freshness quantiles
        "jobmatch_consumer_lag_messages",  # lag
        "jobmatch_dlq_writes_total",  # DLQ
        "jobmatch_model_version",
        "jobmatch_model_auc",
        "jobmatch_model_logloss",
        "jobmatch_interactions_total",  # funnel
        "jobmatch_seekers_with_list",  # coverage
        "jobmatch_active_seekers",
        "jobmatch_exposed_postings",  # exposure
        "jobmatch_processing_seconds_bucket",  # processing time
    }
    assert needed - used == set()


def test_template_variables_are_defined(dashboard: dict[str, Any]) -> None:
    defined = {variable["name"] for variable in dashboard["templating"]["list"]}
    text = DASHBOARD_PATH.read_text()
    used = set(re.findall(r"\$\{?(\w+)", text))
    assert used - defined - GRAFANA_BUILTINS == set()


def test_every_expression_is_valid_promql(dashboard: dict[str, Any], tmp_path: Path) -> None:
    # promtool parses rule files; each dashboard expression becomes a recording rule.
    rules = []
    for i, (_, expr) in enumerate(expressions(dashboard)):
        for variable, value in SUBSTITUTES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:expr:{i}", "expr": expr})
    rule_file = tmp_path / "dashboard_rules.yml"
    # JSON is YAML.
    rule_file.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed: run `make setup` (Debian package prometheus)"
    result = subprocess.run(
        [binary, "check", "rules", str(rule_file)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
