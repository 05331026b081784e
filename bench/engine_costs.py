"""What one close and one new posting cost a worker, in-process, Redis write included.

A close and a new posting reach every worker, so their cost per event, not the event
rate, decides whether the midnight expiries and the office-hours postings fit. Measured
on the worker's own :class:`online_model.live.engine.LiveEngine` with every seeker of
the market ranked, through the public API, and the worker's Redis sink
(:class:`streams.redis_writer.RedisWriter`, rendering from the engine) on the real Redis:

* **close**: ``posting_closed(live=True)``, then the sink applies the changes and flushes
  them (one awaited write); the clock stops when Redis has acknowledged;
* **new posting**: ``posting_upserted_steps(live=True)``, driven as the worker's catalog
  feed drives it (an await between steps), and its write, the same way, inside
  an asyncio loop with a ticker task that wakes every millisecond: the longest gap
  between two ticks, minus the millisecond, is the longest stall of the event loop the
  handler caused (a worker's other agents wait that long);
* **baseline**: the eager path, re-ranking every list the event touches
  (``LiveEngine.rerank``, timed on the same engine, times the lists touched: the holders
  of a closed posting, the candidates of a new one).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import redis.asyncio as aioredis

from bench.events import now_ms
from bench.harness import BenchEnv, log
from bench.market_engine import catalog_engine
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from schemas.postings import Posting
from simulator import Market
from streams.posting_display import PostingView
from streams.redis_keys import RedisKeys
from streams.redis_writer import RedisWriter

CLOSE_TARGET_MS = 10.0
NEW_POSTING_TARGET_MS = 50.0
STALL_TARGET_MS = 10.0


@dataclass
class EngineCosts:
    seekers: int
    postings: int
    build_s: float
    rank_s: float
    close_ms: list[float] = field(default_factory=list)
    close_engine_ms: list[float] = field(default_factory=list)
    close_holders: list[int] = field(default_factory=list)
    new_ms: list[float] = field(default_factory=list)
    new_engine_ms: list[float] = field(default_factory=list)
    new_candidates: list[int] = field(default_factory=list)
    stall_ms: list[float] = field(default_factory=list)
    rerank_ms: list[float] = field(default_factory=list)

    def q(self, values: list[float], p: float) -> float | None:
        return float(np.percentile(values, p)) if values else None

    @property
    def close_baseline_ms(self) -> list[float]:
        mean = float(np.mean(self.rerank_ms)) if self.rerank_ms else 0.0
        return [n * mean for n in self.close_holders]

    @property
    def new_baseline_ms(self) -> list[float]:
        mean = float(np.mean(self.rerank_ms)) if self.rerank_ms else 0.0
        return [n * mean for n in self.new_candidates]


def build(
    seekers: int, postings: int, *, seed: int = 23
) -> tuple[LiveEngine, Market, float, float]:
    """An engine with the market's postings and every seeker ranked (progress on stderr)."""
    started = time.perf_counter()
    start_ms = now_ms()
    engine, market = catalog_engine(seekers, postings, seed, start_ms=start_ms)
    engine.adopt({s.seeker_id: SeekerState(profile=s.profile) for s in market.seekers})
    build_s = time.perf_counter() - started
    log(
        f"engine costs: {postings:,} postings, {seekers:,} seekers built in {build_s:.0f}s; ranking"
    )
    started = time.perf_counter()
    done, last = 0, time.monotonic()
    while True:
        ranked, _ = engine.rank_unranked(500)
        if not ranked:
            break
        done += ranked
        if time.monotonic() - last > 15:
            log(f"  {done:,} of {seekers:,} seekers ranked ({time.perf_counter() - started:.0f}s)")
            last = time.monotonic()
    rank_s = time.perf_counter() - started
    log(f"  every list ranked in {rank_s:.0f}s")
    gc.collect()
    return engine, market, build_s, rank_s


def _fresh_postings(market: Market, count: int, *, seed: int) -> list[Posting]:
    other = Market.generate(dataclasses.replace(market.config, seekers=1, postings=count), seed)
    return [
        dataclasses.replace(s.posting, posting_id=f"EN{s.posting.posting_id}", posted_at=now_ms())
        for s in other.postings
    ]


