"""Scenarios 1 and 2: the limits of the machine, and pipeline throughput per worker.

For each family (interactions, profile updates, new postings) a backlog is written with
kcat to the loaded worker's topic and timed until the worker has consumed it and written
every change to Redis. A small probe backlog first sizes the real one so that each drain
lasts about ``seconds``. Right after, the same topic is read by a bare aiokafka consumer
and by a pass-through Faust agent: the baselines of the ratios. The interactions drain is
also sampled with py-spy to say where the worker's time goes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench import limits, profiling
from bench.events import encoded, interaction_backlog, new_postings, profile_updates
from bench.harness import log, wait_for
from bench.pipeline import Drain, LoadedWorker
from bench.results import Row, Section, fmt
from schemas import Event

INTERACTIONS_TARGET = 5000.0  # events/s per worker (issue 7)


@dataclass(frozen=True)
class ThroughputPlan:
    seconds: float  # aim for drains this long
    probe: dict[str, int]  # events in the sizing probe, per family
    max_events: int  # largest backlog
    profile_seconds: float  # py-spy sampling of the interactions drain
    zadd_lists: int


@dataclass
class FamilyResult:
    family: str
    drain: Drain
    bare: limits.Rate
    passthrough: limits.Rate
    detail: dict[str, object]


def _sized(family: str, probe_rate: float, plan: ThroughputPlan) -> int:
    return int(min(max(probe_rate * plan.seconds, plan.probe[family]), plan.max_events))


def _measure(
    loaded: LoadedWorker,
    family: str,
    make: Callable[[int, str], list[tuple[str, Event]]],
    plan: ThroughputPlan,
    *,
    profile: bool = False,
) -> tuple[Drain, profiling.Breakdown | None]:
    start_ms = loaded.bench.config.start_ms

    def catalog_after(n: int) -> int | None:
        return loaded.catalog_records() + n if family == "postings" else None

    probe = encoded(make(plan.probe[family], "probe"), opened_after_ms=start_ms)
    first = loaded.drain(family, probe, catalog_records=catalog_after(len(probe)))
    _deferred_reranks(loaded)  # each drain starts with no backfill waiting
    count = _sized(family, first.rate, plan)
    log(f"{family}: probe {first.rate:,.0f}/s; timing a backlog of {count:,}")
    messages = encoded(make(count, "main"), opened_after_ms=start_ms)
    sampled: dict[str, str | None] = {}
    thread: threading.Thread | None = None

    def start_profiler() -> None:
        nonlocal thread
        seconds = min(plan.profile_seconds, 0.6 * count / max(first.rate, 1.0))

        def run() -> None:
            sampled["raw"] = profiling.record(loaded.worker.pid, seconds)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

    drain = loaded.drain(
        family,
        messages,
        catalog_records=catalog_after(len(messages)),
        on_started=start_profiler if profile else None,
    )
    drain.deferred = _deferred_reranks(loaded)
    if thread is not None:
        thread.join()
    raw = sampled.get("raw")
    return drain, profiling.breakdown(raw) if raw else None


def _deferred_reranks(loaded: LoadedWorker) -> tuple[int, float]:
    """Seekers left waiting for the sweeper's backfill re-rank when a drain ended, and how
    long after it the sweeper had re-ranked them all."""
    started = time.monotonic()
    left = int((loaded.worker.health() or {}).get("pending_refill", 0))

    def done() -> bool:
        loaded.worker.check_alive()
        return (loaded.worker.health() or {}).get("pending_refill", 1) == 0

    wait_for(done, timeout=600, interval=0.1, what="backfill re-ranks done")
    return left, time.monotonic() - started


def run_families(loaded: LoadedWorker, plan: ThroughputPlan) -> tuple[list[FamilyResult], dict]:
    """Time each family's backlog and its baselines; returns results and the limits."""
    bench = loaded.bench
    profiles = bench.profiles
    log("generating the interactions backlog (twin market)")
    n_probe = plan.probe["interactions"]
    pool = interaction_backlog(bench, n_probe + plan.max_events, list_source=loaded.list_source)
    taken = {"probe": pool[:n_probe], "main": pool[n_probe:]}

    def interactions(n: int, tag: str) -> list[tuple[str, Event]]:
        return [("interactions", e) for e in taken[tag][:n]]

    def updates(n: int, tag: str) -> list[tuple[str, Event]]:
        return [("profiles", e) for e in profile_updates(profiles, n, tag=tag)]

    def postings(n: int, tag: str) -> list[tuple[str, Event]]:
        return [("postings", e) for e in new_postings(bench, n, tag=tag)]

    results: list[FamilyResult] = []
    extra: dict[str, object] = {}
    makers = (("interactions", interactions), ("profiles", updates), ("postings", postings))
    for family, make in makers:
        drain, breakdown = _measure(loaded, family, make, plan, profile=family == "interactions")
        expect = limits.topic_size(loaded.settings, family)
        bare = limits.bare_consumer(loaded.settings, family, expect)
        through = limits.passthrough(loaded.env, family, expect)
        detail: dict[str, object] = {
            "backlog": drain.events,
            "seconds": round(drain.seconds, 2),
            "mean_agent_ms": drain.mean_processing_ms(),
            "median_agent_ms": drain.processing_quantile_ms(0.5),
            "p99_agent_ms": drain.processing_quantile_ms(0.99),
            "list_refreshes_per_event": _refreshes(drain) / drain.events,
            "deferred_reranks": drain.deferred[0],
            "deferred_seconds": round(drain.deferred[1], 2),
            "topic_messages_for_baselines": expect,
        }
        if family == "interactions":
            actions = Counter(e.action for _, e in interactions(drain.events, "main"))  # type: ignore[attr-defined]
            detail["actions"] = dict(actions)
            if breakdown is not None:
                detail["where_time_goes"] = breakdown.to_obj()
            extra["breakdown"] = breakdown
            extra["interactions_topic"] = expect
            extra["kcat"] = limits.kcat_consumer(loaded.settings, family, expect)
            extra["passthrough_forward"] = limits.passthrough(
                loaded.env, family, expect, forward=True
            )
        log(
            f"{family}: {drain.rate:,.0f}/s (bare consumer {bare.per_s:,.0f}/s, "
            f"pass-through agent {through.per_s:,.0f}/s)"
        )
        results.append(FamilyResult(family, drain, bare, through, detail))
    log("Redis limits")
    extra["zadd"] = limits.redis_zadd(loaded.env, plan.zadd_lists)
    extra["writer"] = limits.writer_lists(loaded.env, plan.zadd_lists)
    return results, extra


