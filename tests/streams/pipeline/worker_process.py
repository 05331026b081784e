"""Run real ``jobmatch worker`` processes for the pipeline tests, and wait on conditions."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]
JOBMATCH = ROOT / ".venv" / "bin" / "jobmatch"
T = TypeVar("T")


def wait_for(
    condition: Callable[[], T], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: T = condition()
    while not last:
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:.1f}s waiting for {what} (last: {last!r})"
            )
        time.sleep(interval)
        last = condition()
    return last


class WorkerProcess:
    """One ``jobmatch worker`` subprocess with its own web port, data dir and log file."""

    def __init__(self, env: dict[str, str], *, web_port: int, workdir: Path) -> None:
        self.web_port = web_port
        self.log_path = workdir / f"worker-{web_port}.log"
        self._env = {**os.environ, **env}
        self._data_dir = workdir / f"data-{web_port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(JOBMATCH), "worker", "--web-port", str(self.web_port), "--data-dir",
             str(self._data_dir), "--loglevel", "info"],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )  # fmt: skip
        return self

    def wait_ready(self, timeout: float = 90.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            self._check_alive()
            health = self.health()
            return health if health and health.get("ready") else None

        return wait_for(ready, timeout=timeout, interval=0.2, what=f"worker :{self.web_port} ready")

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/health", timeout=5) as r:
                return orjson.loads(r.read())
        except urllib.error.HTTPError as exc:
            return orjson.loads(exc.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, keyed by (name, sorted labels)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics", timeout=5) as r:
            text = r.read().decode()
        out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

    def counter(self, name: str, **labels: str) -> float:
        """Sum of a metric's samples whose labels include ``labels``."""
        want = set(labels.items())
        return sum(
            value
            for (sample, sample_labels), value in self.metrics().items()
            if sample == name and want <= set(sample_labels)
        )

    def idle(self) -> bool:
        """Caught up: no lag, nothing waiting to be written or re-ranked."""
        health = self.health() or {}
        return bool(
            health.get("ready")
            and health.get("lag")
            and not any(health["lag"].values())
            and health.get("pending_writes") == 0
            and health.get("pending_sweep") == 0
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no commit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"worker :{self.web_port} exited ({self.proc.returncode}):\n{tail}"
            )
