"""Scenarios 4 and 6, in-process (no Kafka, no Redis): how the cost of a profile re-rank
and of a new posting's fan-out grows with the market, and what a nightly batch costs.

The code measured is the worker's own :class:`online_model.live.engine.LiveEngine`
(catalog, seeker index, lists, employer lists) with no sink (its changes are dropped), fed
by the simulator's postings and seekers and scored with the prior model snapshot. For each
catalog size, seekers are added in stages (10k, 100k, 500k); at each stage:

* **re-rank**: ``LiveEngine.rerank`` of random seekers (retrieval, filters, features,
  scores, top-120 with diversity, reverse indexes, employer lists); baseline: the brute
  force that scores *every* open posting for the seeker (features of all, scores, the
  same top-120), measured on the same catalog right after;
* **fan-out**: ``LiveEngine.posting_upserted(live=True)`` of new postings (seeker index
  lookup, hard filters and scores for the candidate seekers, incremental inserts, the full
  re-ranks an insert cannot decide, the employer list); baseline: re-ranking every
  candidate seeker in full, estimated as candidates x the mean re-rank time measured at
  this size. Only candidate seekers need a list for this, so lists are ranked when a
  new posting first needs them (not timed; a list depends on its seeker alone);
* **batch** (scenario 6): ``rank_seeker`` from scratch for a random sample of seekers;
  the nightly job's run time is the mean x seekers on one core (the whole batch is also
  timed at the smallest size, to check the extrapolation).
"""

from __future__ import annotations

import dataclasses
import gc
import random
import time
from dataclasses import dataclass, field

import numpy as np

from bench.events import now_ms
from bench.harness import log
from bench.results import Section
from online_model.features import feature_matrix
from online_model.history import SeekerHistory
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from online_model.recommend import rank_seeker
from online_model.topk import top_k
from online_model.training import Trainer
from schemas.postings import Posting
from schemas.profiles import Profile
from simulator import Market, MarketConfig

RERANK_TARGET_MS = 10.0  # median at 20k open postings (issue 7)
DAY_S = 86_400.0


@dataclass(frozen=True)
class GrowthPlan:
    postings: tuple[int, ...]
    seekers: tuple[int, ...]
    rerank_sample: int
    brute_sample: int
    new_postings: int  # new postings drawn per catalog size, for every stage's fan-outs
    max_new_postings: int  # timed per cell at most
    lazy_budget_s: float  # per cell: time to rank candidates' lists before new fan-outs
    batch_sample: int
    full_batch_max: int  # time the whole batch when there are at most this many seekers


@dataclass
class Cell:
    postings: int
    seekers: int
    rerank_ms: list[float] = field(default_factory=list)
    fanout_ms: list[float] = field(default_factory=list)
    fanout_candidates: list[int] = field(default_factory=list)
    fanout_reranks: int = 0
    lazy_ranked: int = 0
    batch_rank_ms: list[float] = field(default_factory=list)
    batch_full_s: float | None = None
    brute_ms: list[float] = field(default_factory=list)  # per catalog size, repeated per cell

    @property
    def rerank_median(self) -> float:
        return float(np.median(self.rerank_ms))

    @property
    def fanout_baseline_ms(self) -> list[float]:
        mean = float(np.mean(self.rerank_ms))
        return [n * mean for n in self.fanout_candidates]

    @property
    def batch_s(self) -> float:
        return float(np.mean(self.batch_rank_ms)) / 1000 * self.seekers

    def to_obj(self) -> dict[str, object]:
        def q(values: list[float]) -> dict[str, float] | None:
            if not values:
                return None
            a = np.asarray(values)
            return {p: float(np.percentile(a, int(p[1:]))) for p in ("p50", "p95", "p99")}

        return {
            "postings": self.postings,
            "seekers": self.seekers,
            "rerank_ms": q(self.rerank_ms),
            "brute_force_ms": q(self.brute_ms),
            "fanout_ms": q(self.fanout_ms),
            "fanout_baseline_ms": q(self.fanout_baseline_ms),
            "fanout_candidates": q([float(n) for n in self.fanout_candidates]),
            "fanout_full_reranks": self.fanout_reranks,
            "batch_rank_ms_mean": (
                float(np.mean(self.batch_rank_ms)) if self.batch_rank_ms else None
            ),
            "batch_seconds_one_core": self.batch_s if self.batch_rank_ms else None,
            "batch_seconds_measured": self.batch_full_s,
        }


