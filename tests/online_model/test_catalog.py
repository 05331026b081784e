"""Catalog: incremental changes and compaction leave it equal to one built from scratch."""

from __future__ import annotations

import dataclasses

import numpy as np

from online_model.candidates import retrieve
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.features import feature_matrix
from online_model.history import SeekerHistory
from tests.online_model.factories import NOW_MS, synthetic_market


def _by_id(catalog: PostingCatalog, profile: object) -> dict[str, list[float]]:
    ctx = RankContext(NOW_MS)
    slots = retrieve(profile, SeekerHistory(), catalog, ctx, max_candidates=10**9)  # type: ignore[arg-type]
    rows = feature_matrix(profile, SeekerHistory(), catalog, slots, ctx)  # type: ignore[arg-type]
    return {str(catalog.posting_ids[s]): rows[i].tolist() for i, s in enumerate(slots.tolist())}


def test_changes_and_compaction_match_a_fresh_build() -> None:
    market = synthetic_market(1500, 30, seed=5)
    live = PostingCatalog(initial_capacity=16)
    for p in market.postings:
        live.upsert(p)
    # Close most postings (forcing compactions on later inserts), and move others to
    # another occupation and region, so stale index entries must not leak through.
    for p in market.postings[:1200]:
        assert live.remove(p.posting_id)
    moved = [
        dataclasses.replace(p, occupation_code="06B", region_code="11680", title="요양보호사")
        for p in market.postings[1200:1300]
    ]
    for p in moved:
        live.upsert(p)
    extra = synthetic_market(1500, 1, seed=6).postings
    extra = [dataclasses.replace(p, posting_id=f"X{p.posting_id}") for p in extra]
    for p in extra:
        live.upsert(p)
    expected = [*moved, *market.postings[1300:], *extra]
    fresh = PostingCatalog()
    for p in expected:
        fresh.upsert(p)
    assert len(live) == len(fresh) == len(expected)
    # Compaction ran: fewer slots than every upsert ever made.
    assert live.size < len(market.postings) + len(moved) + len(extra)
    assert set(live) == set(fresh) and not live.remove(market.postings[0].posting_id)
    for profile in market.profiles:
        a, b = _by_id(live, profile), _by_id(fresh, profile)
        assert a.keys() == b.keys()
        for pid in a:
            np.testing.assert_array_equal(a[pid], b[pid])
