"""Running a market: the thin I/O around the pure simulation.

- :func:`run_offline`: virtual clock, no services; optionally writes the event log.
- :func:`run_live`: sends to Kafka through :class:`client.producer.EventProducer` at a
  target rate (token bucket), stamping each event with the wall clock at send, and reads
  each session's recommendation list from Redis (:class:`RedisListSource`): the closed loop.
- :func:`write_truth`: the ground truth (who would apply to what) as JSON Lines.

The event log is JSON Lines in send order, ``{"topic": family, "event": <event JSON>}``,
with the event's bytes exactly as sent (validated by the producer in live mode).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import orjson
import redis

from schemas import Event, encode
from schemas.postings import PostingEvent
from settings import Settings
from simulator.market import Market

PORTAL_USER = "jobmatch-portal"


class RedisUnavailable(RuntimeError):
    """Redis did not answer, or refused the portal user."""


class RedisListSource:
    """Each seeker's live list from Redis, read as the read-only portal user.

    The list of seeker ``S42`` is the sorted set ``{key_prefix}:reco:seeker:{S42}`` (the
    braces are literal: a Redis Cluster hash tag), highest score first. One pipelined
    round trip per batch of seekers.
    """

    def __init__(
        self, settings: Settings, *, size: int = 120, client: redis.Redis | None = None
    ) -> None:
        self.settings = settings
        self.size = size
        self.errors = 0  # batches that failed mid-run (those sessions fall back to search)
        self._client = client or redis.Redis.from_url(
            settings.redis_url_for(PORTAL_USER, settings.redis_portal_password),
            decode_responses=True,
            socket_timeout=5.0,
            socket_connect_timeout=5.0,
        )

    def key(self, seeker_id: str) -> str:
        return f"{self.settings.key_prefix}:reco:seeker:{{{seeker_id}}}"

    def check(self) -> None:
        """Fail now, with what to do, when Redis is down or refuses the portal user."""
        try:
            self._client.ping()
        except redis.exceptions.AuthenticationError as exc:
            raise RedisUnavailable(
                f"Redis at {self._where()} refused user {PORTAL_USER}: check "
                "JOBMATCH_REDIS_PORTAL_PASSWORD (deploy/redis/dev.env)"
            ) from exc
        except redis.exceptions.ConnectionError as exc:
            raise RedisUnavailable(
                f"Redis is not reachable at {self._where()}: run `make up` first (or set "
                "JOBMATCH_REDIS_URL), or simulate without lists with --no-reco"
            ) from exc

    def get_lists(self, seeker_ids: Sequence[str]) -> dict[str, list[str]]:
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for sid in seeker_ids:
                    pipe.zrevrange(self.key(sid), 0, self.size - 1)
                replies = pipe.execute()
        except redis.exceptions.RedisError:
            # A blip must not stop the market: these sessions search instead.
            self.errors += 1
            return {}
        return {sid: lst for sid, lst in zip(seeker_ids, replies, strict=True) if lst}

    def close(self) -> None:
        self._client.close()

    def _where(self) -> str:
        url = self.settings.redis_url
        return url.split("@")[-1].removeprefix("redis://")


class EventLog:
    """Writes ``{"topic": ..., "event": ...}`` lines with the event's bytes verbatim."""

    def __init__(self, path: Path | str) -> None:
        self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed by close()

    def write(self, family: str, raw: bytes) -> None:
        self._file.write(b'{"topic":"' + family.encode() + b'","event":' + raw + b"}\n")

    def close(self) -> None:
        self._file.close()


