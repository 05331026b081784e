"""The events a benchmark sends: a simulated market, backlogs per family, paced load.

* :func:`open_market` draws a simulator market (``simulator``) that starts now,
  and splits its event stream into the initial market (every open posting and profile)
  and the activity that follows.
* Backlogs for one topic family at a time (:func:`interaction_backlog`,
  :func:`profile_updates`, :func:`new_postings`) come from twin markets, so the main
  market's own stream stays untouched for the mixed load that follows.
* :func:`produce_backlog` writes a backlog with ``kcat`` (librdkafka, in C) at a rate far
  above what a worker consumes, so the worker, not the producer, sets the pace.
* :func:`paced_send` sends a stream at a fixed rate (token bucket) through the producer
  library, each event stamped with the wall clock at send, for a fixed duration.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
import subprocess
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from client.producer import EventProducer
from schemas import Event, encode, key_of
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import DesiredWage, Profile, ProfileEvent
from settings import Settings
from simulator import Market, MarketConfig
from simulator.runner import TokenBucket
from simulator.sources import ListSource

Stream = Iterator[tuple[str, Event]]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def stamp(event: Event, ts: int, *, opened_after_ms: int) -> Event:
    """``event`` sent at ``ts``: its time is the wall clock, and a posting that opened
    during the run (not with the market) is posted then too (as the live runner does)."""
    if isinstance(event, PostingEvent) and event.posting is not None:
        posting = event.posting
        if posting.posted_at >= opened_after_ms:
            posting = dataclasses.replace(posting, posted_at=ts)
        return dataclasses.replace(event, ts=ts, posting=posting)
    return dataclasses.replace(event, ts=ts)


@dataclass
class BenchMarket:
    """A simulator market that starts now: its initial events and its live stream."""

    config: MarketConfig
    seed: int
    market: Market
    initial: list[tuple[str, Event]]
    activity: Stream

    @property
    def posting_ids(self) -> set[str]:
        return {e.posting_id for f, e in self.initial if isinstance(e, PostingEvent)}

    @property
    def profiles(self) -> list[Profile]:
        return [e.profile for _, e in self.initial if isinstance(e, ProfileEvent) and e.profile]


def open_market(
    seekers: int, postings: int, *, seed: int = 7, list_source: ListSource | None = None
) -> BenchMarket:
    """Generate a market starting now; ``activity`` continues after the initial events."""
    config = MarketConfig(seekers=seekers, postings=postings, start_ms=now_ms())
    market = Market.generate(config, seed)
    stream = market.events(list_source=list_source, event_id_prefix="bench-m")
    initial = [next(stream) for _ in range(postings + seekers)]
    return BenchMarket(config, seed, market, initial, stream)


def interaction_backlog(
    bench: BenchMarket,
    count: int,
    *,
    list_source: ListSource | None = None,
    max_days: float = 30.0,
) -> list[Interaction]:
    """``count`` interactions of seekers and postings of the initial market.

    They come from a twin of the market (same seed, same start) run on its own, with its
    own event ids, so the main market's stream is left for later. Interactions with a
    posting or a seeker new in the twin's run are skipped: the worker never heard of them.
    A twin runs once: ask for everything you need in one call. Fewer come back when
    ``max_days`` simulated days do not hold ``count`` (the initial postings all close).
    """
    twin = Market.generate(bench.config, bench.seed)
    stream = twin.events(days=max_days, list_source=list_source, event_id_prefix="bench-ix")
    postings = bench.posting_ids
    seekers = {p.seeker_id for p in bench.profiles}
    out: list[Interaction] = []
    for n, (_, event) in enumerate(stream):
        if n < len(bench.initial):
            continue
        if (
            isinstance(event, Interaction)
            and event.posting_id in postings
            and event.seeker_id in seekers
        ):
            out.append(event)
            if len(out) >= count:
                break
    return out


def profile_updates(
    profiles: Sequence[Profile], count: int, *, tag: str, seed: int = 11
) -> list[ProfileEvent]:
    """``count`` edits of existing profiles (desired wage, career), one seeker after
    another; ``tag`` keeps the event ids of separate calls apart."""
    rng = random.Random(f"{seed}:{tag}")
    out: list[ProfileEvent] = []
    for i in range(count):
        profile = profiles[i % len(profiles)]
        wage = profile.desired_wage
        if wage is not None:
            wage = DesiredWage(wage.type, max(1, int(wage.min * rng.uniform(0.9, 1.1))))
        edited = dataclasses.replace(
            profile, desired_wage=wage, career_years=profile.career_years + rng.randint(0, 1)
        )
        out.append(ProfileEvent(f"bench-pu-{tag}-{i}", 0, "upsert", profile.seeker_id, edited))
    return out


def new_postings(bench: BenchMarket, count: int, *, tag: str, seed: int = 13) -> list[PostingEvent]:
    """``count`` postings new to the market, drawn by the simulator (ids ``N<tag>P...``)."""
    config = dataclasses.replace(bench.config, seekers=1, postings=count)
    other = Market.generate(config, zlib.crc32(f"{seed}:{tag}".encode()))
    out: list[PostingEvent] = []
    for state in other.postings[:count]:
        posting = dataclasses.replace(
            state.posting, posting_id=f"N{tag}{state.posting.posting_id}", posted_at=now_ms()
        )
        out.append(
            PostingEvent(f"bench-np-{posting.posting_id}", 0, "upsert", posting.posting_id, posting)
        )
    return out


Message = tuple[str, bytes, bytes]  # (family, key, value)


def encoded(events: Iterable[tuple[str, Event]], *, opened_after_ms: int) -> list[Message]:
    """(family, key, value) of each event stamped with the wall clock now."""
    out = []
    for family, event in events:
        stamped = stamp(event, now_ms(), opened_after_ms=opened_after_ms)
        out.append((family, key_of(stamped), encode(stamped)))
    return out


def produce_backlog(settings: Settings, messages: Sequence[tuple[str, bytes, bytes]]) -> float:
    """Write ``messages`` (family, key, value) with kcat, one call per family, in order.

    Keys are hashed with murmur2, as the Java client and kafka-python do, so a seeker's
    profile and interactions land on the same partition number. Returns the seconds taken.
    """
    kcat = shutil.which("kcat")
    if kcat is None:
        raise FileNotFoundError("kcat not found: run `make setup` (Debian package kcat)")
    started = time.perf_counter()
    by_family: dict[str, list[tuple[bytes, bytes]]] = {}
    for family, key, value in messages:
        by_family.setdefault(family, []).append((key, value))
    with tempfile.TemporaryDirectory() as tmp:
        for family, pairs in by_family.items():
            path = Path(tmp) / family
            # orjson escapes control characters, so a raw tab never occurs inside a value.
            path.write_bytes(b"".join(k + b"\t" + v + b"\n" for k, v in pairs))
            subprocess.run(
                [kcat, "-P", "-b", settings.kafka_bootstrap, "-t", settings.topic(family),
                 "-K", "\t", "-X", "topic.partitioner=murmur2_random", "-l", str(path)],
                check=True,
                timeout=600,
            )  # fmt: skip
    return time.perf_counter() - started


@dataclass
class PacedRun:
    """What :func:`paced_send` sent; ``probes``: (seeker_id, ts) of each probe event."""

    sent: dict[str, int]
    elapsed_s: float
    probes: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    @property
    def rate(self) -> float:
        return self.total / self.elapsed_s if self.elapsed_s else 0.0


def paced_send(
    producer: EventProducer,
    stream: Stream,
    *,
    rate: float,
    seconds: float,
    opened_after_ms: int,
    probe: Callable[[int], ProfileEvent] | None = None,
    probe_every_s: float = 0.5,
) -> PacedRun:
    """Send ``stream`` at ``rate`` events/s for ``seconds``, stamping each with the clock.

    Every ``probe_every_s`` one more event from ``probe(i)`` (a profile that registers a
    new seeker) goes out in between, its id and time noted: its list's ``:meta
    updated_at`` later says exactly when that event's list reached Redis.
    """
    bucket = TokenBucket(rate)
    sent: dict[str, int] = {}
    probes: list[tuple[str, int]] = []
    started = time.monotonic()
    deadline = started + seconds
    next_probe = started + probe_every_s / 2
    for family, event in stream:
        now = time.monotonic()
        if now >= deadline:
            break
        if probe is not None and now >= next_probe:
            next_probe += probe_every_s
            ts = now_ms()
            registration = dataclasses.replace(probe(len(probes)), ts=ts)
            producer.send_raw("profiles", encode(registration))
            probes.append((registration.seeker_id, ts))
        bucket.take()
        stamped = stamp(event, now_ms(), opened_after_ms=opened_after_ms)
        producer.send_raw(family, encode(stamped))
        sent[family] = sent.get(family, 0) + 1
    producer.flush()
    return PacedRun(sent, time.monotonic() - started, probes)
