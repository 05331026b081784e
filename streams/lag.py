"""Consumer lag, broker reachability and stuck partitions, for ``/health`` and the gauges.

Lag is counted from what the agents have *processed*, not from the consumer's fetch
position: Faust prefetches into a buffer, so the position can be far ahead of the work.
The end offsets are asked of the broker at each probe, not taken from the last fetch:
with the broker gone, the last fetch's figures would say "no lag" for ever.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import faust
from faust.types import TP

from streams import metrics

# How long an offset request may take before the broker counts as unreachable.
KAFKA_PROBE_TIMEOUT_S = 3.0
# A partition with lag whose processed offset has not moved for this long is stuck: a
# healthy worker processes thousands of events a second.
STUCK_AFTER_S = 60.0


@dataclass(frozen=True)
class KafkaStatus:
    """What one probe found."""

    reachable: bool
    lag: dict[str, int]  # family -> messages behind, over this worker's partitions
    partitions: dict[str, int] = field(default_factory=dict)  # family -> partitions owned
    stuck: list[str] = field(default_factory=list)  # "topic[partition]"
    error: str | None = None


class ProcessedOffsets:
    """The next offset to process per partition, as the agents move on, and since when
    each partition's offset has stayed where it is."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._next: dict[TP, int] = {}
        self._clock = clock
        self._still_since: dict[TP, tuple[int | None, float]] = {}

    def done(self, tp: TP, offset: int) -> None:
        self._next[tp] = offset + 1

    def expect(self, tp: TP, offset: int) -> None:
        """The next offset to process is ``offset``: the group's committed offset, read
        when a partition's first event after an assignment arrives."""
        self._next[tp] = offset

    def get(self, tp: TP) -> int | None:
        return self._next.get(tp)

    def take(self, tps: set[TP]) -> dict[TP, int]:
        """The next offsets of ``tps``, forgotten here: partitions being revoked. A partition
        that comes back later starts from what its other owner committed, not from here."""
        return {tp: self._next.pop(tp) for tp in tps if tp in self._next}

    def stuck(self, lag_by_partition: Mapping[TP, int], after_s: float = STUCK_AFTER_S) -> list[TP]:
        """The partitions with lag whose processed offset has not moved for ``after_s``.

        A partition counts from the first probe that sees it; one without lag is never stuck.
        """
        now = self._clock()
        stuck = []
        for tp, lag in lag_by_partition.items():
            offset = self._next.get(tp)
            seen, since = self._still_since.get(tp, (None, now))
            if offset != seen or lag == 0 or tp not in self._still_since:
                self._still_since[tp] = (offset, now)
            elif now - since >= after_s:
                stuck.append(tp)
        for tp in set(self._still_since) - set(lag_by_partition):
            del self._still_since[tp]  # revoked
        return stuck


async def probe_kafka(
    app: faust.App,
    families: dict[str, str],
    processed: ProcessedOffsets,
    *,
    watch_progress: bool = True,
) -> KafkaStatus:
    """Ask the broker for the end of every assigned partition; set the gauges.

    ``families`` maps topic names to family names (``"postings"``, ...). Without
    ``watch_progress`` (before the agents start: they wait for the catalog) no partition
    is judged stuck."""
    consumer = app.consumer

    async def behind_by_partition() -> dict[TP, int]:
        assigned = [tp for tp in consumer.assignment() if tp.topic in families]
        ends = await consumer.highwaters(*assigned) if assigned else {}
        out: dict[TP, int] = {}
        for tp in assigned:
            done = processed.get(tp)
            if done is None:
                done = await consumer.position(tp)  # nothing processed since start-up
            end = ends.get(tp)
            if end is not None and done is not None:
                out[tp] = max(end - done, 0)
        return out

    try:
        by_partition = await asyncio.wait_for(behind_by_partition(), KAFKA_PROBE_TIMEOUT_S)
    except Exception as exc:  # timeout, connection refused, not started: all "unreachable"
        metrics.KAFKA_REACHABLE.set(0)
        reason = str(exc) or type(exc).__name__
        empty = {family: 0 for family in families.values()}
        return KafkaStatus(reachable=False, lag=empty, error=f"Kafka did not answer: {reason}")
    metrics.KAFKA_REACHABLE.set(1)
    lag: dict[str, int] = defaultdict(int)
    for tp, behind in by_partition.items():
        lag[families[tp.topic]] += behind
    for family in families.values():
        metrics.CONSUMER_LAG.labels(family).set(lag.get(family, 0))
    stuck = processed.stuck(by_partition if watch_progress else {})
    metrics.STUCK_PARTITIONS.set(len(stuck))
    owned: dict[str, int] = defaultdict(int)
    for tp in by_partition:
        owned[families[tp.topic]] += 1
    return KafkaStatus(
        reachable=True,
        lag={family: lag.get(family, 0) for family in families.values()},
        partitions={family: owned.get(family, 0) for family in families.values()},
        stuck=sorted(f"{tp.topic}[{tp.partition}]" for tp in stuck),
    )


