"""deploy/prometheus/start.sh and stop.sh: readiness, reuse, adding workers, clear failures.

Each test runs its own Prometheus under a temporary JOBMATCH_RUN_DIR on a free port, so it
never touches a Prometheus that `make demo` started.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.prometheus_server import free_port

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "deploy" / "prometheus" / "start.sh"
STOP = ROOT / "deploy" / "prometheus" / "stop.sh"


class Scripts:
    """Runs the scripts with one run dir and port."""

    def __init__(self, run_dir: Path, port: int) -> None:
        self.run_dir = run_dir
        self.port = port
        self.pidfile = run_dir / "prometheus" / "prometheus.pid"
        self.logfile = run_dir / "prometheus" / "prometheus.log"

    def run(self, script: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            env={
                **os.environ,
                "JOBMATCH_RUN_DIR": str(self.run_dir),
                "JOBMATCH_PROMETHEUS_PORT": str(self.port),
                **env,
            },
        )

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False


@pytest.fixture
def scripts(tmp_path: Path) -> Iterator[Scripts]:
    s = Scripts(tmp_path / "run", free_port())
    yield s
    s.run(STOP)


def pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_start_is_ready_idempotent_and_adds_workers_without_a_restart(scripts: Scripts) -> None:
    first = scripts.run(START, JOBMATCH_WORKERS="1")
    assert first.returncode == 0, first.stderr
    # Ready means /-/ready answers: the script returns only then.
    assert scripts.ready()
    assert scripts.logfile.exists()
    pid = int(scripts.pidfile.read_text())

    # Run again with three workers: the same process, and a new target list.
    again = scripts.run(START, JOBMATCH_WORKERS="3", JOBMATCH_WEB_PORT="7100")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    assert int(scripts.pidfile.read_text()) == pid

    # The running server picks the new targets up from file_sd (no restart).
    url = f"http://127.0.0.1:{scripts.port}/api/v1/targets"
    expected = {f"http://127.0.0.1:{port}/metrics" for port in (7100, 7101, 7102)}
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
        if all(target in body for target in expected):
            break
        assert time.monotonic() < deadline, f"targets never became {sorted(expected)}: {body}"
        time.sleep(0.2)

    stopped = scripts.run(STOP)
    assert stopped.returncode == 0
    assert "stopped" in stopped.stderr
    assert not scripts.pidfile.exists()
    assert not pid_running(pid)


def test_start_fails_clearly_when_the_port_is_taken(scripts: Scripts) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", scripts.port))
        squatter.listen()
        result = scripts.run(START)
    assert result.returncode != 0
    # The message names the port and the log file, and no process was left behind.
    assert str(scripts.port) in result.stderr
    assert str(scripts.logfile) in result.stderr
    assert not scripts.pidfile.exists()


def test_stop_without_a_running_prometheus_touches_nothing(scripts: Scripts) -> None:
    result = scripts.run(STOP)
    assert result.returncode == 0
    assert "not running" in result.stderr


def test_start_rejects_a_bad_worker_count(scripts: Scripts) -> None:
    result = scripts.run(START, JOBMATCH_WORKERS="three")
    assert result.returncode != 0
    assert "JOBMATCH_WORKERS" in result.stderr
    assert not scripts.pidfile.exists()