async def _with_ticker(work: Callable[[], Coroutine[Any, Any, None]]) -> float:
    """Run ``work`` beside a 1 ms ticker; returns the longest stall (ms) it saw."""
    longest = 0.0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            longest = max(longest, (now - last) * 1000 - 1.0)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.005)  # the ticker is running before the work starts
    try:
        await work()
    finally:
        stop.set()
        await ticker
    return max(longest, 0.0)


def measure(
    env: BenchEnv, seekers: int, postings: int, samples: int, *, seed: int = 23
) -> EngineCosts:
    """Close and new-posting costs on a market of this size (see the module docstring)."""
    engine, market, build_s, rank_s = build(seekers, postings, seed=seed)
    costs = EngineCosts(seekers, postings, build_s, rank_s)
    rng = random.Random(seed)
    keys = RedisKeys(f"{env.settings.key_prefix}:engine")
    displays: dict[str, PostingView] = {}

    def render_posting(posting_id: str) -> PostingView | None:
        return displays.get(posting_id)

    async def run() -> None:
        settings = env.settings
        url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
        client = aioredis.Redis.from_url(url, decode_responses=False)
        writer = RedisWriter(
            client,
            keys,
            render_seeker=engine.render_seeker,
            render_items=engine.render_items,
            render_posting=render_posting,
        )
        try:
            # Every list in Redis first, as the worker has it: a close then updates them.
            for seeker_id in list(engine.lists.keys()):
                writer.mark_seeker(seeker_id, "bench")
            await writer.flush()
            log(f"engine costs: {len(engine.lists):,} lists written; timing closes")
            sample = rng.sample(sorted(engine.lists.keys()), min(samples, len(engine.lists)))
            for seeker_id in sample:
                t0 = time.perf_counter()
                engine.rerank(seeker_id, "bench")
                costs.rerank_ms.append((time.perf_counter() - t0) * 1000)
            open_ids = [s.posting.posting_id for s in market.postings]
            for posting_id in rng.sample(open_ids, min(samples, len(open_ids))):
                holders = len(engine.lists.holders(posting_id))
                t0 = time.perf_counter()
                changes = engine.posting_closed(posting_id, live=True)
                t1 = time.perf_counter()
                writer.apply(changes)
                await writer.flush()
                costs.close_ms.append((time.perf_counter() - t0) * 1000)
                costs.close_engine_ms.append((t1 - t0) * 1000)
                costs.close_holders.append(holders)
            log(
                f"engine costs: close p99 {np.percentile(costs.close_ms, 99):.1f} ms "
                f"(median {np.median(costs.close_holders):.0f} holders); timing new postings"
            )
            for posting in _fresh_postings(market, samples, seed=seed + 1):
                candidates = len(engine.index.candidates_for(posting) & engine.lists.keys())

                async def handle(posting: Posting = posting) -> None:
                    # As the worker's CatalogFeed drives it: step by step, the loop free
                    # between steps (the stall is then the longest step, not the fan-out).
                    t0 = time.perf_counter()
                    in_engine = 0.0
                    steps = iter(engine.posting_upserted_steps(posting, live=True))
                    while True:
                        s0 = time.perf_counter()
                        changes = next(steps, None)
                        in_engine += time.perf_counter() - s0
                        if changes is None:
                            break
                        writer.apply(changes)
                        await asyncio.sleep(0)
                    await writer.flush()
                    costs.new_ms.append((time.perf_counter() - t0) * 1000)
                    costs.new_engine_ms.append(in_engine * 1000)

                costs.stall_ms.append(await _with_ticker(handle))
                costs.new_candidates.append(candidates)
        finally:
            await client.aclose()

    asyncio.run(run())
    log(
        f"engine costs: new posting p99 {np.percentile(costs.new_ms, 99):.1f} ms, longest "
        f"loop stall {max(costs.stall_ms):.1f} ms"
    )
    return costs
