"""Batched, coalesced writes of lists and display fields to Redis.

Agents never wait on Redis. They mark what changed (a seeker's list, a posting's display
fields, an employer list) and go on; a background loop writes everything marked in one
pipelined round trip, rendering each value at write time. Marking a seeker twice before a
flush writes it once, with the latest state, so writes can never land out of order.
A failed round trip is retried with back-off and nothing marked is dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from streams import metrics
from streams.redis_keys import RedisKeys
from streams.redis_scripts import REPLACE_HASH, REPLACE_SEEKER_LIST, UPDATE_SORTED_SET

log = logging.getLogger(__name__)

Event = tuple[str, int]  # (kind, event time in ms) for the freshness histogram


@dataclass(frozen=True)
class SeekerListView:
    """A seeker's list as it is written: best first, with reasons."""

    items: Sequence[tuple[str, float, Sequence[str]]]  # (posting_id, score, reasons)
    model_version: int
    ttl_seconds: int


@dataclass(frozen=True)
class PostingView:
    """A posting's display fields; ``expire_at`` (unix s, 0 = never) bounds its keys."""

    display: Mapping[str, str]
    expire_at: int = 0


SeekerRenderer = Callable[[str], SeekerListView | None]  # None: delete the seeker's keys
PostingRenderer = Callable[[str], PostingView | None]  # None: delete the posting's keys


@dataclass
class _Pending:
    reason: str = ""
    events: list[Event] = field(default_factory=list)


@dataclass
class _EmployerDelta:
    add: dict[str, float] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)
    expire_at: int = 0
    events: list[Event] = field(default_factory=list)

    def apply(self, add: Mapping[str, float], remove: Iterable[str]) -> None:
        """Fold a later change into this one: the later word on a seeker wins."""
        for seeker_id in remove:
            self.add.pop(seeker_id, None)
            self.remove.add(seeker_id)
        for seeker_id, score in add.items():
            self.remove.discard(seeker_id)
            self.add[seeker_id] = score


