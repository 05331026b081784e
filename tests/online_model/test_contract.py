"""The contract every estimator-like component honours (River's check_estimator spirit):
pickling keeps behaviour, unseen seekers and postings are handled, same seed same result.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from online_model.candidates import SeekerIndex, retrieve
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.features import FEATURES
from online_model.history import SeekerHistory
from online_model.ranker import Ranker
from online_model.recommend import rank_posting, rank_seeker, score_pair
from online_model.topk import top_k
from online_model.training import LabelJoiner, PostingStatsAccumulator, Trainer, make_example
from schemas.postings import Posting
from schemas.profiles import Profile
from tests.online_model.factories import NOW_MS, Market, make_interaction, synthetic_market


def _stream(market: Market, n: int = 300) -> list[dict[str, Any]]:
    ctx = RankContext(NOW_MS)
    out = []
    for i in range(n):
        profile = market.profiles[i % len(market.profiles)]
        posting = market.postings[(i * 7) % len(market.postings)]
        action = "apply" if i % 5 == 0 else "impression"
        interaction = make_interaction(profile.seeker_id, posting.posting_id, action, NOW_MS + i)
        out.append(make_example(interaction, profile, SeekerHistory(), posting, ctx))
    return out


def _trainer_fingerprint(make: Callable[[], Trainer], market: Market) -> Any:
    trainer = make()
    for ex in _stream(market):
        trainer.observe(ex)
    trainer.flush()
    return trainer.ranker.weights, trainer.metrics()


# -- pickling -------------------------------------------------------------------------


def _behaviour(obj: Any, market: Market) -> Any:
    """A comparable summary of what a component does on fixed inputs."""
    if isinstance(obj, Ranker):
        rows = np.linspace(0, 1, 3 * len(FEATURES)).reshape(3, -1)
        return obj.score_many(rows).tolist()
    if isinstance(obj, PostingCatalog):
        return [
            [
                str(obj.posting_ids[s])
                for s in retrieve(p, SeekerHistory(), obj, RankContext(NOW_MS))
            ]
            for p in market.profiles[:5]
        ]
    if isinstance(obj, SeekerIndex):
        return [sorted(obj.candidates_for(p)) for p in market.postings[:20]]
    if isinstance(obj, Trainer):
        obj.observe(_stream(market, 5)[-1] | {"event_id": "fresh"})
        return obj.ranker.weights
    if isinstance(obj, LabelJoiner):
        return [lab[1:] for lab in obj.flush()]
    if isinstance(obj, PostingStatsAccumulator):
        return dict(obj.freeze(now_ms=NOW_MS))
    raise TypeError(type(obj))


def _components(market: Market) -> list[Any]:
    catalog = PostingCatalog()
    for p in market.postings:
        catalog.upsert(p)
    index = SeekerIndex()
    for p in market.profiles:
        index.upsert(p)
    trainer = Trainer()
    joiner = LabelJoiner()
    stats = PostingStatsAccumulator()
    for ex in _stream(market, 100):
        trainer.observe(ex)
        joiner.observe(ex)
        stats.update(ex["posting_id"], ex["action"], ex["ts"])
    return [Ranker(), trainer.ranker, catalog, index, trainer, joiner, stats]


SMALL = synthetic_market(150, 40, seed=21)


@pytest.mark.parametrize("index", range(7))
def test_pickle_keeps_behaviour(index: int) -> None:
    component = _components(SMALL)[index]
    clone = pickle.loads(pickle.dumps(component))
    assert _behaviour(clone, SMALL) == _behaviour(component, SMALL)


def test_small_values_pickle() -> None:
    history = SeekerHistory(applied=("P1",), employer_counts=(("E1", 2),))
    assert pickle.loads(pickle.dumps(history)) == history
    lst = top_k(["P1", "P2"], ["E1", "E2"], [0.5, 0.4])
    assert pickle.loads(pickle.dumps(lst)) == lst


# -- unseen seekers and postings -------------------------------------------------------


def test_unseen_and_empty_seekers_and_postings(catalog: PostingCatalog, ranker: Ranker) -> None:
    ctx = RankContext(NOW_MS)
    empty = Profile("S-new")  # says nothing: every posting may do
    ranked = rank_seeker(empty, SeekerHistory(), catalog, ranker, ctx)
    assert 0 < len(ranked) <= 120
    # A posting of unknown codes and no location is still scored and ranked.
    odd = Posting(
        "P-odd",
        "E-odd",
        "x",
        "전혀 새로운 직무",
        NOW_MS,
        occupation_code="99Z",
        region_code="99999",
    )
    catalog.upsert(odd)
    assert 0.0 < score_pair(empty, SeekerHistory(), odd, ranker, ctx).score < 1.0
    assert rank_posting(odd, [(empty, SeekerHistory())], ranker, ctx)[0][0] == "S-new"
    # An empty catalog gives an empty list, not an error.
    assert len(rank_seeker(empty, SeekerHistory(), PostingCatalog(), ranker, ctx)) == 0


# -- determinism ----------------------------------------------------------------------


def test_same_seed_same_results() -> None:
    a, b = synthetic_market(100, 20, seed=4), synthetic_market(100, 20, seed=4)
    assert a == b and a != synthetic_market(100, 20, seed=5)
    assert _trainer_fingerprint(Trainer, a) == _trainer_fingerprint(Trainer, b)

    def sampled() -> Trainer:
        return Trainer(joiner=LabelJoiner(negative_rate=0.5, seed=9))

    assert _trainer_fingerprint(sampled, a) == _trainer_fingerprint(sampled, a)


def test_rankings_do_not_depend_on_insertion_order(market: Market, ranker: Ranker) -> None:
    forward, backward = PostingCatalog(), PostingCatalog()
    for p in market.postings:
        forward.upsert(p)
    for p in reversed(market.postings):
        backward.upsert(p)
    ctx = RankContext(NOW_MS)
    for profile in market.profiles[:20]:
        a = rank_seeker(profile, SeekerHistory(), forward, ranker, ctx)
        b = rank_seeker(profile, SeekerHistory(), backward, ranker, ctx)
        assert a.topk == b.topk