def _refreshes(drain: Drain) -> float:
    name = "jobmatch_list_refreshes_total"
    return drain.after.total(name) - drain.before.total(name)


def limits_section(results: list[FamilyResult], extra: dict) -> Section:
    ix = next(r for r in results if r.family == "interactions")
    s = Section("limits", "1. Limits of the machine")
    kcat: limits.Rate | None = extra.get("kcat")
    s.add(
        "bare aiokafka consumer, whole interactions topic",
        ix.bare.per_s,
        "msg/s",
        kcat.per_s if kcat else None,
        "kcat (librdkafka, C), same topic" if kcat else "",
    )
    s.add(
        "pass-through Faust agent (worker's Faust settings)",
        ix.passthrough.per_s,
        "msg/s",
        ix.bare.per_s,
        "bare aiokafka consumer",
    )
    fwd: limits.Rate = extra["passthrough_forward"]
    s.add(
        "Faust agent forwarding each message (one produce per event)",
        fwd.per_s,
        "msg/s",
        ix.passthrough.per_s,
        "pass-through agent",
    )
    pipelined, single = extra["zadd"]
    s.add(
        "pipelined ZADD of 120-member lists",
        pipelined.per_s,
        "lists/s",
        single.per_s,
        "one round trip per list",
        note=f"{pipelined.per_s * 120:,.0f} members/s",
    )
    writer: limits.Rate = extra["writer"]
    s.add(
        "RedisWriter list writes (list + :meta + :why, one script each)",
        writer.per_s,
        "lists/s",
        pipelined.per_s,
        "pipelined ZADD",
    )
    s.data = {
        "bare_aiokafka_per_s": ix.bare.per_s,
        "kcat_per_s": kcat.per_s if kcat else None,
        "passthrough_faust_per_s": ix.passthrough.per_s,
        "forwarding_faust_per_s": fwd.per_s,
        "zadd_lists_pipelined_per_s": pipelined.per_s,
        "zadd_lists_single_per_s": single.per_s,
        "redis_writer_lists_per_s": writer.per_s,
    }
    s.notes.append(
        f"Consumers read the whole interactions topic ({extra['interactions_topic']:,} "
        "messages, about 150 bytes each), timed from the first message to the last (kcat: "
        "process start included). The Faust agents run in their own process with the "
        "worker's `create_app` settings and their own consumer group."
    )
    return s


