"""Noticing that Redis lost some of this worker's keys, and writing them all again.

Everything in Redis is derived state: the worker holds every list it owns, every open
posting and its employer-list members in memory (rebuilt from Kafka on start). Redis can
lose it without the worker hearing a thing: a FLUSHALL, a restart without persistence or
from an older file, the last second of writes after a crash (``appendfsync everysec``), a
failover to a replica that lagged. So each worker keeps a marker key of its own
(:meth:`streams.redis_keys.RedisKeys.worker_marker`) holding an epoch: every pipelined
write of the writer ends by advancing it to the write's number, but only from the number
of the write before (``ADVANCE_MARKER``), so a marker Redis lost or set back stays lost
or behind. Redis applies and persists a connection's commands in order, so if it still
has the marker at the number of the last write it acknowledged, it has every write before
it too. :class:`MarkerWatch` checks it
every few seconds; when it is gone or behind, :class:`Rebuild` marks every key the worker
owns for a rewrite, a chunk at a time, so the rebuild never crowds out the writes events
make (``/health`` reports its progress).

After a full loss the rebuild restores every key exactly. After a partial one (older
data) it rewrites every seeker's keys and every display hash, but an employer list keeps
any member it had then that no worker holds now: each worker re-adds only its current
members, and removing stale ones would need every worker's members at once.

On a Redis Cluster the marker sits on one shard: a shard that loses its data alone goes
unnoticed. A marker per shard would be needed there (not done yet).
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from streams import metrics
from streams.redis_keys import MARKER_TTL_S
from streams.redis_scripts import CHECK_MARKER
from streams.redis_writer import RedisWriter

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
# Keys marked per rebuild step, and the writer backlog above which a step waits.
REBUILD_CHUNK = 500
REBUILD_MAX_PENDING = 2_000


def worker_token() -> str:
    """A name for this worker process, unique across restarts."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class MarkerWatch:
    """Tells whether Redis still has every write of ``writer`` (see the module docstring)."""

    def __init__(self, writer: RedisWriter) -> None:
        assert writer.marker_key is not None, "a writer without a marker key"
        self._writer = writer
        self._key = writer.marker_key
        self._placed = False

    async def lost(self) -> bool:
        """True when Redis lost writes since the last check: the marker is gone (after
        this worker placed it) or behind its last acknowledged write.

        The check is itself a write (refused under ``maxmemory`` like any other): its
        failure is reported like a write's, so a worker with nothing else to write still
        tells when Redis cannot take writes; and it answers False, since the check after
        Redis comes back tells whether it came back without them."""
        writer = self._writer
        try:
            async with writer.round_trip:  # no write advancing the marker meanwhile
                written = writer.written_epoch
                before = await writer.client.eval(CHECK_MARKER, 1, self._key, written, MARKER_TTL_S)
        except (RedisError, OSError) as exc:
            writer.health.failed(exc, pending=0)
            return False
        writer.health.server_takes_writes()
        if before is None:
            lost, self._placed = self._placed, True
            return lost
        self._placed = True
        return int(before) < written


@dataclass
class Rebuild:
    """A rewrite of every key the worker owns, handed to the writer a chunk at a time.

    ``plan`` yields one callable per key (it marks that key in the writer); it is
    called when a rebuild starts, so the rebuild covers what the worker holds then, and
    whatever changes later is marked by the events that change it."""

    plan: Callable[[], Iterable[Callable[[], None]]]
    total: int = 0
    done: int = 0
    started_at: float = 0.0
    count: int = 0  # rebuilds since the worker started
    _steps: Iterator[Callable[[], None]] | None = field(default=None, repr=False)

    def start(self) -> None:
        steps = list(self.plan())
        self._steps = iter(steps)
        self.total, self.done = len(steps), 0
        self.started_at = time.time()
        self.count += 1
        metrics.REDIS_DATA_LOSSES.inc()
        metrics.REDIS_REBUILD_PENDING.set(self.total)
        log.warning(
            "Redis lost this worker's keys (the marker key is gone): rewriting all %d of them",
            self.total,
        )

    @property
    def active(self) -> bool:
        return self._steps is not None

    @property
    def pending(self) -> int:
        """Keys not marked yet (written or not, those marked are the writer's pending)."""
        return self.total - self.done if self.active else 0

    @property
    def all_marked(self) -> bool:
        return self.active and self.done == self.total

    def step(self, writer_pending: int, chunk: int = REBUILD_CHUNK) -> int:
        """Mark up to ``chunk`` keys, unless the writer is still behind. Returns how many."""
        if self._steps is None or writer_pending > REBUILD_MAX_PENDING:
            return 0
        n = 0
        for mark in itertools.islice(self._steps, chunk):
            mark()
            n += 1
        self.done += n
        metrics.REDIS_REBUILD_PENDING.set(self.pending)
        return n

    def finish(self) -> None:
        """Everything marked is written (the writer was idle after the last chunk)."""
        log.warning(
            "Redis rebuild wrote all %d keys in %.1f s", self.total, time.time() - self.started_at
        )
        self._steps = None
        metrics.REDIS_REBUILD_PENDING.set(0)

    def to_obj(self) -> dict[str, object]:
        obj: dict[str, object] = {"active": self.active, "rebuilds": self.count}
        if self.active:
            obj |= {
                "keys_total": self.total,
                "keys_left": self.pending,
                "for_seconds": round(time.time() - self.started_at, 1),
            }
        return obj
