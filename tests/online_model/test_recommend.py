"""The worker-facing API: lists respect their rules and agree with per-pair scoring."""

from __future__ import annotations

from collections import Counter

import numpy as np

from online_model.candidates import FilterStats, SeekerIndex
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.history import SeekerHistory
from online_model.ranker import Ranker
from online_model.recommend import (
    rank_posting,
    rank_seeker,
    score_pair,
    score_seekers_for_posting,
    topk_item,
)
from online_model.topk import insert, top_k
from tests.online_model.factories import NOW_MS, Market, make_posting


def test_lists_follow_the_rules(market: Market, catalog: PostingCatalog, ranker: Ranker) -> None:
    ctx = RankContext(NOW_MS)
    stats = FilterStats()
    for profile in market.profiles[:50]:
        ranked = rank_seeker(profile, SeekerHistory(), catalog, ranker, ctx, filter_stats=stats)
        assert len(ranked) <= 120
        assert max(Counter(ranked.topk.employer_ids.tolist()).values(), default=0) <= 3
        scores = ranked.topk.scores
        assert np.all(np.diff(scores) <= 0)  # best first
        for item in ranked.items[:5]:
            posting = catalog.get(item.posting_id)
            assert posting is not None
            pair = score_pair(profile, SeekerHistory(), posting, ranker, ctx)
            assert abs(pair.score - item.score) < 1e-9 and pair.veto is None
            assert list(pair.reasons) == list(item.reasons)
    assert stats.total > 0


def test_reasons_are_short_korean_phrases(catalog: PostingCatalog, ranker: Ranker) -> None:
    from tests.online_model.factories import make_profile

    catalog.upsert(make_posting("P-match"))
    ranked = rank_seeker(make_profile(), SeekerHistory(), catalog, ranker, RankContext(NOW_MS))
    reasons = ranked.reasons("P-match")
    assert ranked.ids()[0] == "P-match"
    assert reasons[:2] == ["희망 직종 일치", "희망 직무 키워드 일치"] and len(reasons) <= 3


def test_posting_side_uses_the_same_score(market: Market, ranker: Ranker) -> None:
    ctx = RankContext(NOW_MS)
    seekers = [(p, SeekerHistory()) for p in market.profiles]
    posting = market.postings[0]
    scores = score_seekers_for_posting(posting, seekers, ranker, ctx)
    for (profile, history), s in zip(seekers, scores.tolist(), strict=True):
        pair = score_pair(profile, history, posting, ranker, ctx)
        if pair.veto is None:
            assert abs(pair.score - s) < 1e-9
        else:
            assert np.isnan(s)
    top = rank_posting(posting, seekers, ranker, ctx, k=10)
    assert len(top) <= 10 and [s for _, s in top] == sorted((s for _, s in top), reverse=True)


def test_new_posting_fans_out_to_lists(
    market: Market, catalog: PostingCatalog, ranker: Ranker
) -> None:
    # The streaming path: a new posting goes to the candidate seekers' lists through
    # SeekerIndex and topk.insert, and the result equals a full re-rank of each seeker.
    ctx = RankContext(NOW_MS)
    index = SeekerIndex()
    lists = {}
    for profile in market.profiles:
        index.upsert(profile)
        lists[profile.seeker_id] = rank_seeker(profile, SeekerHistory(), catalog, ranker, ctx, k=20)
    new = make_posting("P-new", title="요양보호사 모집", occupation_code=None, region_code="11680")
    catalog.upsert(new)
    by_id = {p.seeker_id: p for p in market.profiles}
    changed = 0
    for sid in index.candidates_for(new):
        pair = score_pair(by_id[sid], SeekerHistory(), new, ranker, ctx)
        if pair.veto is not None:
            continue
        updated = insert(lists[sid].topk, topk_item(new, pair.score, ctx))
        full = rank_seeker(by_id[sid], SeekerHistory(), catalog, ranker, ctx, k=20).topk
        if updated is not None:
            # Per-pair features use math.exp/log, the vectorized ones numpy's: the scores
            # may differ in the last bit, never more.
            assert updated.ids() == full.ids()
            np.testing.assert_allclose(updated.scores, full.scores, rtol=0, atol=1e-12)
            changed += updated is not lists[sid].topk
    for sid in set(by_id) - index.candidates_for(new):
        # Seekers the index leaves out would not have got the posting anyway.
        assert (
            "P-new"
            not in rank_seeker(by_id[sid], SeekerHistory(), catalog, ranker, ctx, k=20).ids()
        )
    assert top_k([], [], []).ids() == []
    assert changed > 0  # the new posting did enter some lists incrementally
