"""Batched, coalesced writes of lists and display fields to Redis.

Agents never wait on Redis. They mark what changed (a seeker's list, a posting's display
fields, an employer list) and go on; a background loop writes everything marked in one
pipelined round trip, rendering each value at write time. Marking a seeker twice before a
flush writes it once, with the latest state, so writes can never land out of order.
A list of which only a few postings changed since it was last written (one joined, left
or was re-scored: a new posting, a close, an apply) is not rewritten: only those members
change in Redis (``update_seeker``), rendered at write time like everything else.
A failed round trip is retried with back-off and nothing marked is dropped.

Background re-ranks (the sweeper's: a new model, the horizon, a first ranking, the backfill
after closes) can mark thousands of lists at once. They wait in their own queue, written a
batch at a time after whatever events marked, so a burst of them never delays the lists
an event changed.

Freshness: an agent notes each event whose effects it marked (``note_event``); the event
is observed in ``jobmatch_freshness_seconds`` once every event-driven mark made until then
is written, i.e. when every list the event changed is in Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson
import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

try:
    import hiredis
except ImportError:  # redis[hiredis] is a dependency; without it writes are just slower
    hiredis = None

from online_model.live.views import SeekerListView
from streams import metrics
from streams.list_sink import ItemsRenderer, ListSink, PostingRenderer, SeekerRenderer
from streams.redis_health import RedisWriteRefused, WriteHealth
from streams.redis_keys import MARKER_TTL_S, RedisKeys, redis_score
from streams.redis_scripts import (
    ADVANCE_MARKER,
    REPLACE_HASH,
    REPLACE_SEEKER_LIST,
    UPDATE_SEEKER_LIST,
    UPDATE_SORTED_SET,
)

log = logging.getLogger(__name__)

Event = tuple[str, int]  # (kind, event time in ms) for the freshness histogram
# Reasons of re-ranks that no event is waiting for (see online_model.live and the sweeper).
BACKGROUND_REASONS = frozenset({"refill", "sweep", "model", "recovery", "repair"})
# A hold (see RedisWriter.hold) normally ends within a second, when the new assignment is
# recovered; if that never comes, writing resumes after this long.
HOLD_MAX_S = 60.0
# A batch renders its lists (features and reasons of every item) on the event loop before
# it is sent, and a hundred full lists take tens of milliseconds, in which no agent runs.
# Past this much rendering the rest of the batch goes back to its queue: the next batch,
# sent after this one's round trip has let the agents in, renders it.
RENDER_BUDGET_S = 0.008


class HiredisPackingConnection(aioredis.Connection):
    """redis-py's asyncio connection packs commands in Python, copying a growing buffer
    for every argument; a seeker list write has some 500 arguments, which made packing
    most of a write's cost. hiredis packs the same bytes in C (floats as ``repr``, like
    redis-py); anything it does not take goes the usual way."""

    def pack_command(self, *args: object) -> list[bytes]:  # type: ignore[override]
        if hiredis is not None:
            first = args[0]
            space = " " if isinstance(first, str) else b" "
            if isinstance(first, str | bytes) and space in first:  # type: ignore[operator]
                args = (*first.split(), *args[1:])  # "SCRIPT LOAD": two words, as redis-py
            try:
                return [hiredis.pack_command(args)]
            except TypeError:  # bool, bytearray, memoryview...: redis-py decides
                pass
        return super().pack_command(*args)  # type: ignore[arg-type]


def use_hiredis_packing(client: aioredis.Redis) -> None:
    """Make ``client``'s new connections pack with hiredis (plain TCP connections only)."""
    pool = client.connection_pool
    if hiredis is not None and pool.connection_class is aioredis.Connection:
        pool.connection_class = HiredisPackingConnection


