"""Fixtures of the model tests: a small synthetic market, its catalog, a fresh ranker."""

from __future__ import annotations

import pytest

from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.ranker import Ranker
from tests.online_model.factories import NOW_MS, Market, synthetic_market


@pytest.fixture(scope="session")
def market() -> Market:
    """600 postings and 150 seekers (seed 7); shared read-only across tests."""
    return synthetic_market(600, 150, seed=7)


@pytest.fixture
def catalog(market: Market) -> PostingCatalog:
    """A fresh catalog holding every posting of the market."""
    cat = PostingCatalog(initial_capacity=64)  # small, so growth is exercised
    for posting in market.postings:
        cat.upsert(posting)
    return cat


@pytest.fixture
def ranker() -> Ranker:
    """A ranker with the hand-set prior."""
    return Ranker()


@pytest.fixture
def ctx() -> RankContext:
    """The fixed "now" of the factories, no statistics."""
    return RankContext(now_ms=NOW_MS)
