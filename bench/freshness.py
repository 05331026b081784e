"""Scenario 3: freshness (event time to list written in Redis) under sustained mixed load.

First the maximum: a backlog of the simulator's own mixed stream (interactions, profile
edits, registrations, new and closed postings, in its proportions) is timed like the
per-family backlogs. Then the same stream is sent at a fixed rate (token bucket, each event
stamped with the wall clock at send, sessions reading their lists from Redis as a portal
would) at 25 %, 50 % and 80 % of that maximum and at the target's 1,000 events/s, each for
a fixed window after a warm-up; the baseline is a trickle of 10 events/s, measured first.

Two measures of freshness per level:

* the worker's own ``jobmatch_freshness_seconds`` histogram (every event that changed a
  list, observed when the write that includes its change has completed), differenced
  over the window; quantiles interpolated inside buckets (0.1, 0.25, 0.5, 1, 2.5 s ...);
* probes: every half second a new seeker registers; after the window the ``:meta
  updated_at`` of their list minus the event's ``ts`` is exact (to the millisecond) for
  that event, as long as nothing rewrote the list since (``reason`` still ``profile``).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from bench import profiling
from bench.events import encoded, paced_send
from bench.harness import log
from bench.pipeline import Drain, LoadedWorker
from bench.results import Row, Section, fmt
from client.metrics_reader import delta, quantile, share_at_most
from client.producer import EventProducer
from schemas.profiles import ProfileEvent
from streams.metrics import FRESHNESS_BUCKETS
from streams.redis_keys import RedisKeys

TARGET_RATE = 1000.0
TARGET_P99_S = 1.0
KINDS = ("interaction", "profile", "posting", "close")


@dataclass(frozen=True)
class FreshnessPlan:
    probe: int
    max_events: int
    drain_seconds: float
    warmup_s: float
    window_s: float
    ramp_window_s: float
    trickle_rate: float = 10.0
    shares: tuple[float, ...] = (0.25, 0.5, 0.8)
    ramp_factor: float = 1.4
    ramp_steps: int = 8
    keep_up_s: float = 2.0  # a rate is sustained if the worker is idle this soon after
    profile_s: float = 10.0  # py-spy the worker this long at the target rate


@dataclass(frozen=True)
class RampStep:
    rate: float
    sent_rate: float
    lag_at_end: int
    drain_after_s: float
    sustained: bool


@dataclass
class Level:
    label: str
    rate: float  # asked for
    sustainable: bool = True  # at or below the sustained maximum found by the ramp
    sent_rate: float = 0.0
    events: int = 0
    lag_at_end: int = 0
    drain_after_s: float = 0.0
    quantiles: dict[str, float | None] = field(default_factory=dict)  # histogram, all kinds
    by_kind: dict[str, dict[str, float | None]] = field(default_factory=dict)
    within_1s: float | None = None
    probe_quantiles: dict[str, float | None] = field(default_factory=dict)
    probes: int = 0
    probes_rewritten: int = 0
    breakdown: profiling.Breakdown | None = None  # py-spy of the window, when asked


def measure_max(loaded: LoadedWorker, plan: FreshnessPlan) -> tuple[Drain, Drain]:
    """Time a backlog of the market's own mixed stream (a probe first, to size it);
    returns both drains: the stream's cost varies (bursts of closes), so do they."""
    start_ms = loaded.bench.config.start_ms
    stream = loaded.bench.activity

    def take(n: int) -> list[tuple[str, bytes, bytes]]:
        return encoded((next(stream) for _ in range(n)), opened_after_ms=start_ms)

    probe = take(plan.probe)
    catalog = loaded.catalog_records() + _postings(probe)
    first = loaded.drain("mixed", probe, catalog_records=catalog)
    count = int(min(max(first.rate * plan.drain_seconds, plan.probe), plan.max_events))
    log(f"mixed: probe {first.rate:,.0f}/s; timing a backlog of {count:,}")
    messages = take(count)
    catalog = loaded.catalog_records() + _postings(messages)
    return first, loaded.drain("mixed", messages, catalog_records=catalog)


