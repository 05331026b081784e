"""One real ``jobmatch worker`` process: start, wait ready or idle, read health, metrics
and RSS, stop or kill. The benchmarks and the pipeline tests both drive workers with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from bench.harness import ROOT, free_port, wait_for
from client.metrics_reader import Scrape
from settings import Settings

JOBMATCH = Path(sys.executable).parent / "jobmatch"


def worker_env(settings: Settings, **extra: object) -> dict[str, str]:
    """Environment that points a worker at ``settings``' topics, app id and keys."""
    env = {
        "JOBMATCH_TOPIC_PREFIX": settings.topic_prefix,
        "JOBMATCH_APP_ID": settings.app_id,
        "JOBMATCH_KEY_PREFIX": settings.key_prefix,
        "JOBMATCH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "JOBMATCH_POSTING_PARTITIONS": str(settings.posting_partitions),
        "JOBMATCH_SEEKER_PARTITIONS": str(settings.seeker_partitions),
    }
    env.update({f"JOBMATCH_{k.upper()}": str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """A ``jobmatch worker`` subprocess with its own web port, data dir and log file."""

    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        *,
        web_port: int | None = None,
        loglevel: str = "warn",
        **extra: object,
    ) -> None:
        self.web_port = web_port or free_port()
        self.loglevel = loglevel
        self.log_path = workdir / f"worker-{self.web_port}.log"
        self._env = {**os.environ, **worker_env(settings, **extra)}
        self._data_dir = workdir / f"data-{self.web_port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        if not JOBMATCH.exists():
            raise FileNotFoundError(f"{JOBMATCH} not found: run `make setup` first")
        with self.log_path.open("ab") as log_file:
            self.proc = subprocess.Popen(
                [str(JOBMATCH), "worker", "--web-port", str(self.web_port), "--data-dir",
                 str(self._data_dir), "--loglevel", self.loglevel],
                env=self._env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )  # fmt: skip
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def wait_ready(self, timeout: float = 120.0) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            self.check_alive()
            health = self.health()
            return health if health and health.get("ready") else None

        return wait_for(ready, timeout=timeout, interval=0.2, what=f"worker :{self.web_port} ready")

    def wait_idle(
        self, timeout: float, *, catalog_records: int | None = None, sweep: bool = False
    ) -> dict[str, Any]:
        """Wait until no lag and nothing to write (with ``sweep``, nothing to re-rank
        either; after a new model the sweeper takes up to the horizon, an hour by default),
        and the catalog has read ``catalog_records``."""

        def idle() -> dict[str, Any] | None:
            self.check_alive()
            health = self.fresh_health()
            ok = _caught_up(health, sweep=sweep) and (
                catalog_records is None or health["catalog_records_read"] >= catalog_records
            )
            return health if ok else None

        return wait_for(idle, timeout=timeout, interval=0.25, what=f"worker :{self.web_port} idle")

    def idle(self) -> bool:
        """Caught up: no lag, nothing waiting to be written or re-ranked."""
        return _caught_up(self.fresh_health(), sweep=True)

    def fresh_health(self) -> dict[str, Any]:
        """``/health`` from a Kafka probe begun after this call ({} when unreachable).

        A ``/health`` that arrives while a probe is under way shares that probe's answer
        (:class:`streams.lag.KafkaProbe`), whose end offsets may predate events produced a
        moment ago: "no lag" for events not even counted. Once a first answer is back, its
        probe is over, so the second request's probe began after this call."""
        self.health()
        return self.health() or {}

    def health(self) -> dict[str, Any] | None:
        try:
            url = f"http://127.0.0.1:{self.web_port}/health"
            with urllib.request.urlopen(url, timeout=10) as r:
                return orjson.loads(r.read())  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            return orjson.loads(exc.read())  # type: ignore[no-any-return]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def scrape(self, *names: str) -> Scrape:
        """The worker's metrics now: all of them, or only those ``names`` (cheaper)."""
        query = "?" + urllib.parse.urlencode([("name[]", n) for n in names]) if names else ""
        # 30 s: the worker answers from its event loop, which a backlog keeps busy.
        return Scrape.fetch(f"http://127.0.0.1:{self.web_port}/metrics{query}", timeout=30.0)

    def counter(self, name: str, **labels: str) -> float:
        """Sum of a metric's samples whose labels include ``labels``, scraped now."""
        return self.scrape().total(name, **labels)

    def rss_bytes(self) -> int:
        """Resident set size of the worker process now."""
        return rss_of(self.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no commit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"worker :{self.web_port} exited ({self.proc.returncode}):\n{tail}")


def _caught_up(health: dict[str, Any], *, sweep: bool) -> bool:
    # Not while partitions change hands: lag counts only the partitions assigned now, and
    # between a revocation and the next assignment that is none, so "no lag" means nothing.
    return bool(
        health.get("ready")
        and not health.get("rebalancing")
        and health.get("lag")
        and not any(health["lag"].values())
        and health.get("pending_writes") == 0
        and (not sweep or health.get("pending_sweep") == 0)
    )


def rss_of(pid: int) -> int:
    """VmRSS of a process, in bytes (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")
