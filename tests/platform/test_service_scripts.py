"""The service scripts: reuse instead of doubling, and a clear failure on a taken port."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def run(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("service", ["kafka", "redis"])
def test_start_reuses_the_running_service(service: str) -> None:
    # `make test` started (or found) the services under the default run dir.
    pidfile = ROOT / ".run" / service / f"{service}.pid"
    before = pidfile.read_text().strip()
    result = run(f"deploy/{service}/start.sh")
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert pidfile.read_text().strip() == before


@pytest.mark.parametrize(("service", "port"), [("kafka", "9092"), ("redis", "6379")])
def test_start_fails_clearly_when_the_port_is_taken(
    service: str, port: str, tmp_path: Path
) -> None:
    # A second copy with its own run dir finds the port held by the running service.
    started = time.monotonic()
    result = run(f"deploy/{service}/start.sh", JOBMATCH_RUN_DIR=str(tmp_path))
    assert result.returncode != 0
    assert port in result.stderr
    assert str(tmp_path / service / f"{service}.log") in result.stderr
    assert time.monotonic() - started < 60
    # and it did not leave a process or pid file behind
    assert not (tmp_path / service / f"{service}.pid").exists()


def test_stop_without_a_pid_file_touches_nothing(tmp_path: Path) -> None:
    result = run("deploy/kafka/stop.sh", JOBMATCH_RUN_DIR=str(tmp_path))
    assert result.returncode == 0
    assert "not running" in result.stderr
