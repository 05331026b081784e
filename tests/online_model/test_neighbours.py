"""Item-to-item neighbours: bounded, decayed, top-N, and what they do to a seeker's list."""

from __future__ import annotations

import pickle
import random

import numpy as np

from online_model.candidates import retrieve
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.explain import REASONS
from online_model.features import FEATURE_INDEX, FEATURES, feature_matrix, pair_features
from online_model.history import SeekerHistory
from online_model.implicit import catalog_implicit, implicit_profile
from online_model.neighbours import (
    HALF_LIFE_MS,
    CoEngagement,
    NeighbourIndex,
    co_engagement,
    fold,
    neighbour_scores,
)
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from schemas.interactions import Interaction
from schemas.postings import Posting
from schemas.profiles import Profile
from tests.online_model.factories import NOW_MS, Market


def _records_of(clicks: dict[str, list[str]], ts: int = 0) -> list[CoEngagement]:
    """The records the owning workers would publish for these seekers' clicks, in order."""
    out: list[CoEngagement] = []
    for sid, postings in sorted(clicks.items()):
        history = SeekerHistory()
        for j, pid in enumerate(postings):
            event = Interaction(f"{sid}-{j}", ts + j, sid, pid, "click")
            record = co_engagement(history, event)
            if record is not None:
                out.append(record)
            history = history.with_interaction(event, None)
    return out


def test_co_engaged_postings_are_neighbours_and_an_unrelated_one_is_not() -> None:
    clicks = {f"S{i}": ["X", "Y"] for i in range(4)} | {"T": ["X", "Z"], "U": ["W"]}
    idx = fold(NeighbourIndex(), _records_of(clicks))
    near = dict(idx.neighbours("X", now_ms=0))
    # Four seekers in common with Y, one with Z: Y first; W shares no seeker with X.
    assert list(near) == ["Y", "Z"]
    assert near["Y"] > near["Z"] > 0
    assert idx.similarity("X", "W", now_ms=0) == 0.0
    # A cosine with n(Y) as of the last record pairing them: 4 in common, n(X) = 5 and
    # n(Y) = 4; Y's row last saw X when n(X) was 4 (T clicked X after the four), so it says
    # 4 / (4 + 1). (The 1 ms between a seeker's two clicks decays nothing that matters.)
    assert abs(idx.similarity("X", "Y", now_ms=0) - 4 / (20**0.5 + 1)) < 1e-6
    assert abs(idx.similarity("Y", "X", now_ms=0) - 4 / (4 + 1)) < 1e-6


def test_a_click_then_an_apply_counts_the_pair_once() -> None:
    history = SeekerHistory()
    records = []
    for j, (pid, action) in enumerate([("X", "click"), ("Y", "click"), ("Y", "apply")]):
        event = Interaction(f"e{j}", j, "S1", pid, action)
        records.append(co_engagement(history, event))
        history = history.with_interaction(event, None)
    assert records[2] is None  # Y was engaged with already
    idx = fold(NeighbourIndex(), [r for r in records if r is not None])
    # c = 1, n = 1 each, shrink 1 (to the decay of the 1 ms between the two clicks).
    assert abs(idx.similarity("X", "Y", now_ms=0) - 1 / (1 + 1)) < 1e-6


def test_a_repeated_record_changes_nothing() -> None:
    records = _records_of({"S1": ["X", "Y"], "S2": ["X", "Y"]})
    once = fold(NeighbourIndex(), records)
    twice = fold(NeighbourIndex(), records + records)
    assert twice.neighbours("X", now_ms=0) == once.neighbours("X", now_ms=0)


