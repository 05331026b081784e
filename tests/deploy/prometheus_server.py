"""A real Prometheus server for tests, and the ``prometheus_server`` fixture that starts it.

The fixture is a factory: ``prometheus_server(["127.0.0.1:6066"])`` starts Debian's
``prometheus`` on a free port with a generated config that scrapes the given targets every
second (job ``jobmatch``, so the recording and alerting rules of ``deploy/prometheus/rules``
apply, evaluated every second too), waits until ``/-/ready`` answers and returns a
:class:`PrometheusServer`. Every server is stopped when the test ends.

To use it outside ``tests/deploy/``, import it into that folder's ``conftest.py``::

    from tests.deploy.prometheus_server import prometheus_server  # noqa: F401
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "deploy" / "prometheus" / "rules"
DEFAULT_RULE_FILES = tuple(sorted(RULES_DIR.glob("*.yml")))

# A PromQL result: the API's list of {"metric": {...}, "value": [ts, "1.5"]} for vectors.
Result = list[dict[str, Any]]


class PrometheusError(RuntimeError):
    """The server refused a query, or did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_config(
    targets: Sequence[str],
    *,
    rule_files: Sequence[Path],
    job: str = "jobmatch",
    interval: str = "1s",
) -> str:
    """A prometheus.yml scraping ``targets`` and evaluating ``rule_files`` every ``interval``.

    JSON is valid YAML, so no YAML writer is needed.
    """
    config = {
        "global": {
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "evaluation_interval": interval,
        },
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]},
        ],
    }
    return json.dumps(config, indent=2)


class PrometheusServer:
    """A running ``prometheus`` process and a small client for its HTTP API."""

    def __init__(self, workdir: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = workdir / "prometheus.log"
        self._process = process

    # -- HTTP API ----------------------------------------------------------------------
    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``; raise with Prometheus' error."""
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            # Bad queries come back as 400/422 with a JSON error explaining them.
            body = json.load(exc)
        if body.get("status") != "success":
            raise PrometheusError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str) -> Result:
        """Evaluate an instant query now; the ``result`` list of the API's answer."""
        data = self.api("query", query=promql)
        result: Result = data["result"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": result}]
        return result

    def values(self, promql: str) -> list[float]:
        """The sample values of an instant query, as floats."""
        return [float(sample["value"][1]) for sample in self.query(promql)]

    def targets(self) -> list[dict[str, Any]]:
        """Active scrape targets with their ``health`` and ``lastError``."""
        targets: list[dict[str, Any]] = self.api("targets")["activeTargets"]
        return targets

    def alerts(self) -> list[dict[str, Any]]:
        """Pending and firing alerts."""
        alerts: list[dict[str, Any]] = self.api("alerts")["alerts"]
        return alerts

    def wait_for(
        self,
        promql: str,
        *,
        until: Callable[[Result], bool] = bool,
        timeout: float = 30.0,
        on_poll: Callable[[], None] | None = None,
    ) -> Result:
        """Poll ``promql`` until ``until(result)`` holds (default: non-empty); return it.

        ``on_poll`` runs before every query, e.g. to keep a test's counters moving. On
        timeout the assertion names the query, its last result and the targets' health.
        """
        deadline = time.monotonic() + timeout
        while True:
            if on_poll is not None:
                on_poll()
            result = self.query(promql)
            if until(result):
                return result
            if time.monotonic() > deadline:
                health = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in self.targets()]
                raise AssertionError(
                    f"{promql!r} did not reach the expected result within {timeout:.0f}s; "
                    f"last result {result}; targets {health}; log {self.log_path}"
                )
            time.sleep(0.2)

    # -- process -----------------------------------------------------------------------
    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self.running():
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_prometheus(
    workdir: Path,
    targets: Sequence[str],
    *,
    rule_files: Sequence[Path] = DEFAULT_RULE_FILES,
    job: str = "jobmatch",
    interval: str = "1s",
    timeout: float = 30.0,
) -> PrometheusServer:
    """Start ``prometheus`` with its config, data and log under ``workdir``; wait until ready."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusError("prometheus is not installed: run `make setup` (Debian: prometheus)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(render_config(targets, rule_files=rule_files, job=job, interval=interval))
    # Another process can take the free port before Prometheus binds it: try a few.
    for _attempt in range(3):
        port = free_port()
        with (workdir / "prometheus.log").open("ab") as log:
            process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        server = PrometheusServer(workdir, port, process)
        deadline = time.monotonic() + timeout
        while server.running() and not server.ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.running() and server.ready():
            return server
        server.stop()
        if "address already in use" not in server.log_tail():
            break
    raise PrometheusError(
        f"prometheus did not become ready on 127.0.0.1:{port} within {timeout:.0f}s; "
        f"see {server.log_path}:\n{server.log_tail()}"
    )


@pytest.fixture
def prometheus_server(tmp_path: Path) -> Iterator[Callable[..., PrometheusServer]]:
    """Factory: ``prometheus_server(targets, **options)`` -> a ready :class:`PrometheusServer`.

    Options are those of :func:`start_prometheus` (``rule_files=()`` for no rules).
    """
    servers: list[PrometheusServer] = []

    def start(targets: Sequence[str], **options: Any) -> PrometheusServer:
        server = start_prometheus(tmp_path / f"prometheus-{len(servers)}", targets, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