def _seeker_pool(count: int, start_ms: int) -> list[Profile]:
    log(f"growth: drawing {count:,} seekers")
    market = Market.generate(MarketConfig(seekers=count, postings=1, start_ms=start_ms), 21)
    profiles = [s.profile for s in market.seekers]
    del market
    gc.collect()
    return profiles


def _postings(count: int, start_ms: int, seed: int, tag: str) -> list[Posting]:
    market = Market.generate(MarketConfig(seekers=1, postings=count, start_ms=start_ms), seed)
    if not tag:
        return [s.posting for s in market.postings]
    return [
        dataclasses.replace(s.posting, posting_id=f"{tag}{s.posting.posting_id}")
        for s in market.postings
    ]


class _Counting:
    """Counts the full re-ranks a fan-out falls back to."""

    def __init__(self, keeper: LiveEngine) -> None:
        self.calls = 0
        original = keeper._rerank

        def rerank(seeker_id: str, reason: str) -> None:
            self.calls += 1
            original(seeker_id, reason)

        keeper._rerank = rerank  # type: ignore[method-assign]


def _brute_force_ms(keeper: LiveEngine, profiles: list[Profile]) -> list[float]:
    ctx = keeper.context()
    ranker = keeper.snapshot.ranker
    catalog = keeper.catalog
    times = []
    for profile in profiles:
        started = time.perf_counter()
        slots = catalog.alive_slots()
        x = feature_matrix(profile, SeekerHistory(), catalog, slots, ctx)
        scores = ranker.score_many(x)
        top_k(catalog.posting_ids[slots], catalog.employer_ids[slots], scores)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(plan: GrowthPlan) -> list[Cell]:
    """Measure every (catalog size, seeker stage) cell; see the module docstring."""
    start_ms = now_ms()
    pool = _seeker_pool(max(plan.seekers), start_ms)
    rng = random.Random(5)
    # One seeker table and index shared by a keeper per catalog size: seekers are added
    # stage by stage once (indexing 500k seekers takes a while) and every catalog sees them.
    seekers: dict[str, SeekerState] = {}
    keepers: dict[int, LiveEngine] = {}
    brute: dict[int, list[float]] = {}
    fresh: dict[int, list[Posting]] = {}
    for n_postings in plan.postings:
        keeper = LiveEngine()
        keeper.offer_snapshot(Trainer().snapshot(now_ms=start_ms))
        keeper.seekers = seekers
        if keepers:
            keeper.index = next(iter(keepers.values())).index
        started = time.perf_counter()
        for posting in _postings(n_postings, start_ms, 31, ""):
            keeper.posting_upserted(posting, live=False)
        elapsed = time.perf_counter() - started
        log(f"growth: catalog of {len(keeper.catalog):,} postings in {elapsed:.1f}s")
        keepers[n_postings] = keeper
        brute[n_postings] = _brute_force_ms(keeper, rng.sample(pool, plan.brute_sample))
        fresh[n_postings] = _postings(plan.new_postings, start_ms, 41, f"G{n_postings}-")
    index = next(iter(keepers.values())).index
    cells: list[Cell] = []
    added = 0
    for n_seekers in plan.seekers:
        started = time.perf_counter()
        for profile in pool[added:n_seekers]:
            seekers[profile.seeker_id] = SeekerState(profile=profile)
            index.upsert(profile)
        added = n_seekers
        log(f"growth: {n_seekers:,} seekers indexed ({time.perf_counter() - started:.0f}s)")
        population = pool[:n_seekers]
        for n_postings, keeper in keepers.items():
            first = n_postings == min(plan.postings)
            cell = _cell(keeper, n_postings, population, fresh[n_postings], plan, rng, first)
            cell.brute_ms = brute[n_postings]
            cells.append(cell)
    cells.sort(key=lambda c: (c.postings, c.seekers))
    return cells


