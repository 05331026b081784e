"""Small markets and finished runs shared by the simulator tests (pure, no services)."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pytest

from simulator import Market, MarketConfig, StaticListSource


@dataclass
class Run:
    """A market after a run, with every event it produced, in order."""

    market: Market
    events: list[tuple[str, object]]


def small_config(**changes: object) -> MarketConfig:
    defaults: dict[str, object] = {"seekers": 400, "postings": 200}
    defaults.update(changes)
    return MarketConfig(**defaults)  # type: ignore[arg-type]


def run_market(config: MarketConfig, seed: int, days: float, source: object = None) -> Run:
    market = Market.generate(config, seed)
    events = list(market.events(days=days, list_source=source))  # type: ignore[arg-type]
    return Run(market, events)


@pytest.fixture(scope="package")
def big_market() -> Market:
    """Large enough for the skews to show within a percent or two."""
    return Market.generate(MarketConfig(seekers=3000, postings=1500), seed=11)


@pytest.fixture(scope="package")
def search_run() -> Run:
    """Two days of a market without recommendations: every session searches."""
    return run_market(small_config(seekers=800, postings=400), seed=5, days=2)


@pytest.fixture(scope="package")
def reco_run() -> Run:
    """Two days in which every session gets a fixed 120-posting list from a source."""
    config = small_config(seekers=600, postings=1200, reco_share=1.0)
    market = Market.generate(config, seed=9)
    # Each list holds the seeker's 40 best postings and 80 others, shuffled: position
    # bias and the utility, not the list's order, must drive what seekers do.
    rng = random.Random(9)
    ids = [s.posting.posting_id for s in market.postings]
    lists = {}
    for seeker in market.seekers:
        u = market.utilities(seeker.seeker_id, ids)
        best = [ids[i] for i in np.argsort(-u)[:40]]
        others = rng.sample([p for p in ids if p not in best], 80)
        lists[seeker.seeker_id] = rng.sample(best + others, 120)
    events = list(market.events(days=2, list_source=StaticListSource(lists)))
    return Run(market, events)