@dataclass
class _EmployerDelta:
    add: dict[str, float] = field(default_factory=dict)
    remove: set[str] = field(default_factory=set)
    expire_at: int = 0
    # The list was dropped (its posting closed) before this change: delete it first, so
    # no member of before the drop survives a posting that closed and opened again.
    reset: bool = False

    def apply(self, add: Mapping[str, float], remove: Iterable[str]) -> None:
        """Fold a later change into this one: the later word on a seeker wins."""
        for seeker_id in remove:
            self.add.pop(seeker_id, None)
            self.remove.add(seeker_id)
        for seeker_id, score in add.items():
            self.remove.discard(seeker_id)
            self.add[seeker_id] = score


@dataclass
class _Touched:
    """Postings of a written list that changed since (joined, left or re-scored)."""

    posting_ids: dict[str, None]  # ordered set
    reason: str


class RedisWriter(ListSink):
    """Coalesces marks and writes them in pipelined batches (see module docstring)."""

    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        *,
        render_seeker: SeekerRenderer,
        render_posting: PostingRenderer,
        render_items: ItemsRenderer | None = None,
        max_batch: int = 100,
        linger_s: float = 0.01,
        marker_key: str | None = None,
    ) -> None:
        self._client = client
        use_hiredis_packing(client)
        self.health = WriteHealth()
        # Every pipelined write ends by advancing marker_key to its number, from the
        # number of the write before only; the number of the last acknowledged one tells
        # streams.redis_rebuild whether Redis lost any write.
        self.marker_key = marker_key
        self.written_epoch = 0
        # Held by each pipelined round trip and by the marker check, so the check never
        # reads the marker while a write that advances it is on its way.
        self.round_trip = asyncio.Lock()
        self._keys = keys
        self._render_seeker = render_seeker
        self._render_posting = render_posting
        self._render_items = render_items or self._items_of_full_view
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._seekers: dict[str, str] = {}  # seeker_id -> reason of the latest mark
        # Seekers of whose written list only a few postings changed since; never also in a
        # queue of full rewrites, which render the whole list as it is then.
        self._touched: dict[str, _Touched] = {}
        self._background: dict[str, str] = {}  # the same, for BACKGROUND_REASONS only
        self._postings: dict[str, None] = {}  # ordered set
        self._employer: dict[str, _EmployerDelta] = {}
        self._employer_dropped: dict[str, None] = {}
        self._events: list[Event] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._in_flight = 0  # marks and events taken by the round under way
        self._idle.set()
        # Cleared while partitions change hands: see hold().
        self._released = asyncio.Event()
        self._released.set()
        self._sources = {
            "seeker": REPLACE_SEEKER_LIST,
            "update": UPDATE_SEEKER_LIST,
            "zset": UPDATE_SORTED_SET,
            "hash": REPLACE_HASH,
            "marker": ADVANCE_MARKER,
        }
        self._sha = {name: sha1_hex(source) for name, source in self._sources.items()}

    @property
    def client(self) -> aioredis.Redis:
        return self._client

    # -- marking (synchronous, called from agents) ---------------------------------------

    def mark_seeker(self, seeker_id: str, reason: str) -> None:
        """Rewrite ``seeker_id``'s list (or delete it) at the next flush."""
        # The rewrite renders the touched postings too, and is as urgent as their update.
        touched = self._touched.pop(seeker_id, None)
        if touched is not None and reason in BACKGROUND_REASONS:
            reason = touched.reason
        if reason not in BACKGROUND_REASONS:
            self._background.pop(seeker_id, None)
            self._seekers[seeker_id] = reason
        elif seeker_id in self._seekers:
            self._seekers[seeker_id] = reason  # written soon anyway, with the latest reason
        else:
            self._background[seeker_id] = reason
        self._poke()

    def update_seeker(self, seeker_id: str, posting_ids: Iterable[str], *, reason: str) -> None:
        """Rewrite only ``posting_ids`` of ``seeker_id``'s list at the next flush: each as
        the list then holds it (score and reasons), or out of it; the rest stays as
        written. Only for a list whose sole changes since its last write are to these."""
        if seeker_id in self._seekers or seeker_id in self._background:
            self.mark_seeker(seeker_id, reason)  # a rewrite is due anyway: make it urgent
            return
        pending = self._touched.setdefault(seeker_id, _Touched({}, reason))
        pending.posting_ids.update(dict.fromkeys(posting_ids))
        pending.reason = reason
        self._poke()

    def mark_posting(self, posting_id: str) -> None:
        """Rewrite (or delete) ``posting_id``'s display hash at the next flush."""
        self._postings[posting_id] = None
        self._poke()

    def drop_employer_list(self, posting_id: str) -> None:
        """Delete a closed posting's employer list, discarding any pending change to it."""
        self._employer.pop(posting_id, None)
        self._employer_dropped[posting_id] = None
        self._poke()

    def note_event(self, kind: str, ts_ms: int) -> None:
        """Observe this event's freshness once everything marked so far is written."""
        self._events.append((kind, ts_ms))
        self._poke()  # even if it marked nothing (a posting no list wanted)

    def update_employer_list(
        self,
        posting_id: str,
        *,
        add: Mapping[str, float] | None = None,
        remove: Sequence[str] | set[str] = (),
        expire_at: int = 0,
    ) -> None:
        """Add or re-score seekers in a posting's list and remove others, in one step."""
        dropped = posting_id in self._employer_dropped
        self._employer_dropped.pop(posting_id, None)
        delta = self._employer.setdefault(posting_id, _EmployerDelta(reset=dropped))
        delta.apply(add or {}, remove)
        delta.expire_at = expire_at or delta.expire_at
        self._poke()

    @property
    def pending(self) -> int:
        """Marks not written yet (queued or in a write under way), and noted events whose
        freshness is not observed yet: 0 means Redis holds everything marked so far."""
        return (
            len(self._seekers) + len(self._touched) + len(self._background)
            + len(self._postings) + len(self._employer) + len(self._employer_dropped)
            + len(self._events) + self._in_flight
        )  # fmt: skip

    def _items_of_full_view(
        self, seeker_id: str, posting_ids: Collection[str]
    ) -> SeekerListView | None:
        """The default ``render_items``: the full view, filtered."""
        view = self._render_seeker(seeker_id)
        if view is None:
            return None
        items = [item for item in view.items if item[0] in posting_ids]
        return SeekerListView(items, view.model_version, view.ttl_seconds)

    def _poke(self) -> None:
        self._idle.clear()
        self._wake.set()

    # -- rebalances ----------------------------------------------------------------------

    async def settle(self, timeout: float) -> bool:
        """Write what is marked (at most ``timeout`` s); True when nothing is left."""
        try:
            await asyncio.wait_for(self.wait_idle(), timeout)
        except TimeoutError:
            return False
        return True

    def hold(self) -> None:
        """Write nothing until :meth:`release`: this worker's seekers are changing hands,
        and until it knows which are still its own, a list it wrote could overwrite the
        new owner's."""
        self._released.clear()

    def release(self, gone: Iterable[str] = ()) -> None:
        """Write again, discarding what was marked for ``gone``: seekers now another
        worker's, who writes their lists from now on."""
        for seeker_id in gone:
            self._seekers.pop(seeker_id, None)
            self._touched.pop(seeker_id, None)
            self._background.pop(seeker_id, None)
        self._released.set()
        self._poke()

    # -- writing -------------------------------------------------------------------------

    async def run(self) -> None:
        """Write forever: wake on marks, linger briefly to batch, flush; retry on errors."""
        backoff = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._wait_released()
            if self._linger_s:
                await asyncio.sleep(self._linger_s)
            try:
                await self.flush()
                self.health.succeeded()
                backoff = 0.1
            except (RedisError, OSError) as exc:
                # Transient or not, retry: a refusal (out of memory, a permission) heals
                # when the operator acts, and writing must then resume by itself. What is
                # wrong is told by self.health (/health, a metric, an alert), not by a
                # log line per retry.
                self.health.failed(exc, pending=self.pending)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                self._wake.set()

    async def _wait_released(self) -> None:
        if self._released.is_set():
            return
        try:
            await asyncio.wait_for(self._released.wait(), HOLD_MAX_S)
        except TimeoutError:
            log.warning(
                "writes held for %.0f s without a new assignment; writing again", HOLD_MAX_S
            )
            self._released.set()

    async def wait_idle(self) -> None:
        """Return once everything marked so far has been written."""
        await self._idle.wait()

    async def flush(self) -> None:
        """Write everything marked so far; on failure the marks are kept for a retry.

        In rounds: every event-driven mark made before the round, then the freshness of
        the events noted before it, then one batch of background marks. Marks made
        meanwhile (the agents run while a round waits on Redis) go to the next round.
        """
        while self.pending:
            await self._flush_round()
        self._idle.set()

    async def _flush_round(self) -> None:
        events, self._events = self._events, []
        try:
            self._in_flight = len(events)
            # The oldest entries of each queue: the ones there when the round began.
            queues = (
                self._seekers, self._touched, self._postings, self._employer,
                self._employer_dropped,
            )  # fmt: skip
            left = [len(q) for q in queues]
            while any(left):
                take = [min(n, self._max_batch) for n in left]
                batch = _Batch(
                    seekers=_take(self._seekers, take[0]),
                    touched=_take(self._touched, take[1]),
                    postings=_take(self._postings, take[2]),
                    employer=_take(self._employer, take[3]),
                    dropped=_take(self._employer_dropped, take[4]),
                )
                left = [n - t for n, t in zip(left, take, strict=True)]
                size = batch.size
                self._in_flight += size
                await self._write_or_restore(batch)
                self._in_flight -= size
                left[0] += batch.deferred_seekers  # back in their queues, still this round's
                left[1] += batch.deferred_touched
        except BaseException:
            self._events = events + self._events
            raise
        finally:
            self._in_flight = 0
        written_s = time.time()
        for kind, ts_ms in events:
            metrics.FRESHNESS.labels(kind).observe(max(written_s - ts_ms / 1000, 0.0))
        if self._background:
            background = _take(self._background, self._max_batch)
            batch = _Batch(background, {}, {}, {}, {}, background=True)
            self._in_flight = len(background)
            try:
                await self._write_or_restore(batch)
            finally:
                self._in_flight = 0

    async def _write_or_restore(self, batch: _Batch) -> None:
        try:
            await self._write(batch)
        except BaseException:
            self._restore(batch)
            raise
        for seeker_id, reason in batch.rewrite.items():
            self.mark_seeker(seeker_id, reason)

    async def _write(self, batch: _Batch) -> None:
        try:
            await self._write_once(batch)
        except NoScriptError:
            # A restarted or failed-over Redis forgot the scripts. Every write here is an
            # idempotent replacement, so loading them and repeating the batch is safe.
            for source in self._sources.values():
                await self._client.script_load(source)
            await self._write_once(batch)

    async def _write_once(self, batch: _Batch) -> None:
        pipe = self._client.pipeline(transaction=False)
        sha = self._sha
        now_ms = int(time.time() * 1000)
        reasons: list[str] = []
        render_until = time.perf_counter() + RENDER_BUDGET_S
        rendered = 0
        seekers = list(batch.seekers.items())
        for n, (seeker_id, reason) in enumerate(seekers):
            if rendered and time.perf_counter() > render_until:
                self._defer(batch, seekers=[sid for sid, _ in seekers[n:]])
                break
            rendered += 1
            view = self._render_seeker(seeker_id)
            keys = [
                self._keys.seeker_list(seeker_id),
                self._keys.seeker_meta(seeker_id),
                self._keys.seeker_why(seeker_id),
            ]
            if view is None:
                pipe.unlink(*keys)
            else:
                pipe.evalsha(sha["seeker"], len(keys), *keys, *_seeker_args(view, now_ms, reason))
                reasons.append(reason)
        updates: list[tuple[int, str, str]] = []  # (command index, seeker, reason)
        touched_seekers = list(batch.touched.items())
        for n, (seeker_id, touched) in enumerate(touched_seekers):
            if rendered and time.perf_counter() > render_until:
                self._defer(batch, touched=[sid for sid, _ in touched_seekers[n:]])
                break
            rendered += 1
            view = self._render_items(seeker_id, touched.posting_ids)
            if view is None:
                batch.rewrite[seeker_id] = touched.reason  # no list: a full write deletes
                continue
            keys = [
                self._keys.seeker_list(seeker_id),
                self._keys.seeker_meta(seeker_id),
                self._keys.seeker_why(seeker_id),
            ]
            args = _update_args(view, touched.posting_ids, now_ms, touched.reason)
            updates.append((len(pipe), seeker_id, touched.reason))
            pipe.evalsha(sha["update"], len(keys), *keys, *args)
            reasons.append(touched.reason)
        for posting_id in batch.postings:
            view = self._render_posting(posting_id)
            display_key = self._keys.posting_display(posting_id)
            if view is None:
                pipe.unlink(display_key, self._keys.posting_list(posting_id))
            else:
                args: list[object] = [view.expire_at]
                for name, value in view.display.items():
                    args += [name, value]
                pipe.evalsha(sha["hash"], 1, display_key, *args)
        for posting_id, delta in batch.employer.items():
            if delta.reset:
                pipe.unlink(self._keys.posting_list(posting_id))
            args = [delta.expire_at, len(delta.remove), *delta.remove]
            for seeker_id, score in delta.add.items():
                args += [redis_score(score), seeker_id]
            pipe.evalsha(sha["zset"], 1, self._keys.posting_list(posting_id), *args)
        for posting_id in batch.dropped:
            pipe.unlink(self._keys.posting_list(posting_id))
        if not pipe:
            return
        async with self.round_trip:
            if self.marker_key is not None:
                epoch = self.written_epoch
                pipe.evalsha(sha["marker"], 1, self.marker_key, epoch, epoch + 1, MARKER_TTL_S)
            commands = [args for args, _ in pipe.command_stack]
            started = time.perf_counter()
            results = await pipe.execute(raise_on_error=False)
            metrics.REDIS_WRITE.observe(time.perf_counter() - started)
            _raise_first_error(commands, results)
            if self.marker_key is not None:
                self.written_epoch += 1
        for index, seeker_id, reason in updates:
            if results[index] == -1:  # Redis has no list to change: write it whole
                batch.rewrite[seeker_id] = reason
        for reason in reasons:
            metrics.LIST_REFRESHES.labels(reason).inc()
        if batch.employer:
            metrics.EMPLOYER_LIST_UPDATES.inc(len(batch.employer))

    def _defer(
        self, batch: _Batch, *, seekers: Sequence[str] = (), touched: Sequence[str] = ()
    ) -> None:
        """Put the part of ``batch`` left unrendered back in its queues, as a failed write
        would (a mark made meanwhile, during a script reload, is newer and wins)."""
        rest = _Batch(
            seekers={seeker_id: batch.seekers.pop(seeker_id) for seeker_id in seekers},
            touched={seeker_id: batch.touched.pop(seeker_id) for seeker_id in touched},
            postings={},
            employer={},
            dropped={},
            background=batch.background,
        )
        self._restore(rest)
        batch.deferred_seekers += len(seekers)
        batch.deferred_touched += len(touched)

    def _restore(self, batch: _Batch) -> None:
        # Marks made while the failed write was in flight are newer and win.
        for seeker_id, reason in batch.seekers.items():
            if seeker_id in self._seekers:
                continue  # marked again by an event meanwhile
            # Postings touched meanwhile: the rewrite renders them too, and is as urgent.
            touched = self._touched.pop(seeker_id, None)
            if batch.background and touched is None:
                self._background.setdefault(seeker_id, reason)
            else:
                self._background.pop(seeker_id, None)
                self._seekers[seeker_id] = reason if touched is None else touched.reason
        for seeker_id, touched in batch.touched.items():
            if seeker_id in self._seekers or seeker_id in self._background:
                continue  # a rewrite is due, which renders those postings too
            newer = self._touched.get(seeker_id)
            if newer is not None:
                touched.posting_ids.update(newer.posting_ids)
                touched.reason = newer.reason
            self._touched[seeker_id] = touched
        for posting_id in batch.postings:
            self._postings.setdefault(posting_id, None)
        for posting_id in batch.dropped:
            if posting_id in self._employer:
                self._employer[posting_id].reset = True  # changed since: delete, then change
            else:
                self._employer_dropped.setdefault(posting_id, None)
        for posting_id, old in batch.employer.items():
            if posting_id in self._employer_dropped:
                continue
            newer = self._employer.get(posting_id)
            if newer is not None and newer.reset:
                continue  # dropped and changed again meanwhile: the newer change is whole
            if newer is not None:
                old.apply(newer.add, newer.remove)
                old.expire_at = newer.expire_at or old.expire_at
            self._employer[posting_id] = old


