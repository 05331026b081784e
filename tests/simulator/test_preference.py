"""The hidden preference: utility, would_apply and the ground truth agree and make sense."""

from __future__ import annotations

import dataclasses
import doctest
import random

import numpy as np
import pytest

import simulator
from schemas.postings import Wage
from simulator import Market, MarketConfig
from simulator.entities import PostingState
from simulator.geography import NEIGHBOURS, geography


@pytest.fixture(scope="module")
def market() -> Market:
    return Market.generate(MarketConfig(seekers=300, postings=400), seed=2)


def test_package_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(simulator, verbose=False)
    assert tried > 0 and failures == 0


def test_would_apply_is_utility_above_the_seekers_threshold(market: Market) -> None:
    for seeker in market.seekers[:40]:
        sid = seeker.seeker_id
        for state in market.postings[:60]:
            pid = state.posting.posting_id
            u = market.utility(sid, pid)
            assert market.would_apply(sid, pid) is (u > market.threshold(sid))
            assert market.utility(sid, pid) == u  # deterministic: no noise here


def test_batch_and_single_utilities_agree(market: Market) -> None:
    ids = [s.posting.posting_id for s in market.postings]
    for seeker in market.seekers[:20]:
        batch = market.utilities(seeker.seeker_id, ids)
        single = [market.utility(seeker.seeker_id, pid) for pid in ids[:50]]
        np.testing.assert_allclose(batch[:50], single, rtol=0, atol=1e-12)


def test_truth_lists_exactly_the_would_apply_postings(market: Market) -> None:
    ids = [s.posting.posting_id for s in market.postings[:150]]
    truth = dict(market.truth(ids))
    assert list(truth) == [s.seeker_id for s in market.seekers]
    for sid in list(truth)[:30]:
        expected = {pid for pid in ids if market.would_apply(sid, pid)}
        assert set(truth[sid]) == expected
        for pid, u in truth[sid].items():
            assert u == pytest.approx(market.utility(sid, pid), abs=1e-6)
    # Seekers differ: a few would apply to many postings, some to none.
    counts = [len(hits) for hits in truth.values()]
    assert max(counts) > 3 * (sum(counts) / len(counts)) > 0


def _variant(market: Market, base: PostingState, **posting_changes: object) -> np.ndarray:
    """Utility of a copy of ``base`` with changed public fields and place, for seeker 1."""
    place = posting_changes.pop("place", base.place)
    posting = dataclasses.replace(
        base.posting, posting_id=f"P{len(market.postings) + 1:06d}", **posting_changes
    )
    state = dataclasses.replace(
        base, index=len(market.postings), posting=posting, place=place, open=True
    )
    market.add_posting(state)
    return market.utility("S000001", posting.posting_id)


def test_utility_prefers_near_well_paid_jobs_in_the_wanted_occupation() -> None:
    # A fresh market per test: this one adds postings to it.
    market = Market.generate(MarketConfig(seekers=5, postings=5), seed=3)
    seeker = market.seekers[0]
    home = geography().place(seeker.profile.home_region_code or "11110")
    base = dataclasses.replace(
        market.postings[0],
        occupation=seeker.occupations[0],
        place=home,
        attractiveness=0.0,
    )
    base = dataclasses.replace(
        base,
        posting=dataclasses.replace(
            base.posting, education_min="00", career_min_years=0, certificates=()
        ),
    )
    same_city = _variant(market, base)
    far_sido = next(s for s in geography().sidos if s not in (home.sido, *NEIGHBOURS[home.sido]))
    far = _variant(market, base, place=geography().sample_place(random.Random(0), far_sido))
    assert same_city > far

    other_group = next(
        code
        for code in market.occupations
        if code[:2] != seeker.occupations[0][:2] and code not in seeker.occupations
    )
    wrong_job = dataclasses.replace(base, occupation=other_group)
    assert _variant(market, wrong_job) < same_city

    if seeker.profile.desired_wage is not None:
        low = Wage("monthly", 1_000_000)
        high = Wage("monthly", 9_000_000)
        assert _variant(market, base, wage=high) > _variant(market, base, wage=low)

    too_educated = _variant(market, base, education_min="07")
    if (seeker.profile.education_level or "03") < "07":
        assert too_educated < same_city


def test_unknown_ids_raise_a_key_error(market: Market) -> None:
    with pytest.raises(KeyError, match="unknown seeker"):
        market.utility("S999999", "P000001")
    with pytest.raises(KeyError, match="unknown posting"):
        market.utility("S000001", "P1")  # not the canonical form
