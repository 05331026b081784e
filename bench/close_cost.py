"""Benchmark: what one closed posting costs a worker, in-process (issue 14, item 2).

Run from the repository root (Redis optional: with ``--redis`` the lists are written to
the Redis of ``JOBMATCH_REDIS_URL`` first, and each close's write is timed for real):

    .venv/bin/python -m bench.close_cost                    # 20k seekers x 20k postings
    .venv/bin/python -m bench.close_cost --quick            # 2k x 2k, a smoke run
    deploy/with-services.sh .venv/bin/python -m bench.close_cost --redis

A market from the simulator; every seeker ranked once (the worker's state at rest). Then
random open postings close one at a time, and for each are timed: the engine's
``posting_closed`` (lists, reserve, employer list), the sink's render of what it changed
(:class:`streams.list_sink.MemorySink`, or the Redis write), and the number of lists it left
waiting for a re-rank. Finally the re-ranks those closes queued are run and timed, and
their cost is given per close: it is part of what a close costs, paid later.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

import numpy as np

from bench.market_engine import catalog_engine
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from simulator import OFFLINE_START_MS
from streams.list_sink import ListSink, MemorySink


def _q(samples: Sequence[float]) -> str:
    a = np.asarray(samples) * 1000
    if not len(a):
        return "n/a"
    return (
        f"median {np.median(a):7.2f} ms  p95 {np.percentile(a, 95):7.2f} ms  "
        f"p99 {np.percentile(a, 99):7.2f} ms  max {a.max():7.2f} ms"
    )


def build(seekers: int, postings: int, seed: int) -> LiveEngine:
    """A worker's engine at rest: the catalog read, every seeker ranked."""
    engine, market = catalog_engine(seekers, postings, seed, start_ms=OFFLINE_START_MS)
    started = time.perf_counter()
    for seeker in market.seekers:
        engine.set_seeker(seeker.seeker_id, SeekerState(profile=seeker.profile), reason="profile")
    print(
        f"ranked {len(engine.lists):,} seekers over {len(engine.catalog):,} postings "
        f"in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )
    return engine


def _redis_writer(engine: LiveEngine):  # type: ignore[no-untyped-def]
    from settings import Settings
    from streams.redis_keys import RedisKeys
    from streams.redis_writer import RedisWriter
    from streams.worker import connect_redis

    settings = Settings.from_env()
    return RedisWriter(
        connect_redis(settings),
        RedisKeys(f"jobmatch:bench-close-{random.randrange(10**6)}"),
        render_seeker=engine.render_seeker,
        render_items=engine.render_items,
        render_posting=lambda _: None,
        max_batch=500,
    )


async def run(engine: LiveEngine, closes: int, *, redis: bool, seed: int) -> dict[str, object]:
    """Close ``closes`` random open postings one by one; see the module docstring."""
    rng = random.Random(seed)
    closing = rng.sample(sorted(engine.catalog), closes)
    holders = [len(engine.lists.holders(pid)) for pid in closing]
    if redis:
        writer = _redis_writer(engine)
        # The lists a close will touch are in Redis first, as in a worker at rest.
        for seeker_id in {s for pid in closing for s in engine.lists.holders(pid)}:
            writer.mark_seeker(seeker_id, "profile")
        await writer.flush()
        flush: Callable[[], Awaitable[None]] = writer.flush
        sink: ListSink = writer
    else:
        sink = MemorySink(render_seeker=engine.render_seeker, render_items=engine.render_items)
        flush = sink.flush
    handler, write, total, queued = [], [], [], []
    for posting_id in closing:
        before = engine.pending_refill
        t0 = time.perf_counter()
        changes = engine.posting_closed(posting_id, live=True)
        t1 = time.perf_counter()
        sink.apply(changes)
        await flush()
        t2 = time.perf_counter()
        handler.append(t1 - t0)
        write.append(t2 - t1)
        total.append(t2 - t0)
        queued.append(engine.pending_refill - before)
    t0 = time.perf_counter()
    refilled = 0
    while engine.pending_refill:
        done, changes = engine.refill(1000)
        refilled += done
        sink.apply(changes)
        await flush()
    refill_s = time.perf_counter() - t0
    print(f"{closes} closes, holders per close: median {np.median(holders):.0f}, "
          f"max {max(holders)}")  # fmt: skip
    print(f"  posting_closed : {_q(handler)}")
    print(f"  {'redis write' if redis else 'render (memory)'} : {_q(write)}")
    print(f"  close total    : {_q(total)}")
    print(
        f"  lists queued for a re-rank: {sum(queued)} ({sum(queued) / closes:.1f} per close); "
        f"re-ranking them took {refill_s:.1f} s, {refill_s / closes * 1000:.1f} ms per close"
    )
    return {
        "closes": closes,
        "holders_median": float(np.median(holders)),
        "close_p99_ms": float(np.percentile(np.asarray(total) * 1000, 99)),
        "refills_per_close": sum(queued) / closes,
        "refill_ms_per_close": refill_s / closes * 1000,
        "refilled": refilled,
    }


def timers(engine: LiveEngine, *, samples: int = 50, seed: int = 7) -> None:
    """What one tick of each periodic job of streams/worker.py costs on this engine, and
    its share of a core at the worker's intervals (docs/architecture.md, "Timers")."""
    from streams.worker import EXPIRY_CHECK_S, GAUGES_S, GROUP_EXPOSURE_EVERY, SWEEP_TICK_S

    rng = random.Random(seed)
    horizon = engine.config.sweep_horizon_seconds

    def each(fn: Callable[[], object], n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n

    now_ms = OFFLINE_START_MS
    expiry = each(lambda: engine.expired_postings(now_ms), 5)
    gauges = each(engine.list_stats, 5)
    exposure = each(lambda: engine.list_stats(by_group_exposure=True), 2)
    seekers = rng.sample(sorted(engine.lists.keys()), samples)
    rerank = each(lambda: engine.rerank(seekers.pop(), "sweep"), samples)
    postings = [
        p for pid in rng.sample(sorted(engine.catalog), samples) if (p := engine.catalog.get(pid))
    ]
    refan = each(lambda: engine._fan_out(postings.pop(), reason="sweep"), samples)
    engine._taken()
    n_seekers, n_postings = len(engine.lists), len(engine.catalog)
    rows = [
        ("posting expiry check", EXPIRY_CHECK_S, expiry, expiry / EXPIRY_CHECK_S),
        ("gauges (list stats)", GAUGES_S, gauges, gauges / GAUGES_S),
        (
            "gauges, exposure by group",
            GAUGES_S * GROUP_EXPOSURE_EVERY,
            exposure,
            exposure / (GAUGES_S * GROUP_EXPOSURE_EVERY),
        ),
        ("seeker sweep, per seeker", SWEEP_TICK_S, rerank, rerank * n_seekers / horizon),
        ("posting sweep (dropped), per posting", SWEEP_TICK_S, refan, refan * n_postings / horizon),
    ]
    print(f"timers at {n_seekers:,} seekers x {n_postings:,} postings (horizon {horizon:.0f} s)")
    for name, every, cost, share in rows:
        print(f"  {name:38s} every {every:6.0f} s: {cost * 1000:8.2f} ms, {share:6.1%} of a core")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seekers", type=int, default=20_000)
    parser.add_argument("--postings", type=int, default=20_000)
    parser.add_argument("--closes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2k seekers x 2k postings")
    parser.add_argument("--redis", action="store_true", help="time the write to real Redis")
    parser.add_argument("--timers", action="store_true", help="also time the worker's timers")
    args = parser.parse_args(argv)
    if args.quick:
        args.seekers, args.postings, args.closes = 2_000, 2_000, 50
    engine = build(args.seekers, args.postings, args.seed)
    asyncio.run(run(engine, args.closes, redis=args.redis, seed=args.seed))
    if args.timers:
        timers(engine)


if __name__ == "__main__":
    main()
