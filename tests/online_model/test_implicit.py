"""The implicit profile moves a seeker's list toward what they engaged with."""

from __future__ import annotations

import random

import numpy as np

from online_model.candidates import SeekerIndex
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.history import SeekerHistory
from online_model.implicit import (
    behaviour_keys,
    behaviour_retrieves,
    behaviour_scores,
    implicit_profile,
    posting_behaviour_keys,
)
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from schemas.postings import Posting
from schemas.profiles import Profile
from simulator import Market, MarketConfig


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


def _market_catalog(n_postings: int, *, seed: int) -> tuple[list[Posting], PostingCatalog]:
    """The postings of a simulated market, and a catalog of them."""
    market = Market.generate(MarketConfig(seekers=10, postings=n_postings, start_ms=0), seed)
    postings = [s.posting for s in market.postings]
    catalog = PostingCatalog()
    for p in postings:
        catalog.upsert(p)
    return postings, catalog


def test_behaviour_retrieves_one_posting_exactly_where_the_catalog_scores_it() -> None:
    # The fan-out narrows the seekers the behaviour keys found (a superset: every token of
    # the engaged postings, where the implicit profile keeps the heaviest) with
    # behaviour_retrieves; it must agree with behaviour_scores > 0 on every posting.
    postings, catalog = _market_catalog(400, seed=4)
    rng = random.Random(4)
    narrowed = agreed = 0
    for _ in range(40):
        engagements = tuple(
            (rng.choice(postings).posting_id, rng.choice(["click", "save", "apply"]), 0)
            for _ in range(rng.randint(1, 14))  # many: the profile's token cap bites
        )
        keys = behaviour_keys(engagements, catalog.get, catalog.tokenizer)
        ip = implicit_profile(engagements, catalog.get, now_ms=0, tokenizer=catalog.tokenizer)
        scores = behaviour_scores(ip, catalog)
        assert scores is not None
        for slot, posting_id in enumerate(catalog.posting_ids[: catalog.size].tolist()):
            posting = catalog.get(posting_id)
            assert posting is not None
            retrieved = behaviour_retrieves(ip, posting, catalog.tokenizer)
            assert retrieved == bool(scores[slot] > 0), posting_id
            agreed += retrieved
            shares_a_key = bool(keys & posting_behaviour_keys(posting, catalog.tokenizer))
            narrowed += shares_a_key and not retrieved
    assert agreed > 1000
    assert narrowed > 0, "the keys were never wider than retrieval: nothing was tested"


def test_the_behaviour_keys_find_every_posting_behaviour_retrieves() -> None:
    # The seeker index lists a seeker under behaviour_keys so that a fan-out finds them
    # for every posting their behaviour retrieval scores above 0: the keys must cover it.
    postings, catalog = _market_catalog(500, seed=9)
    index = SeekerIndex(tokenizer=catalog.tokenizer)
    rng = random.Random(9)
    found = 0
    for n in range(60):
        sid = f"S{n}"
        engagements = tuple(
            (rng.choice(postings).posting_id, rng.choice(["click", "save", "apply", "dismiss"]), 0)
            for _ in range(rng.randint(1, 6))
        )
        index.set_behaviour(sid, behaviour_keys(engagements, catalog.get, catalog.tokenizer))
        ip = implicit_profile(engagements, catalog.get, now_ms=0, tokenizer=catalog.tokenizer)
        scores = behaviour_scores(ip, catalog)
        if scores is None:
            assert sid not in index.behaviour_candidates_for(postings[0])
            continue
        for slot in np.flatnonzero(scores > 0).tolist():
            posting = catalog.get(str(catalog.posting_ids[slot]))
            assert posting is not None
            assert sid in index.behaviour_candidates_for(posting), (sid, posting.posting_id)
            found += 1
    assert found > 1000