class RedisWriter:
    """Coalesces marks and writes them in pipelined batches (see module docstring)."""

    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        *,
        render_seeker: SeekerRenderer,
        render_posting: PostingRenderer,
        max_batch: int = 500,
        linger_s: float = 0.002,
    ) -> None:
        self._client = client
        self._keys = keys
        self._render_seeker = render_seeker
        self._render_posting = render_posting
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._seekers: dict[str, _Pending] = {}
        self._postings: dict[str, _Pending] = {}
        self._employer: dict[str, _EmployerDelta] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sources = {
            "seeker": REPLACE_SEEKER_LIST,
            "zset": UPDATE_SORTED_SET,
            "hash": REPLACE_HASH,
        }
        self._sha = {name: sha1_hex(source) for name, source in self._sources.items()}

    # -- marking (synchronous, called from agents) ---------------------------------------

    def mark_seeker(self, seeker_id: str, reason: str, event: Event | None = None) -> None:
        """Rewrite ``seeker_id``'s list (or delete it) at the next flush."""
        pending = self._seekers.setdefault(seeker_id, _Pending())
        pending.reason = reason
        if event is not None:
            pending.events.append(event)
        self._poke()

    def mark_posting(self, posting_id: str, event: Event | None = None) -> None:
        """Rewrite (or delete) ``posting_id``'s display hash at the next flush."""
        pending = self._postings.setdefault(posting_id, _Pending())
        if event is not None:
            pending.events.append(event)
        self._poke()

    def update_employer_list(
        self,
        posting_id: str,
        *,
        add: Mapping[str, float] | None = None,
        remove: Sequence[str] | set[str] = (),
        expire_at: int = 0,
        event: Event | None = None,
    ) -> None:
        """Add or re-score seekers in a posting's list and remove others, in one step."""
        delta = self._employer.setdefault(posting_id, _EmployerDelta())
        delta.apply(add or {}, remove)
        delta.expire_at = expire_at or delta.expire_at
        if event is not None:
            delta.events.append(event)
        self._poke()

    @property
    def pending(self) -> int:
        return len(self._seekers) + len(self._postings) + len(self._employer)

    def _poke(self) -> None:
        self._idle.clear()
        self._wake.set()

    # -- writing -------------------------------------------------------------------------

    async def run(self) -> None:
        """Write forever: wake on marks, linger briefly to batch, flush; retry on errors."""
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._linger_s:
                await asyncio.sleep(self._linger_s)
            try:
                await self.flush()
                backoff = 0.1
            except (RedisError, OSError) as exc:
                log.error("Redis write failed, retrying in %.1fs: %s", backoff, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()

    async def wait_idle(self) -> None:
        """Return once everything marked so far has been written."""
        await self._idle.wait()

    async def flush(self) -> None:
        """Write everything marked so far; on failure the marks are kept for a retry."""
        while self._seekers or self._postings or self._employer:
            seekers = _take(self._seekers, self._max_batch)
            postings = _take(self._postings, self._max_batch)
            employer = _take(self._employer, self._max_batch)
            try:
                await self._write(seekers, postings, employer)
            except BaseException:
                self._restore(seekers, postings, employer)
                raise
        self._idle.set()

    async def _write(
        self,
        seekers: dict[str, _Pending],
        postings: dict[str, _Pending],
        employer: dict[str, _EmployerDelta],
    ) -> None:
        try:
            await self._write_once(seekers, postings, employer)
        except NoScriptError:
            # A restarted or failed-over Redis forgot the scripts. Every write here is an
            # idempotent replacement, so loading them and repeating the batch is safe.
            for source in self._sources.values():
                await self._client.script_load(source)
            await self._write_once(seekers, postings, employer)

    async def _write_once(
        self,
        seekers: dict[str, _Pending],
        postings: dict[str, _Pending],
        employer: dict[str, _EmployerDelta],
    ) -> None:
        pipe = self._client.pipeline(transaction=False)
        sha = self._sha
        now_ms = int(time.time() * 1000)
        reasons: list[str] = []
        for seeker_id, pending in seekers.items():
            view = self._render_seeker(seeker_id)
            keys = [
                self._keys.seeker_list(seeker_id),
                self._keys.seeker_meta(seeker_id),
                self._keys.seeker_why(seeker_id),
            ]
            if view is None:
                pipe.unlink(*keys)
            else:
                pipe.evalsha(sha["seeker"], len(keys), *keys, *_seeker_args(view, now_ms, pending.reason))
                reasons.append(pending.reason)
        for posting_id in postings:
            view = self._render_posting(posting_id)
            display_key = self._keys.posting_display(posting_id)
            if view is None:
                pipe.unlink(display_key, self._keys.posting_list(posting_id))
            else:
                args: list[object] = [view.expire_at]
                for name, value in view.display.items():
                    args += [name, value]
                pipe.evalsha(sha["hash"], 1, display_key, *args)
        for posting_id, delta in employer.items():
            args = [delta.expire_at, len(delta.remove), *delta.remove]
            for seeker_id, score in delta.add.items():
                args += [score, seeker_id]
            pipe.evalsha(sha["zset"], 1, self._keys.posting_list(posting_id), *args)
        if not pipe:
            return
        started = time.perf_counter()
        await pipe.execute()
        metrics.REDIS_WRITE.observe(time.perf_counter() - started)

        written_s = time.time()
        for reason in reasons:
            metrics.LIST_REFRESHES.labels(reason).inc()
        if employer:
            metrics.EMPLOYER_LIST_UPDATES.inc(len(employer))
        for group in (seekers.values(), postings.values(), employer.values()):
            for pending in group:
                for kind, ts_ms in pending.events:
                    metrics.FRESHNESS.labels(kind).observe(max(written_s - ts_ms / 1000, 0.0))

    def _restore(
        self,
        seekers: dict[str, _Pending],
        postings: dict[str, _Pending],
        employer: dict[str, _EmployerDelta],
    ) -> None:
        # Marks made while the failed write was in flight are newer: keep their reason,
        # merge the events of both.
        for target, taken in ((self._seekers, seekers), (self._postings, postings)):
            for key, old in taken.items():
                newer = target.get(key)
                if newer is None:
                    target[key] = old
                else:
                    newer.events = old.events + newer.events
        for posting_id, old_delta in employer.items():
            newer_delta = self._employer.get(posting_id)
            if newer_delta is None:
                self._employer[posting_id] = old_delta
                continue
            merged = old_delta
            merged.apply(newer_delta.add, newer_delta.remove)
            merged.expire_at = newer_delta.expire_at or old_delta.expire_at
            merged.events += newer_delta.events
            self._employer[posting_id] = merged


def sha1_hex(source: str) -> str:
    """The SHA-1 Redis uses to name a script (EVALSHA)."""
    return hashlib.sha1(source.encode()).hexdigest()


def _take(pending: dict, limit: int) -> dict:  # type: ignore[type-arg]
    """Remove and return up to ``limit`` entries, oldest first."""
    if len(pending) <= limit:
        taken = dict(pending)
        pending.clear()
        return taken
    taken = {}
    for key in list(pending)[:limit]:
        taken[key] = pending.pop(key)
    return taken


def _seeker_args(view: SeekerListView, now_ms: int, reason: str) -> list[object]:
    args: list[object] = [view.ttl_seconds, now_ms, view.model_version, reason, len(view.items)]
    for posting_id, score, _ in view.items:
        args += [repr(float(score)), posting_id]
    for posting_id, _, why in view.items:
        args += [posting_id, orjson.dumps(list(why))]
    return args
