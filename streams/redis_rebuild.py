"""Noticing that Redis lost this worker's keys, and writing them all again.

Everything in Redis is derived state: the worker holds every list it owns, every open
posting and its employer-list members in memory (rebuilt from Kafka on start). Redis can
lose it without the worker hearing a thing: a FLUSHALL, a restart without persistence,
eviction under ``maxmemory``. Each worker therefore keeps a marker key of its own
(:meth:`streams.redis_keys.RedisKeys.worker_marker`) and checks it every few seconds with one
``SET ... XX``; when the marker is gone, so may be anything else, and :class:`Rebuild`
marks every key the worker owns for a rewrite, a chunk at a time, so the rebuild never
crowds out the writes events make (``/health`` reports its progress).

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

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from streams import metrics
from streams.redis_health import WriteHealth

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0
# The marker outlives a worker that died without cleaning up by an hour, no longer.
MARKER_TTL_S = 3600
# Keys marked per rebuild step, and the writer backlog above which a step waits.
REBUILD_CHUNK = 500
REBUILD_MAX_PENDING = 2_000


def worker_token() -> str:
    """A name for this worker process, unique across restarts."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class MarkerWatch:
    """Tells whether the worker's marker key is still in Redis."""

    def __init__(self, client: aioredis.Redis, key: str, health: WriteHealth) -> None:
        self._client = client
        self._key = key
        self._health = health
        self._placed = False

    async def lost(self) -> bool:
        """True when Redis lost the marker since the last check (it is placed again).

        The first successful check only places it. The check is a write: its failure
        (Redis down, out of memory) is reported like any other write's, so a worker with
        nothing else to write still tells when Redis cannot take writes; and it answers
        False: the check after Redis comes back tells whether it came back empty."""
        try:
            placed = await self._client.set(self._key, b"1", ex=MARKER_TTL_S, xx=True)
            if not placed:
                await self._client.set(self._key, b"1", ex=MARKER_TTL_S)
        except (RedisError, OSError) as exc:
            self._health.failed(exc, pending=0)
            return False
        self._health.server_takes_writes()
        lost, self._placed = self._placed and not placed, True
        return lost


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
