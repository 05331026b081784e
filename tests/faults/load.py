"""Events flowing during a fault: a background sender at a steady rate, and the accounting
every scenario ends with (each produced event applied or dead-lettered, none twice)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from kafka.producer.future import FutureRecordMetadata

from client.producer import EventProducer
from settings import Settings
from tests.streams.pipeline.recompute import Event
from tests.streams.pipeline.worker_process import WorkerProcess

FAMILIES = ("postings", "profiles", "interactions")
# Every outcome an agent counts in jobmatch_events_total: each consumed event has one.
OUTCOMES = ("applied", "duplicate", "stale", "rejected")


@dataclass
class SteadyStream:
    """Sends ``events`` at ``rate`` per second from a thread, through the validating
    producer (acks=all, idempotent, retrying through a broker outage)."""

    settings: Settings
    events: list[tuple[str, Event]]
    rate: float
    sent: int = 0
    _futures: list[FutureRecordMetadata] = field(default_factory=list)
    _thread: threading.Thread | None = None
    _error: BaseException | None = None

    def start(self) -> SteadyStream:
        self._thread = threading.Thread(target=self._run, name="steady-stream", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            with EventProducer(self.settings, max_block_ms=120_000) as producer:
                started = time.monotonic()
                for i, (family, event) in enumerate(self.events):
                    delay = started + i / self.rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)  # pacing the load, not synchronisation
                    self._futures.append(producer.send_event(family, event))
                    self.sent = i + 1
                producer.flush(timeout=180)
        except BaseException as exc:
            self._error = exc

    def produced(self, timeout: float = 240.0) -> list[tuple[str, Event]]:
        """Wait for the last acknowledgement; the events the broker acknowledged, in order."""
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the sender did not finish within {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        return [e for e, f in zip(self.events, self._futures, strict=True) if f.succeeded()]


def outcomes(worker: WorkerProcess) -> dict[str, dict[str, int]]:
    """family -> outcome -> events, from the worker's jobmatch_events_total."""
    scrape = worker.scrape("jobmatch_events_total")
    return {
        family: {
            o: int(scrape.total("jobmatch_events_total", topic=family, outcome=o)) for o in OUTCOMES
        }
        for family in FAMILIES
    }


def accounted(workers: list[WorkerProcess]) -> dict[str, int]:
    """family -> events consumed over ``workers`` (every outcome)."""
    totals = dict.fromkeys(FAMILIES, 0)
    for worker in workers:
        for family, counts in outcomes(worker).items():
            totals[family] += sum(counts.values())
    return totals


def by_family(events: list[tuple[str, Event]]) -> dict[str, int]:
    counts = dict.fromkeys(FAMILIES, 0)
    for family, _ in events:
        counts[family] += 1
    return counts