def _cell(
    keeper: LiveEngine,
    n_postings: int,
    population: list[Profile],
    fresh: list[Posting],
    plan: GrowthPlan,
    rng: random.Random,
    time_full_batch: bool,
) -> Cell:
    started = time.perf_counter()
    cell = Cell(n_postings, len(population))
    for profile in rng.sample(population, min(plan.rerank_sample, len(population))):
        t0 = time.perf_counter()
        keeper.rerank(profile.seeker_id, "profile")
        cell.rerank_ms.append((time.perf_counter() - t0) * 1000)
    counting = _Counting(keeper)
    # Lists are ranked for a new posting's candidates before its fan-out is timed; that
    # costs far more than the fan-out itself, so stop taking new postings once the
    # budget is spent (the table says how many were timed).
    lazy_deadline = time.monotonic() + plan.lazy_budget_s
    while fresh and (not cell.fanout_ms or time.monotonic() < lazy_deadline):
        if len(cell.fanout_ms) >= plan.max_new_postings:
            break
        posting = fresh.pop(0)
        candidates = keeper.index.candidates_for(posting)
        for seeker_id in sorted(candidates - keeper.lists.keys()):
            keeper.rerank(seeker_id, "bench")  # the list this worker would hold
            cell.lazy_ranked += 1
        before = counting.calls
        t0 = time.perf_counter()
        keeper.posting_upserted(posting, live=True)
        cell.fanout_ms.append((time.perf_counter() - t0) * 1000)
        cell.fanout_candidates.append(len(candidates))
        cell.fanout_reranks += counting.calls - before
    del keeper._rerank  # the instance attribute _Counting set: back to the method
    ctx = keeper.context()
    ranker = keeper.snapshot.ranker
    for profile in rng.sample(population, min(plan.batch_sample, len(population))):
        t0 = time.perf_counter()
        rank_seeker(profile, SeekerHistory(), keeper.catalog, ranker, ctx)
        cell.batch_rank_ms.append((time.perf_counter() - t0) * 1000)
    if time_full_batch and len(population) <= plan.full_batch_max:
        t0 = time.perf_counter()
        for profile in population:
            rank_seeker(profile, SeekerHistory(), keeper.catalog, ranker, ctx)
        cell.batch_full_s = time.perf_counter() - t0
    log(
        f"growth: {cell.postings:,} postings x {cell.seekers:,} seekers: re-rank median "
        f"{cell.rerank_median:.2f} ms, fan-out median {np.median(cell.fanout_ms):.1f} ms "
        f"({int(np.median(cell.fanout_candidates)):,} candidates, {len(cell.fanout_ms)} "
        f"postings), {time.perf_counter() - started:.0f}s"
    )
    return cell


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


def growth_section(cells: list[Cell], plan: GrowthPlan) -> Section:
    s = Section("growth", "4. Growth with the market (in-process)")
    for c in cells:
        where = f"{_size(c.postings)} postings, {_size(c.seekers)} seekers"
        s.add(
            f"profile re-rank, median, {where}",
            c.rerank_median,
            "ms",
            float(np.median(c.brute_ms)),
            "score every open posting",
        )
        s.add(
            f"new-posting fan-out, median, {where}",
            float(np.median(c.fanout_ms)),
            "ms",
            float(np.median(c.fanout_baseline_ms)),
            "full re-rank of its candidate seekers",
        )
    columns = [
        "postings", "seekers", "re-rank p50 / p95 / p99 ms", "brute force p50 ms",
        "fan-out p50 / p95 / max ms", "candidate seekers p50 / max", "full re-ranks in fan-outs",
        "new postings timed",
    ]  # fmt: skip
    rows = []
    for c in cells:
        r, f = np.asarray(c.rerank_ms), np.asarray(c.fanout_ms)
        rows.append(
            [
                f"{c.postings:,}",
                f"{c.seekers:,}",
                f"{np.median(r):.2f} / {np.percentile(r, 95):.2f} / {np.percentile(r, 99):.2f}",
                f"{np.median(c.brute_ms):.1f}",
                f"{np.median(f):.1f} / {np.percentile(f, 95):.1f} / {f.max():.1f}",
                f"{int(np.median(c.fanout_candidates)):,} / {max(c.fanout_candidates):,}",
                f"{c.fanout_reranks:,}",
                f"{len(c.fanout_ms)}",
            ]
        )
    s.tables.append(("Every size", columns, rows))
    s.data = {"cells": [c.to_obj() for c in cells]}
    s.notes.append(
        "In-process on `online_model.live.engine.LiveEngine` without Kafka or Redis: the CPU "
        "cost a worker pays per event, without the framework and the Redis write. "
        f"Re-rank: {plan.rerank_sample:,} random seekers per size; brute force: "
        f"{plan.brute_sample} seekers per catalog. A seeker's re-rank does not depend on how "
        "many other seekers there are, except through the employer lists it updates."
    )
    s.notes.append(
        "Fan-out: the simulator's postings, new to the market; a posting reaches the seekers "
        "that share an occupation, title token, skill or certificate with it and accept its "
        "region (the seeker index), so its cost grows with the number of seekers. 'full "
        "re-ranks in fan-outs': inserts the list alone could not decide (see "
        "`online_model.topk`), each a full re-rank inside the fan-out."
    )
    return s