@dataclass
class _Batch:
    seekers: dict[str, str]
    touched: dict[str, _Touched]
    postings: dict[str, None]
    employer: dict[str, _EmployerDelta]
    dropped: dict[str, None]
    background: bool = False  # seekers from the background queue
    # Touched seekers whose list must be written whole after all (set by the write).
    rewrite: dict[str, str] = field(default_factory=dict)
    # Seekers and touched seekers handed back unrendered (RENDER_BUDGET_S; set by the write).
    deferred_seekers: int = 0
    deferred_touched: int = 0

    @property
    def size(self) -> int:
        return (
            len(self.seekers) + len(self.touched) + len(self.postings) + len(self.employer)
            + len(self.dropped)
        )  # fmt: skip


def _raise_first_error(commands: Sequence[Sequence[object]], results: Sequence[object]) -> None:
    """Raise the first command error of a pipeline, named by its command and key only
    (redis-py's own message would quote every argument: a seeker's whole list)."""
    errors = [
        (args, r) for args, r in zip(commands, results, strict=True) if isinstance(r, RedisError)
    ]
    if not errors:
        return
    for _, error in errors:
        if isinstance(error, NoScriptError):
            raise error  # the scripts are loaded and the batch repeated (see _write)
    args, error = errors[0]
    name = str(args[0])
    key = (
        args[3] if name.upper() == "EVALSHA" and len(args) > 3 else args[1] if len(args) > 1 else ""
    )
    raise RedisWriteRefused(name, key.decode() if isinstance(key, bytes) else str(key), error)


