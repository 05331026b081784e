"""Benchmark: where a worker's memory per seeker goes, in-process (issue 14, item 6).

Run from the repository root:

    .venv/bin/python -m bench.seeker_memory                  # 2k seekers x 2k postings
    .venv/bin/python -m bench.seeker_memory --seekers 5000 --top 30

A market from the simulator; the postings are loaded first, then :mod:`tracemalloc`
traces every seeker's first ranking (profile, history of clicks and applies for a third of
them, list, reserve, employer lists, seeker index). The bytes still allocated afterwards
are divided by the seekers and attributed to the innermost line of ``online_model`` that
allocated them, largest first: what a compact state (issue 14, item 6) has to shrink.
The worker's RSS per seeker (``python -m bench.run --only national``) adds Faust's tables
and the interpreter on top of this.
"""

from __future__ import annotations

import argparse
import gc
import random
import tracemalloc

from bench.market_engine import catalog_engine
from online_model.live.seeker_state import SeekerState, apply_interaction
from schemas.interactions import Interaction
from simulator import OFFLINE_START_MS


def _site(trace: tracemalloc.StatisticDiff) -> str:
    """The innermost frame of ``online_model`` (else the innermost one) of an allocation."""
    frames = list(trace.traceback)  # oldest first
    inner = next((f for f in reversed(frames) if "online_model" in f.filename), frames[-1])
    path = inner.filename
    cut = path.rfind("online_model")
    return f"{path[cut:] if cut >= 0 else path}:{inner.lineno}"


def measure(seekers: int, postings: int, seed: int) -> tuple[float, list[tuple[str, float]]]:
    """Bytes per seeker in all, and per allocating line (largest first)."""
    engine, market = catalog_engine(seekers, postings, seed, start_ms=OFFLINE_START_MS)
    rng = random.Random(seed)
    all_postings = [s.posting for s in market.postings]
    gc.collect()
    tracemalloc.start(30)
    before = tracemalloc.take_snapshot()
    for n, seeker in enumerate(market.seekers):
        state = SeekerState(profile=seeker.profile)
        if n % 3 == 0:  # a third have a history, as in the national mix
            for k, action in enumerate(("click", "click", "save", "apply")):
                p = rng.choice(all_postings)
                event = Interaction(
                    f"m{n}-{k}", OFFLINE_START_MS - 1000 + k, seeker.seeker_id, p.posting_id, action
                )
                state, _ = apply_interaction(state, event, p)
        engine.set_seeker(seeker.seeker_id, state, reason="profile")
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    by_site: dict[str, int] = {}
    for diff in after.compare_to(before, "traceback"):
        site = _site(diff)
        by_site[site] = by_site.get(site, 0) + diff.size_diff
    total = sum(by_site.values()) / seekers
    ranked = sorted(((s, b / seekers) for s, b in by_site.items()), key=lambda kv: -kv[1])
    return total, ranked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seekers", type=int, default=2000, help="seekers (default 2000)")
    parser.add_argument("--postings", type=int, default=2000, help="open postings (default 2000)")
    parser.add_argument("--seed", type=int, default=5, help="market seed (default 5)")
    parser.add_argument("--top", type=int, default=15, help="allocating lines shown (default 15)")
    args = parser.parse_args(argv)
    print(f"ranking {args.seekers:,} seekers over {args.postings:,} postings under tracemalloc")
    total, ranked = measure(args.seekers, args.postings, args.seed)
    print(f"engine bytes per seeker: {total:,.0f}")
    for site, per_seeker in ranked[: args.top]:
        print(f"{per_seeker:10,.0f}  {site}")


if __name__ == "__main__":
    main()