def throughput_section(results: list[FamilyResult]) -> tuple[Section, Row]:
    s = Section("throughput", "2. Pipeline throughput per worker")
    target_row: Row | None = None
    names = {
        "interactions": "interactions",
        "profiles": "profile updates",
        "postings": "new postings",
    }
    for r in results:
        row = s.add(
            f"{names[r.family]}: events/s",
            r.drain.rate,
            "events/s",
            r.bare.per_s,
            "bare aiokafka consumer, same topic",
        )
        s.add(
            f"{names[r.family]}: events/s",
            r.drain.rate,
            "events/s",
            r.passthrough.per_s,
            "pass-through Faust agent, same topic",
        )
        if r.family == "interactions":
            target_row = row
    for r in results:
        d = r.detail
        mean = d["mean_agent_ms"]
        s.notes.append(
            f"*{names[r.family]}*: backlog of {d['backlog']:,} events consumed in "
            f"{d['seconds']} s; time in the agent per event: mean {mean:.2f} ms, median "
            f"{fmt(d['median_agent_ms'])} ms, p99 {fmt(d['p99_agent_ms'])} ms (Redis writes "
            f"happen in the writer task, not in the agent); "
            f"{d['list_refreshes_per_event']:.2f} seeker lists written per event; "
            f"{d['deferred_reranks']:,} seekers left waiting for the sweeper's re-rank, all "
            f"re-ranked {d['deferred_seconds']} s later."
            if isinstance(mean, float)
            else f"*{names[r.family]}*: backlog of {d['backlog']:,} events in {d['seconds']} s."
        )
    ix = next(r for r in results if r.family == "interactions")
    actions = ix.detail.get("actions") or {}
    if actions:
        total = sum(actions.values())
        by_count = sorted(actions.items(), key=lambda x: -x[1])
        mix = ", ".join(f"{a} {n / total:.0%}" for a, n in by_count)
        s.notes.append(
            f"The interactions are the simulator's own ({mix}): apply, dismiss, save and hire "
            "change the seeker's history (a table write; an applied or dismissed posting "
            "leaves the list at once, and the seeker waits for the sweeper's re-rank); every "
            "interaction produces a training example. The drain is timed until every event "
            "is consumed and every list write it caused is in Redis; the sweeper's re-ranks "
            "(backfills, new models) go on afterwards and are not in the figure."
        )
    s.notes.append(
        "Method: a backlog is written with kcat (far faster than a worker consumes) to the "
        "worker's topic on a market already loaded; the clock runs from the start of the "
        "write until the worker's `jobmatch_events_total` has counted every event and its "
        "writer has nothing pending (polled every 0.1 s). A probe backlog sizes the real one. "
        "New postings are counted when the catalog feed has read them too (fan-out included)."
    )
    s.data = {
        r.family: {
            **r.detail,
            "events_per_s": r.drain.rate,
            "bare_consumer_per_s": r.bare.per_s,
            "passthrough_per_s": r.passthrough.per_s,
        }
        for r in results
    }
    assert target_row is not None
    return s, target_row