def ramp(
    loaded: LoadedWorker, producer: EventProducer, start: float, plan: FreshnessPlan
) -> tuple[float, list[RampStep]]:
    """The highest paced rate of the mixed stream the worker sustains: from ``start`` up
    by ``ramp_factor`` per step of ``ramp_window_s`` while it is idle within
    ``keep_up_s`` after each step (down instead while it is not, until it is)."""
    rate, best, steps = start, 0.0, []
    while len(steps) < plan.ramp_steps:
        step = _step(loaded, producer, rate, plan)
        steps.append(step)
        log(
            f"ramp {rate:,.0f}/s: sent {step.sent_rate:,.0f}/s, lag at end {step.lag_at_end:,}, "
            f"idle {step.drain_after_s:.1f}s later -> {'sustained' if step.sustained else 'not'}"
        )
        if step.sustained:
            best = rate
            rate *= plan.ramp_factor
        elif best:
            break
        else:
            rate /= plan.ramp_factor
    return (best or rate), steps


def _step(
    loaded: LoadedWorker, producer: EventProducer, rate: float, plan: FreshnessPlan
) -> RampStep:
    run = paced_send(
        producer,
        loaded.bench.activity,
        rate=rate,
        seconds=plan.ramp_window_s,
        opened_after_ms=loaded.bench.config.start_ms,
    )
    ended = time.monotonic()
    health = loaded.worker.health() or {}
    lag = sum((health.get("lag") or {}).values())
    loaded.worker.wait_idle(max(600.0, 20 * plan.ramp_window_s))
    drained = time.monotonic() - ended
    sustained = drained <= plan.keep_up_s and run.rate >= 0.95 * rate
    return RampStep(rate, run.rate, lag, drained, sustained)


def _postings(messages: list[tuple[str, bytes, bytes]]) -> int:
    return sum(1 for family, _, _ in messages if family == "postings")


def run_level(
    loaded: LoadedWorker,
    producer: EventProducer,
    label: str,
    rate: float,
    plan: FreshnessPlan,
    *,
    sustainable: bool = True,
    profile_s: float = 0.0,
) -> Level:
    """One load level: warm-up, then the measured window, then wait until idle.

    A rate above the sustained maximum only builds a backlog that takes long to drain:
    it runs without warm-up for the (shorter) ramp window.
    """
    level = Level(label, rate, sustainable=sustainable)
    warmup, window = (plan.warmup_s, plan.window_s) if sustainable else (0.0, plan.ramp_window_s)
    start_ms = loaded.bench.config.start_ms
    stream = loaded.bench.activity
    worker = loaded.worker
    profiles = loaded.bench.profiles
    tag = re.sub(r"[^A-Za-z0-9]", "", label)  # seeker ids allow [A-Za-z0-9_.-]

    def probe(i: int) -> ProfileEvent:
        base = profiles[(i * 7919) % len(profiles)]
        sid = f"BP{tag}-{i}"
        profile = dataclasses.replace(base, seeker_id=sid)
        return ProfileEvent(f"bench-probe-{sid}", 0, "upsert", sid, profile)

    log(f"freshness {label}: {rate:,.0f} events/s for {window:g}s after {warmup:g}s")
    if warmup:
        paced_send(producer, stream, rate=rate, seconds=warmup, opened_after_ms=start_ms)
    before = worker.scrape()
    sampled: dict[str, str | None] = {}
    thread = None
    if profile_s:
        seconds = min(profile_s, window)
        thread = threading.Thread(
            target=lambda: sampled.update(raw=profiling.record(worker.pid, seconds)), daemon=True
        )
        thread.start()
    run = paced_send(
        producer, stream, rate=rate, seconds=window, opened_after_ms=start_ms, probe=probe
    )
    if thread is not None:
        thread.join()
        raw = sampled.get("raw")
        level.breakdown = profiling.breakdown(raw) if raw else None
    ended = time.monotonic()
    health = worker.health() or {}
    level.lag_at_end = sum((health.get("lag") or {}).values())
    worker.wait_idle(3600.0)
    level.drain_after_s = time.monotonic() - ended
    after = worker.scrape()
    level.sent_rate, level.events = run.rate, run.total
    name = "jobmatch_freshness_seconds"
    all_kinds = delta(after.buckets(name), before.buckets(name))
    level.quantiles = {f"p{int(q * 100)}": quantile(q, all_kinds) for q in (0.5, 0.95, 0.99)}
    level.within_1s = share_at_most(1.0, all_kinds)
    for kind in KINDS:
        b = delta(after.buckets(name, kind=kind), before.buckets(name, kind=kind))
        level.by_kind[kind] = {
            "count": b.get(float("inf"), 0.0),
            **{f"p{int(q * 100)}": quantile(q, b) for q in (0.5, 0.99)},
        }
    samples, rewritten = _probe_freshness(loaded, run.probes)
    level.probes, level.probes_rewritten = len(samples), rewritten
    if samples:
        a = np.asarray(samples)
        level.probe_quantiles = {
            f"p{int(q * 100)}": float(np.percentile(a, q * 100)) for q in (0.5, 0.95, 0.99)
        }
    log(
        f"  sent {run.rate:,.0f}/s; freshness p50 {fmt(level.quantiles['p50'])} s, "
        f"p99 {fmt(level.quantiles['p99'])} s; probes p99 "
        f"{fmt(level.probe_quantiles.get('p99'))} s; lag at end {level.lag_at_end}"
    )
    return level