class TokenBucket:
    """Paces work at ``rate`` per second, sleeping only when a batch of tokens is short.

    Tokens accrue continuously up to ``burst`` (default: one second's worth, so a stall
    of the broker or the machine is made up for afterwards); when the bucket is empty the
    caller sleeps until ``batch`` tokens are there, so it sleeps about every
    ``batch / rate`` seconds (10 ms) rather than once per event.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.batch = max(1.0, rate * 0.01)
        self.burst = max(burst if burst is not None else rate, self.batch)
        self._clock, self._sleep = clock, sleep
        self._tokens = 0.0
        self._last = clock()

    def take(self) -> None:
        if self._tokens < 1.0:
            self._refill()
            if self._tokens < 1.0:
                self._sleep((self.batch - self._tokens) / self.rate)
                self._refill()
        self._tokens -= 1.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now


@dataclass
class RunSummary:
    """What a run sent, for the final report and the tests."""

    mode: str  # "offline" or "live"
    events: dict[str, int] = field(default_factory=dict)  # per topic family
    actions: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    reco_requests: int = 0
    reco_found: int = 0
    stale_list_items: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    posting_ids: list[str] = field(default_factory=list)  # postings in the log, id order

    @property
    def total(self) -> int:
        return sum(self.events.values())

    @property
    def rate(self) -> float:
        return self.total / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def reco_found_share(self) -> float:
        return self.reco_found / self.reco_requests if self.reco_requests else 0.0

    def lines(self) -> list[str]:
        head = "interrupted" if self.interrupted else "done"
        speed = f"{self.rate:,.0f}/s, {self.mode}"
        out = [
            f"{head}: {self.total} events in {self.elapsed_s:.1f} s ({speed})",
            "  " + ", ".join(f"{k} {v}" for k, v in sorted(self.events.items())),
            "  actions: " + ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items())),
            f"  sessions {self.sessions}; asked for a reco list {self.reco_requests}, "
            f"found one {self.reco_found} ({self.reco_found_share:.0%}); "
            f"stale list entries {self.stale_list_items}",
        ]
        return out


class ProgressLike(Protocol):
    def advance(self, n: int = 1, **status: object) -> None: ...


class _Counter:
    """Counts what a run sends and reports progress every ``PROGRESS_EVERY`` events."""

    PROGRESS_EVERY = 200

    def __init__(self, market: Market, summary: RunSummary, progress: ProgressLike | None):
        self.market = market
        self.summary = summary
        self.progress = progress
        self._pending = 0
        self._posting_rows: set[int] = set()

    def count(self, family: str, event: Any) -> None:
        events = self.summary.events
        events[family] = events.get(family, 0) + 1
        if family == "interactions":
            actions = self.summary.actions
            actions[event.action] = actions.get(event.action, 0) + 1
        elif family == "postings":
            self._posting_rows.add(int(event.posting_id[1:]) - 1)
        self._pending += 1
        if self.progress is not None and self._pending >= self.PROGRESS_EVERY:
            self.flush_progress()

    def flush_progress(self) -> None:
        if self.progress is not None and self._pending:
            stats = self.market.stats
            self.progress.advance(self._pending, reco=f"{stats.reco_found_share:.0%}")
        self._pending = 0

    def finish(self, elapsed: float, interrupted: bool) -> RunSummary:
        self.flush_progress()
        s, stats = self.summary, self.market.stats
        s.sessions = stats.sessions
        s.reco_requests, s.reco_found = stats.reco_requests, stats.reco_found
        s.stale_list_items = stats.stale_list_items
        s.elapsed_s = elapsed
        s.interrupted = interrupted
        s.posting_ids = [
            self.market.postings[i].posting.posting_id for i in sorted(self._posting_rows)
        ]
        return s


def run_offline(
    market: Market,
    *,
    days: float,
    list_source: Any = None,
    max_events: int | None = None,
    log_path: Path | str | None = None,
    progress: ProgressLike | None = None,
) -> RunSummary:
    """Run ``days`` simulated days on the virtual clock; write the log if asked."""
    counter = _Counter(market, RunSummary("offline"), progress)
    log = EventLog(log_path) if log_path is not None else None
    started = time.monotonic()
    interrupted = False
    try:
        for family, event in _limited(
            market.events(days=days, list_source=list_source), max_events
        ):
            if log is not None:
                log.write(family, encode(event))
            counter.count(family, event)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if log is not None:
            log.close()
    return counter.finish(time.monotonic() - started, interrupted)


def run_live(
    market: Market,
    producer: Any,
    *,
    rate: float,
    duration_s: float | None = None,
    max_events: int | None = None,
    days: float | None = None,
    list_source: Any = None,
    log_path: Path | str | None = None,
    progress: ProgressLike | None = None,
    event_id_prefix: str | None = None,
    clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
) -> RunSummary:
    """Send the market to Kafka at ``rate`` events/s until a limit or Ctrl-C; then flush.

    ``producer`` is an :class:`client.producer.EventProducer` (``send_raw`` validates the
    bytes and sends them unchanged; the log holds the same bytes). Each event's ``ts`` is
    the wall clock at send; a posting that opens during the run is ``posted_at`` then too.
    """
    counter = _Counter(market, RunSummary("live"), progress)
    log = EventLog(log_path) if log_path is not None else None
    bucket = TokenBucket(rate)
    started = time.monotonic()
    deadline = None if duration_s is None else started + duration_s
    start_ms = market.config.start_ms
    interrupted = False
    events = market.events(days=days, list_source=list_source, event_id_prefix=event_id_prefix)
    try:
        try:
            for family, event in _limited(events, max_events):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                bucket.take()
                now = clock_ms()
                if isinstance(event, PostingEvent) and event.posting is not None:
                    posting = event.posting
                    if posting.posted_at >= start_ms:  # opened during the run: just now
                        posting = dataclasses.replace(posting, posted_at=now)
                    event = dataclasses.replace(event, ts=now, posting=posting)
                else:
                    event = dataclasses.replace(event, ts=now)
                raw = encode(event)
                producer.send_raw(family, raw)
                if log is not None:
                    log.write(family, raw)
                counter.count(family, event)
        except KeyboardInterrupt:
            interrupted = True
        producer.flush()
    finally:
        if log is not None:
            log.close()
    return counter.finish(time.monotonic() - started, interrupted)


def _limited(
    events: Iterator[tuple[str, Event]], max_events: int | None
) -> Iterator[tuple[str, Event]]:
    if max_events is None:
        yield from events
        return
    for n, item in enumerate(events):
        if n >= max_events:
            return
        yield item


@dataclass(frozen=True)
class TruthSummary:
    seekers: int
    postings: int
    mean_would_apply: float

    def line(self) -> str:
        return (
            f"truth: {self.seekers} seekers x {self.postings} postings, "
            f"mean would-apply count {self.mean_would_apply:.1f}"
        )


def write_truth(market: Market, path: Path | str, posting_ids: Sequence[str]) -> TruthSummary:
    """One line per seeker: ``{"seeker_id": ..., "would_apply": {posting_id: utility}}``."""
    seekers = 0
    total = 0
    with open(path, "wb") as f:
        for seeker_id, hits in market.truth(posting_ids):
            f.write(orjson.dumps({"seeker_id": seeker_id, "would_apply": hits}) + b"\n")
            seekers += 1
            total += len(hits)
    return TruthSummary(seekers, len(posting_ids), total / seekers if seekers else 0.0)