class KafkaProbe:
    """:func:`probe_kafka` for one worker, one probe at a time: callers that arrive while a
    probe is under way share its answer, so a polled ``/health`` with the broker gone
    does not pile up offset requests."""

    def __init__(self, app: faust.App, families: dict[str, str], processed: ProcessedOffsets):
        self._app, self._families, self._processed = app, families, processed
        self._running: asyncio.Future[KafkaStatus] | None = None

    async def __call__(self, *, watch_progress: bool) -> KafkaStatus:
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(
                probe_kafka(
                    self._app, self._families, self._processed, watch_progress=watch_progress
                )
            )
        return await asyncio.shield(self._running)


async def commit_processed(app: faust.App, tps: set[TP], processed: ProcessedOffsets) -> None:
    """Commit what the agents processed on ``tps``, which this worker is letting go.

    Called on a rebalance once Faust has waited for every started event to be acknowledged
    and flushed the producer (its ``on_partitions_revoked`` signal), and on SIGTERM once
    the last batches are finished and the producer flushed, so these offsets are safe.
    Faust's own commit at those points falls short. On a rebalance it finds nothing:
    faust-streaming drops the consumer's acknowledgements of revoked partitions before it
    waits (faust-streaming/faust#502). After a gap (streams.offset_order) it stops at an
    offset its gap bookkeeping holds twice. Either way the next owner would handle again
    everything since."""
    offsets = processed.take(tps)
    if offsets:
        await app.consumer._commit_offsets(offsets, start_new_transaction=False)


def commit_blocked(consumer: object) -> dict[str, str]:
    """Partitions whose acknowledged offsets Faust will not commit, with why.

    faust-streaming commits, per partition, the run of consecutive acknowledged offsets
    that starts at the committed one; when the first acknowledged offset is more than one
    past the committed offset it commits nothing (``Consumer._new_offset``), and keeps
    not committing until the missing offsets are acknowledged. With no commit under way
    and no missing offset still being handled, that never happens: the commit stopped.
    Read from the consumer's private bookkeeping, for the log.
    """
    if getattr(consumer, "_commit_fut", None) is not None:
        return {}  # a commit under way has taken offsets off the acknowledged list
    acked_by_tp = getattr(consumer, "_acked", {})
    committed_by_tp = getattr(consumer, "_committed_offset", {})
    read_by_tp = getattr(consumer, "_read_offset", {})
    unacked = list(getattr(consumer, "_unacked_messages", ()))
    blocked = {}
    for tp, acked in list(acked_by_tp.items()):
        committed = committed_by_tp.get(tp)
        if not acked or not committed or min(acked) - committed <= 1:
            continue
        pending = sorted(m.offset for m in unacked if m.tp == tp)
        if pending and pending[0] < min(acked):
            continue  # the missing offsets are still being handled
        blocked[f"{tp.topic}[{tp.partition}]"] = (
            f"committed {committed}, first acknowledged {min(acked)} ({len(acked)} waiting), "
            f"read {read_by_tp.get(tp)}, unacknowledged {pending[:5]}"
            + ("..." if len(pending) > 5 else "")
        )
    return blocked