def _probe_freshness(
    loaded: LoadedWorker, probes: list[tuple[str, int]]
) -> tuple[list[float], int]:
    keys = RedisKeys(loaded.settings.key_prefix)
    client = loaded.env.redis(decode=True)
    try:
        pipe = client.pipeline(transaction=False)
        for sid, _ in probes:
            pipe.hmget(keys.seeker_meta(sid), "updated_at", "reason")
        replies = pipe.execute()
    finally:
        client.close()
    samples: list[float] = []
    rewritten = 0
    for (_, ts), (updated_at, reason) in zip(probes, replies, strict=True):
        if updated_at is None or reason != "profile":
            rewritten += 1  # written again since (sweep, new model): no longer this event's
            continue
        samples.append(max(int(updated_at) - ts, 0) / 1000)
    return samples, rewritten


@dataclass
class FreshnessRun:
    mixed: Drain  # the backlog drain of the mixed stream
    max_rate: float  # the highest sustained paced rate
    steps: list[RampStep]
    levels: list[Level]


def run(loaded: LoadedWorker, plan: FreshnessPlan) -> FreshnessRun:
    """Backlog rate, ramp to the sustained maximum, then the levels (lowest first)."""
    first, mixed = measure_max(loaded, plan)
    # Start below both drains: a step that is sustained costs its window, one that is
    # not also the time to drain what it piled up.
    start = min(first.rate, mixed.rate) / plan.ramp_factor
    with EventProducer(loaded.settings) as producer:
        max_rate, steps = ramp(loaded, producer, start, plan)
        rates: list[tuple[str, float]] = [(f"trickle {plan.trickle_rate:g}/s", plan.trickle_rate)]
        rates += [(f"{share:.0%} of max", share * max_rate) for share in plan.shares]
        rates.append((f"target {TARGET_RATE:,.0f}/s", TARGET_RATE))
        rates.sort(key=lambda r: r[1])
        levels = [
            run_level(
                loaded,
                producer,
                label,
                rate,
                plan,
                sustainable=rate <= max_rate,
                profile_s=plan.profile_s if label.startswith("target") else 0.0,
            )
            for label, rate in rates
        ]
    return FreshnessRun(mixed, max_rate, steps, levels)