def batch_section(
    cells: list[Cell], fresh_p50: float | None, fresh_p99: float | None, load: str
) -> Section:
    s = Section("batch", "6. The nightly batch baseline")
    columns = [
        "postings", "seekers", "rank_seeker mean ms", "batch run time, 1 core", "on all cores",
        "mean staleness", "worst staleness",
    ]  # fmt: skip
    rows = []
    import os

    cores = os.cpu_count() or 1
    for c in cells:
        run_s = c.batch_s
        measured = f" (timed in full: {c.batch_full_s:,.0f} s)" if c.batch_full_s else ""
        rows.append(
            [
                f"{c.postings:,}",
                f"{c.seekers:,}",
                f"{np.mean(c.batch_rank_ms):.2f}",
                f"{duration(run_s)}{measured}",
                duration(run_s / cores),
                duration(DAY_S / 2 + run_s),
                duration(DAY_S + run_s),
            ]
        )
    s.tables.append(("Recomputing every seeker's list from scratch", columns, rows))
    largest = max(cells, key=lambda c: c.postings * c.seekers)
    smallest = min(cells, key=lambda c: c.postings * c.seekers)
    for c in (smallest, largest) if smallest is not largest else (smallest,):
        where = f"{_size(c.postings)} postings, {_size(c.seekers)} seekers"
        s.add(
            f"nightly batch, mean staleness (12 h + run time), {where}",
            DAY_S / 2 + c.batch_s,
            "s",
            fresh_p50,
            f"streaming p50 freshness at {load}",
        )
        s.add(
            f"nightly batch, worst staleness (24 h + run time), {where}",
            DAY_S + c.batch_s,
            "s",
            fresh_p99,
            f"streaming p99 freshness at {load}",
        )
    full = [c for c in cells if c.batch_full_s]
    check = (
        f" At {_size(full[0].postings)} postings x {_size(full[0].seekers)} seekers the whole "
        f"batch was also timed: {full[0].batch_full_s:.1f} s against "
        f"{full[0].batch_s:.1f} s extrapolated."
        if full
        else ""
    )
    s.notes.append(
        "A nightly job recomputes every list from scratch (`online_model.recommend."
        "rank_seeker` over the whole catalog, no Redis writes counted): run time = mean "
        "time per seeker (random sample) x seekers, on one core; 'on all cores' divides by "
        f"the {cores} cores of this machine. A list made at night is between 0 and 24 h old "
        "when it is read, 12 h on average, plus the run time." + check
    )
    s.notes.append(
        "The streaming figures beside it are the worker's freshness from scenario 3 (a "
        "smaller market: see there); the batch's staleness barely depends on size, because "
        "the wait for the next night dominates it."
    )
    return s


def duration(seconds: float) -> str:
    """A human duration: ``duration(0.5)`` -> ``'0.5 s'``, ``duration(600)`` -> ``'10.0 min'``."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def rerank_target(cells: list[Cell]) -> tuple[float | None, bool | None]:
    """Median re-rank at 20k open postings (the smallest seeker stage), and whether it met
    the target; None when 20k postings was not measured (quick runs)."""
    at = [c for c in cells if c.postings == 20_000]
    if not at:
        return None, None
    median = at[0].rerank_median
    return median, median <= RERANK_TARGET_MS
