"""The implicit profile moves a seeker's list toward what they engaged with."""

from __future__ import annotations

from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.history import SeekerHistory
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from schemas.postings import Posting
from schemas.profiles import Profile


def test_same_empty_profile_different_clicks_give_different_lists() -> None:
    cat = PostingCatalog()
    for i in range(30):
        cat.upsert(Posting(f"F{i}", f"EF{i}", "x", "지게차 운전원", 0, occupation_code="07C"))
        cat.upsert(Posting(f"N{i}", f"EN{i}", "x", "요양 간호사", 0, occupation_code="041"))
    ctx = RankContext(now_ms=0)
    forklift = SeekerHistory(engagements=(("F0", "click", 0), ("F1", "click", 0)))
    nurse = SeekerHistory(engagements=(("N0", "click", 0), ("N1", "click", 0)))
    a = rank_seeker(Profile("S1"), forklift, cat, Ranker(), ctx, k=10, n_explore=0).ids()
    b = rank_seeker(Profile("S2"), nurse, cat, Ranker(), ctx, k=10, n_explore=0).ids()
    assert a != b
    # Each list is led by the kind of posting its seeker clicked.
    assert sum(p.startswith("F") for p in a) > 7
    assert sum(p.startswith("N") for p in b) > 7