def sha1_hex(source: str) -> str:
    """The SHA-1 Redis uses to name a script (EVALSHA)."""
    return hashlib.sha1(source.encode()).hexdigest()


def _take(pending: dict, limit: int) -> dict:  # type: ignore[type-arg]
    """Remove and return up to ``limit`` entries, oldest first."""
    if len(pending) <= limit:
        taken = dict(pending)
        pending.clear()
        return taken
    return {key: pending.pop(key) for key in list(itertools.islice(pending, limit))}


def _seeker_args(view: SeekerListView, now_ms: int, reason: str) -> list[object]:
    args: list[object] = [view.ttl_seconds, now_ms, view.model_version, reason, len(view.items)]
    for posting_id, score, _ in view.items:
        args += [redis_score(score), posting_id]
    for posting_id, _, why in view.items:
        args += [posting_id, orjson.dumps(list(why))]
    return args


def _update_args(
    view: SeekerListView, touched: Collection[str], now_ms: int, reason: str
) -> list[object]:
    """UPDATE_SEEKER_LIST's arguments: the touched postings the list no longer holds go,
    those it holds are written with their current score and reasons."""
    held = {posting_id for posting_id, _, _ in view.items}
    gone = [posting_id for posting_id in touched if posting_id not in held]
    args: list[object] = [view.ttl_seconds, now_ms, reason, len(gone), len(view.items), *gone]
    for posting_id, score, _ in view.items:
        args += [redis_score(score), posting_id]
    for posting_id, _, why in view.items:
        args += [posting_id, orjson.dumps(list(why))]
    return args