def freshness_section(result: FreshnessRun, plan: FreshnessPlan) -> tuple[Section, Level]:
    s = Section("freshness", "3. Freshness under sustained mixed load")
    mixed, max_rate, steps, levels = result.mixed, result.max_rate, result.steps, result.levels
    base = levels[0]
    for level in levels[1:]:
        for q in ("p50", "p99"):
            s.add(
                f"{q} at {level.label} ({level.sent_rate:,.0f} events/s sent)",
                level.quantiles.get(q),
                "s",
                base.quantiles.get(q),
                f"{base.label}",
            )
    columns = [
        "load", "asked ev/s", "sent ev/s", "p50 s", "p95 s", "p99 s", "≤ 1 s",
        "probes p50 / p99 s (n)", "lag at end", "drained after",
    ]  # fmt: skip
    rows = []
    for level in levels:
        pq = level.probe_quantiles
        rows.append(
            [
                level.label if level.sustainable else f"{level.label} (above the maximum)",
                fmt(level.rate),
                fmt(level.sent_rate),
                fmt(level.quantiles.get("p50")),
                fmt(level.quantiles.get("p95")),
                fmt(level.quantiles.get("p99")),
                "n/a" if level.within_1s is None else f"{level.within_1s:.1%}",
                f"{fmt(pq.get('p50'))} / {fmt(pq.get('p99'))} ({level.probes})",
                f"{level.lag_at_end:,}",
                f"{level.drain_after_s:.1f} s",
            ]
        )
    s.tables.append(("Every level", columns, rows))
    kinds_rows = []
    for level in levels:
        kinds_rows.append(
            [level.label]
            + [
                f"{fmt(level.by_kind[k].get('p50'))} / {fmt(level.by_kind[k].get('p99'))} "
                f"({int(level.by_kind[k].get('count') or 0):,})"
                for k in KINDS
            ]
        )
    s.tables.append(
        ("p50 / p99 seconds by event kind (events observed)", ["load", *KINDS], kinds_rows)
    )
    ramp_rows = [
        [
            fmt(step.rate),
            fmt(step.sent_rate),
            f"{step.lag_at_end:,}",
            f"{step.drain_after_s:.1f} s",
            "yes" if step.sustained else "no",
        ]
        for step in steps
    ]
    s.tables.append(
        (
            "Finding the maximum",
            ["asked ev/s", "sent ev/s", "lag at end", "idle after", "sustained"],
            ramp_rows,
        )
    )
    s.notes.append(
        f"The measured maximum of the mixed stream is **{max_rate:,.0f} events/s**: the "
        f"highest rate of a ramp ({plan.ramp_window_s:g} s per step, x{plan.ramp_factor:g} "
        f"per step) after which the worker was idle within {plan.keep_up_s:g} s. The ramp "
        f"starts below the rate at which the worker drained a backlog of the same stream: "
        f"{mixed.rate:,.0f} events/s ({mixed.events:,} events in {mixed.seconds:.1f} s). A "
        "backlog drains slower than a paced stream is sustained, because interactions "
        "with postings the catalog has not read yet wait for it (the read-your-writes "
        "barrier, up to 2 s each) while the catalog works through the posting events "
        "ahead of them. The load generator (the simulator, reading lists from Redis as a "
        "portal, and the producer library) runs on the same machine as the worker, Kafka "
        "and Redis, and takes CPU from them."
    )
    s.notes.append(
        "Histogram figures come from the worker's `jobmatch_freshness_seconds` (event `ts` "
        "to the completion of the Redis write that carried the change), differenced over "
        "the window and interpolated linearly inside buckets (bounds "
        f"{', '.join(f'{b:g}' for b in FRESHNESS_BUCKETS if b <= 900)} s), so a p99 between "
        "0.5 and 1 s is certain to be under 1 s but not more exact, and one between 60 and "
        "300 s says no more than that: the probes say how long it really was. Probe "
        "figures are exact: `:meta updated_at` (taken just before the write) minus the "
        "event's `ts`; probes whose list was rewritten since (a new model re-ranks "
        "everyone) are left out. 'lag at end': events not yet consumed when the window "
        "closed; a level that cannot be sustained shows a growing lag and a long drain. A "
        f"level above the maximum runs for {plan.ramp_window_s:g} s only, without warm-up "
        "(longer only grows the backlog)."
    )
    s.data = {
        "backlog_rate": mixed.rate,
        "max_rate": max_rate,
        "ramp": [dataclasses.asdict(step) for step in steps],
        "levels": [
            {k: v for k, v in dataclasses.asdict(level).items() if k != "breakdown"}
            | {"where_time_goes": level.breakdown.to_obj() if level.breakdown else None}
            for level in levels
        ],
    }
    target = next(level for level in levels if level.label.startswith("target"))
    if target.breakdown is not None:
        s.notes.append(
            f"Where the worker's time goes at {target.label} (py-spy, "
            f"{target.breakdown.samples:,} samples of the event-loop thread): "
            f"{target.breakdown.top(9)}."
        )
    return s, target


def target_met(level: Level) -> bool | None:
    p99 = level.quantiles.get("p99")
    return None if p99 is None else p99 <= TARGET_P99_S


def row_of(level: Level) -> Row:
    return Row(level.label, level.quantiles.get("p99"), "s")