def test_counts_decay_with_event_time() -> None:
    # Two seekers long ago, two now, each pairing X with a different posting.
    old = _records_of({"A1": ["X", "OLD"], "A2": ["X", "OLD"]}, ts=0)
    new = _records_of({"B1": ["X", "NEW"], "B2": ["X", "NEW"]}, ts=4 * HALF_LIFE_MS)
    idx = fold(NeighbourIndex(), old + new)
    now = 4 * HALF_LIFE_MS
    assert [p for p, _ in idx.neighbours("X", now_ms=now)] == ["NEW", "OLD"]
    # Far in the future both fade towards 0 (the shrink dominates thin, old evidence).
    later = idx.similarity("X", "NEW", now_ms=now + 10 * HALF_LIFE_MS)
    assert later < 0.01 * idx.similarity("X", "NEW", now_ms=now)


def test_the_reference_time_moves_without_changing_scores_by_more_than_rounding() -> None:
    # Records years apart force a rebase of the scaled counts; scores stay finite and right.
    idx = NeighbourIndex()
    for year in range(12):
        ts = year * 365 * 86_400_000
        fold(idx, _records_of({f"S{year}": ["X", f"Y{year}"]}, ts=ts))
    now = 11 * 365 * 86_400_000
    best, score = idx.neighbours("X", now_ms=now)[0]
    assert best == "Y11"
    assert np.isfinite(score) and 0 < score < 1


def test_the_index_is_bounded_per_posting_and_in_all() -> None:
    idx = NeighbourIndex(max_neighbours=5, max_postings=40)
    rng = random.Random(3)
    clicks = {f"S{i}": [f"P{rng.randrange(200)}" for _ in range(6)] for i in range(300)}
    fold(idx, _records_of(clicks))
    assert len(idx) <= 40 * 1.25
    assert all(len(row) <= 2 * 5 for row in idx._pairs.values())
    assert all(len(idx.neighbours(p, now_ms=0, k=3)) <= 3 for p in list(idx._engaged))


def test_two_workers_folding_the_same_records_agree_bit_for_bit() -> None:
    rng = random.Random(5)
    clicks = {f"S{i}": [f"P{rng.randrange(50)}" for _ in range(5)] for i in range(80)}
    records = _records_of(clicks)
    a, b = fold(NeighbourIndex(), records), fold(NeighbourIndex(), records)
    for p in (f"P{i}" for i in range(50)):
        assert a.neighbours(p, now_ms=7) == b.neighbours(p, now_ms=7)
    restored = pickle.loads(pickle.dumps(a))
    assert restored.neighbours("P1", now_ms=7) == a.neighbours("P1", now_ms=7)


def test_bad_records_are_refused_with_the_reason() -> None:
    for bad in ({}, {"event_id": "e", "ts": "x", "posting_id": "P"}, {"partners": 3}):
        try:
            CoEngagement.from_obj(bad)
        except ValueError as err:
            assert "co-engagement record" in str(err)
        else:
            raise AssertionError(f"accepted {bad}")


# -- in retrieval, features and reasons ---------------------------------------------------


def _market_of_pairs() -> tuple[PostingCatalog, NeighbourIndex]:
    """X and Y share nothing in their text, occupation, employer or place; only seekers
    who clicked both connect them."""
    cat = PostingCatalog()
    cat.upsert(Posting("X", "E1", "x", "지게차 운전원", 0, occupation_code="07C"))
    cat.upsert(Posting("Y", "E2", "x", "바리스타", 0, occupation_code="053"))
    for i in range(20):
        cat.upsert(Posting(f"F{i}", f"EF{i}", "x", "요양 간호사", 0, occupation_code="041"))
    clicks = {f"S{i}": ["X", "Y"] for i in range(5)}
    return cat, fold(NeighbourIndex(), _records_of(clicks))


