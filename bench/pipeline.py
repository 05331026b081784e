"""A real worker on a loaded market: the stage for the throughput, freshness and memory
scenarios.

:func:`loaded_worker` starts one ``jobmatch worker`` on a fresh :class:`BenchEnv`, then
loads the simulator's market in two steps, postings first and profiles after, waiting for
the worker to be idle after each and noting its RSS: the deltas are the memory a worker
needs per posting and per seeker (fresh process, nothing else loaded).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bench.events import BenchMarket, encoded, open_market, produce_backlog
from bench.harness import BenchEnv, log, wait_for
from bench.worker import WorkerProcess
from client.metrics_reader import Scrape, delta, quantile
from simulator.runner import RedisListSource


@dataclass
class Drain:
    """A backlog consumed by the worker: how many events, how long, with what effect."""

    family: str
    events: int
    seconds: float
    before: Scrape
    after: Scrape
    # Seekers left waiting for the sweeper's re-rank at the end, and seconds until none was.
    deferred: tuple[int, float] = (0, 0.0)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("nan")

    def mean_processing_ms(self) -> float | None:
        """Mean time in the family's agent per event (jobmatch_processing_seconds)."""
        name = "jobmatch_processing_seconds"
        count = self.after.total(f"{name}_count", topic=self.family) - self.before.total(
            f"{name}_count", topic=self.family
        )
        total = self.after.total(f"{name}_sum", topic=self.family) - self.before.total(
            f"{name}_sum", topic=self.family
        )
        return 1000 * total / count if count else None

    def processing_quantile_ms(self, q: float) -> float | None:
        """A quantile of the agent's time per event, from the histogram's buckets."""
        name = "jobmatch_processing_seconds"
        buckets = delta(
            self.after.buckets(name, topic=self.family),
            self.before.buckets(name, topic=self.family),
        )
        value = quantile(q, buckets)
        return None if value is None else 1000 * value


@dataclass
class LoadedWorker:
    env: BenchEnv
    worker: WorkerProcess
    bench: BenchMarket
    list_source: RedisListSource
    rss: dict[str, int] = field(default_factory=dict)  # bytes after each load step
    load_seconds: dict[str, float] = field(default_factory=dict)
    data_bytes: dict[str, int] = field(default_factory=dict)  # JSON bytes loaded per family

    @property
    def settings(self):  # type: ignore[no-untyped-def]
        return self.env.settings

    def count(self, family: str) -> float:
        """Events of ``family`` the worker has consumed (any outcome)."""
        return self.worker.scrape().total("jobmatch_events_total", topic=family)

    def drain(
        self,
        family: str,
        messages: list[tuple[str, bytes, bytes]],
        *,
        timeout: float = 1800.0,
        catalog_records: int | None = None,
        on_started: object = None,
    ) -> Drain:
        """Write ``messages`` as a backlog and time the worker until it has consumed them
        all and written every change to Redis.

        ``family`` is what is counted (``"mixed"``: all three). The clock starts before the
        backlog is written (kcat takes well under a second for what a worker takes many
        seconds to consume) and stops at the first poll that sees everything done.
        """
        families = ("postings", "profiles", "interactions") if family == "mixed" else (family,)
        before = self.worker.scrape()
        base = sum(before.total("jobmatch_events_total", topic=f) for f in families)
        target = base + len(messages)
        started = time.monotonic()
        produce_backlog(self.settings, messages)
        if callable(on_started):
            on_started()

        def done() -> bool:
            self.worker.check_alive()
            # Only the counter: a full scrape ten times a second costs the worker ~10 %.
            try:
                scrape = self.worker.scrape("jobmatch_events_total")
            except TimeoutError:  # a busy event loop on a loaded machine: ask again
                return False
            if sum(scrape.total("jobmatch_events_total", topic=f) for f in families) < target:
                return False
            health = self.worker.health() or {}  # {}: no answer in time (a loaded machine)
            read = health.get("catalog_records_read", -1)
            caught_up = catalog_records is None or read >= catalog_records
            return bool(caught_up and health.get("pending_writes") == 0)

        wait_for(done, timeout=timeout, interval=0.1, what=f"{family} backlog consumed")
        seconds = time.monotonic() - started
        return Drain(family, len(messages), seconds, before, self.worker.scrape())

    def catalog_records(self) -> int:
        return int((self.worker.health() or {}).get("catalog_records_read", 0))


def loaded_worker(
    env: BenchEnv, seekers: int, postings: int, *, timeout: float = 1800.0
) -> LoadedWorker:
    """Start a worker on ``env`` and load a market of ``postings`` and ``seekers``."""
    source = RedisListSource(env.settings)
    env.cleanups.append(source.close)
    bench = open_market(seekers, postings, list_source=source)
    worker = WorkerProcess(env.settings, env.workdir).start()
    env.cleanups.append(worker.stop)
    worker.wait_ready()
    loaded = LoadedWorker(env, worker, bench, source)
    loaded.rss["empty"] = worker.rss_bytes()
    start_ms = bench.config.start_ms
    for family in ("postings", "profiles"):
        events = [(f, e) for f, e in bench.initial if f == family]
        messages = encoded(events, opened_after_ms=start_ms)
        loaded.data_bytes[family] = sum(len(v) for _, _, v in messages)
        log(f"loading {len(messages):,} {family}")
        started = time.monotonic()
        produce_backlog(env.settings, messages)
        worker.wait_idle(
            timeout, catalog_records=postings if family == "postings" else None, sweep=True
        )
        loaded.load_seconds[family] = time.monotonic() - started
        loaded.rss[family] = worker.rss_bytes()
        log(
            f"  {family} loaded in {loaded.load_seconds[family]:.1f}s, "
            f"worker RSS {loaded.rss[family] / 2**20:.0f} MiB"
        )
    return loaded
