"""One posting against many seekers (the fan-out's columns) equals the ranking's rows.

A seeker's list is ranked from :func:`feature_matrix` (one seeker, many postings) and a new
posting enters it with a score from :func:`seeker_rows` (one posting, many seekers). The
recompute-oracle tests demand that both give the very same float, so these tests compare
with ``==``, not a tolerance: the two forms run the same operations on the same values.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from online_model.candidates import SeekerIndex
from online_model.catalog import PostingCatalog, posting_text_tokens
from online_model.context import PostingStat, PostingStats, RankContext
from online_model.features import FEATURES, feature_matrix, history_columns, seeker_rows
from online_model.history import SeekerHistory
from online_model.implicit import EMPTY_IMPLICIT, implicit_profile
from online_model.neighbours import CoEngagement, NeighbourIndex
from online_model.ranker import Ranker
from schemas.postings import Posting
from schemas.profiles import Profile
from simulator import Market as SimMarket
from simulator import MarketConfig
from tests.online_model.factories import NOW_MS, Market, synthetic_market


def _stats(postings: list[Posting]) -> PostingStats:
    return PostingStats(
        {
            p.posting_id: PostingStat(float(i % 50), float(i % 7), NOW_MS - i * 3_600_000)
            for i, p in enumerate(postings[::3])
        }
    )


def _history(rng: random.Random, postings: list[Posting]) -> SeekerHistory:
    """Random applies, dismissals, counts and engagements (some seekers have none)."""
    if rng.random() < 0.3:
        return SeekerHistory()
    picked = rng.sample(postings, 6)
    return SeekerHistory(
        applied=(picked[0].posting_id,),
        dismissed=(picked[1].posting_id,),
        occupation_counts=tuple(
            (p.occupation_code, 1 + i) for i, p in enumerate(picked[:3]) if p.occupation_code
        ),
        employer_counts=((picked[2].employer_id, 1), (picked[3].employer_id, 4)),
        engagements=tuple(
            (p.posting_id, rng.choice(["click", "save", "apply", "dismiss"]), NOW_MS - i * 7e7)
            for i, p in enumerate(picked)
        ),
    )


def _co_engaged(rng: random.Random, postings: list[Posting]) -> NeighbourIndex:
    """Neighbours folded from random co-engagement records (pairs of postings)."""
    index = NeighbourIndex()
    for i in range(600):
        a, b = rng.sample(postings, 2)
        index.learn_one(CoEngagement(f"ev{i}", NOW_MS - i * 60_000, a.posting_id, (b.posting_id,)))
    return index


def _assert_columns_equal_rows(
    postings: list[Posting], profiles: list[Profile], *, seed: int, stats: bool
) -> None:
    rng = random.Random(seed)
    catalog = PostingCatalog()
    for p in postings:
        catalog.upsert(p)
    ctx = RankContext(NOW_MS, _stats(postings)) if stats else RankContext(NOW_MS)
    catalog.sync_stats(ctx.stats)
    index = SeekerIndex(tokenizer=catalog.tokenizer)
    for profile in profiles:
        index.upsert(profile)
    histories = [_history(rng, postings) for _ in profiles]
    by_id = {p.posting_id: p for p in postings}
    neighbours = _co_engaged(rng, postings)
    implicits = [
        implicit_profile(h.engagements, by_id.get, now_ms=ctx.now_ms, neighbours=neighbours)
        for h in histories
    ]
    assert any(ip.neighbours for ip in implicits)  # the item_neighbour column is exercised
    rows = np.array([index.row_of(p.seeker_id) for p in profiles], dtype=np.int32)
    ranker = Ranker()
    sample = rng.sample(postings, 25)
    slots = np.array([catalog.slot_of(p.posting_id) for p in sample], dtype=np.int32)
    columns = []  # per sampled posting: its rows against every seeker
    for posting, slot in zip(sample, slots.tolist(), strict=True):
        x = seeker_rows(posting, slot, catalog, index.columns, rows, ctx)
        tokens = posting_text_tokens(posting, catalog.tokenizer)
        for i, (h, ip) in enumerate(zip(histories, implicits, strict=True)):
            history_columns(x[i], h, ip, posting, tokens)
        columns.append((x, ranker.score_many(x)))
    alive = catalog.alive_slots()
    for i, profile in enumerate(profiles):
        h, ip = histories[i], implicits[i]
        want = feature_matrix(profile, h, catalog, slots, ctx, implicit=ip)
        for j, (x, _) in enumerate(columns):
            bad = [f for f, a, b in zip(FEATURES, x[i], want[j], strict=True) if a != b]
            assert not bad, (sample[j].posting_id, profile.seeker_id, bad)
        if i < 40:
            # Same rows, same floats: the scores equal the ranking's over the whole
            # catalog (where the row sits among others), bit for bit.
            ranked = ranker.score_many(feature_matrix(profile, h, catalog, alive, ctx, implicit=ip))
            position = {s: k for k, s in enumerate(alive.tolist())}
            for j, (_, scores) in enumerate(columns):
                assert scores[i] == ranked[position[int(slots[j])]], profile.seeker_id


@pytest.mark.parametrize("stats", [False, True])
def test_columns_equal_rows_on_a_random_market(stats: bool) -> None:
    market = synthetic_market(400, 300, seed=11)
    _assert_columns_equal_rows(market.postings, market.profiles, seed=3, stats=stats)


def test_columns_equal_rows_on_the_simulated_market() -> None:
    # The simulator's market is drawn from the real reference tables (regions, occupations,
    # wages): the codes and the text real postings carry.
    sim = SimMarket.generate(MarketConfig(seekers=400, postings=600, start_ms=NOW_MS), 5)
    postings = [s.posting for s in sim.postings]
    profiles = [s.profile for s in sim.seekers]
    _assert_columns_equal_rows(postings, profiles, seed=4, stats=True)


def _catalog_and_index(market: Market) -> tuple[PostingCatalog, SeekerIndex, np.ndarray]:
    """The market's postings in a catalog, its seekers in an index, and their rows."""
    catalog = PostingCatalog()
    for p in market.postings:
        catalog.upsert(p)
    index = SeekerIndex()
    for profile in market.profiles:
        index.upsert(profile)
    rows = np.array([index.row_of(p.seeker_id) for p in market.profiles], dtype=np.int32)
    return catalog, index, rows


def test_an_empty_history_leaves_the_history_columns_zero() -> None:
    market = synthetic_market(50, 5, seed=2)
    catalog, index, rows = _catalog_and_index(market)
    posting = market.postings[0]
    x = seeker_rows(posting, 0, catalog, index.columns, rows, RankContext(NOW_MS))
    before = x.copy()
    history_columns(x[0], SeekerHistory(), EMPTY_IMPLICIT, posting, frozenset())
    assert np.array_equal(x, before)


def test_a_few_rows_give_the_rows_of_many() -> None:
    # A handful of rows is looked up by each query's keys, many by masks over every row:
    # the two paths must agree (the fan-out re-scores a few changed seekers that way).
    market = synthetic_market(200, 120, seed=5)
    catalog, index, rows = _catalog_and_index(market)
    ctx = RankContext(NOW_MS)
    for posting in market.postings[:30]:
        slot = catalog.slot_of(posting.posting_id)
        assert slot is not None
        many = seeker_rows(posting, slot, catalog, index.columns, rows, ctx)
        for start in range(0, len(rows), 3):
            few = seeker_rows(posting, slot, catalog, index.columns, rows[start : start + 3], ctx)
            assert np.array_equal(few, many[start : start + 3])