def test_a_neighbour_is_retrieved_ranked_and_explained_for_a_seeker_who_clicked_x() -> None:
    cat, idx = _market_of_pairs()
    history = SeekerHistory(engagements=(("X", "click", 0),))
    ctx = RankContext(now_ms=0)
    without = catalog_implicit(history.engagements, cat, now_ms=0)
    with_nb = catalog_implicit(history.engagements, cat, now_ms=0, neighbours=idx)
    assert with_nb.neighbour_score("Y") > 0.5 and without.neighbour_score("Y") == 0.0
    # A stated profile that says nothing about Y: only its neighbour score retrieves it.
    stated = Profile("S9", desired_occupation_codes=("041",))
    slot_y = cat.slot_of("Y")
    assert slot_y not in retrieve(stated, history, cat, ctx, implicit=without).tolist()
    assert slot_y in retrieve(stated, history, cat, ctx, implicit=with_nb).tolist()
    # An empty profile: every posting is a candidate, and Y ranks right after X.
    profile = Profile("S9")
    before = rank_seeker(profile, history, cat, Ranker(), ctx, k=5, implicit=without)
    after = rank_seeker(profile, history, cat, Ranker(), ctx, k=5, implicit=with_nb)
    assert "Y" not in before.ids()
    assert after.ids()[:2] == ["X", "Y"]
    assert REASONS["item_neighbour"] in after.reasons("Y")
    assert REASONS["item_neighbour"] == "이 공고를 본 구직자들이 함께 본 공고"


def test_the_neighbour_feature_agrees_scalar_and_vectorised(market: Market) -> None:
    cat = PostingCatalog()
    for p in market.postings:
        cat.upsert(p)
    ids = [p.posting_id for p in market.postings]
    rng = random.Random(9)
    clicks = {f"S{i}": rng.sample(ids[:60], 4) for i in range(60)}
    idx = fold(NeighbourIndex(), _records_of(clicks, ts=NOW_MS))
    ctx = RankContext(NOW_MS)
    history = SeekerHistory(engagements=tuple((p, "click", NOW_MS) for p in ids[:3]))
    ip = implicit_profile(history.engagements, cat.get, now_ms=NOW_MS, neighbours=idx)
    assert ip.neighbours  # the test means something
    slots = cat.alive_slots()
    for profile in market.profiles[:3]:
        matrix = feature_matrix(profile, history, cat, slots, ctx, implicit=ip)
        col = matrix[:, FEATURE_INDEX["item_neighbour"]]
        assert col.max() > 0 and col.max() <= 1.0
        for row, slot in zip(matrix, slots.tolist(), strict=True):
            posting = cat.get(cat.posting_ids[slot])
            assert posting is not None
            x = pair_features(profile, history, posting, ctx, implicit=ip)
            np.testing.assert_allclose(row, [x[f] for f in FEATURES], rtol=0, atol=1e-12)


def test_a_record_changes_the_neighbours_of_its_own_postings_only() -> None:
    # What a worker relies on to know whose lists to re-rank after folding a record.
    idx = fold(NeighbourIndex(), _records_of({"S1": ["X", "Y"], "S2": ["Y", "Z"]}))
    before = {p: (idx.version_of(p), idx.neighbours(p, now_ms=5)) for p in "XYZ"}
    idx.learn_one(CoEngagement("new", 3, "Z", ("W",)))  # Z's n and row change, X's not
    assert idx.version_of("X") == before["X"][0]
    assert idx.neighbours("X", now_ms=5) == before["X"][1]
    assert idx.version_of("Z") != before["Z"][0]
    # Y's row holds Z, but sim(Y, Z) depends on Y's counts only: unchanged.
    assert idx.neighbours("Y", now_ms=5) == before["Y"][1]


def test_neighbour_scores_weigh_engagements_and_stay_in_range() -> None:
    idx = fold(NeighbourIndex(), _records_of({f"S{i}": ["X", "Y"] for i in range(3)}))
    strong = neighbour_scores(idx, {"X": 3.0}, now_ms=0)
    diluted = neighbour_scores(idx, {"X": 3.0, "Q": 3.0}, now_ms=0)  # Q has no neighbours
    assert 0 < diluted["Y"] < strong["Y"] <= 1.0
    assert neighbour_scores(None, {"X": 1.0}, now_ms=0) == {}
