"""The Prometheus config and rules: promtool's checks and unit tests, and what they query.

promtool needs no server, so these are plain unit tests.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.promql import exported_metric_names, unknown_metric_names

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
ALERTS_TEST = PROMETHEUS_DIR / "tests" / "alerts_test.yml"
OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def promtool(*args: str | Path) -> str:
    """Run promtool from the repository root; fail the test with its output if it fails."""
    binary = shutil.which("promtool")
    assert binary, "promtool is not installed: run `make setup` (Debian package prometheus)"
    result = subprocess.run(
        [binary, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(map(str, args))} failed:\n{output}"
    return output


def rules_of(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


ALERTS = rules_of(PROMETHEUS_DIR / "rules" / "alerts.yml")
RECORDED = {rule["record"] for path in RULE_FILES for rule in rules_of(path) if "record" in rule}


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-compose.yml"])
def test_promtool_check_config(config: str) -> None:
    output = promtool("check", "config", PROMETHEUS_DIR / config)
    # Both configs load the same rule files; "0 rule files" would mean a broken glob.
    assert f"{len(RULE_FILES)} rule files found" in output


def test_promtool_check_rules() -> None:
    assert RULE_FILES, "no rule files under deploy/prometheus/rules"
    output = promtool("check", "rules", *RULE_FILES)
    assert output.count("SUCCESS") == len(RULE_FILES)


def test_promtool_test_rules() -> None:
    assert RULE_TESTS, "no promtool unit tests under deploy/prometheus/tests"
    output = promtool("test", "rules", *RULE_TESTS)
    assert output.count("SUCCESS") == len(RULE_TESTS)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rules_query_only_metrics_that_exist(path: Path) -> None:
    # Rules may build on recorded series, which are themselves checked here.
    known = exported_metric_names() | RECORDED
    unknown = {
        rule.get("alert") or rule["record"]: unknown_metric_names(rule["expr"], known)
        for rule in rules_of(path)
    }
    assert {name: names for name, names in unknown.items() if names} == {}


@pytest.mark.parametrize("alert", ALERTS, ids=lambda rule: rule["alert"])
def test_every_alert_has_a_duration_severity_and_runbook(alert: dict[str, Any]) -> None:
    assert alert.get("for"), "a `for:` keeps one bad evaluation from paging"
    assert alert["labels"]["severity"] in {"critical", "warning"}
    assert alert["annotations"]["summary"] and alert["annotations"]["description"]
    # The runbook link points at the alert's own section of docs/operations.md.
    assert alert["annotations"]["runbook"] == f"docs/operations.md#{alert['alert'].lower()}"
    assert f"\n### {alert['alert']}\n" in OPERATIONS_DOC.read_text()


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    cases = [
        case
        for test in yaml.safe_load(ALERTS_TEST.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    fires = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    names = {alert["alert"] for alert in ALERTS}
    assert names - fires == set(), "alerts without a case where they fire"
    assert names - quiet == set(), "alerts without a case where they stay quiet"


def test_operations_doc_states_each_alerts_duration_and_severity() -> None:
    doc = OPERATIONS_DOC.read_text()
    for alert in ALERTS:
        section = doc.split(f"\n### {alert['alert']}\n", 1)[1].split("\n#", 1)[0]
        assert f"for {alert['for']}" in section, alert["alert"]
        assert f"severity {alert['labels']['severity']}" in section, alert["alert"]
