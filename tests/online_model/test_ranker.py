"""Ranker: vectorized scores equal River's, online learning converges, learning moves lists."""

from __future__ import annotations

import random

import numpy as np

from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.features import FEATURE_INDEX, FEATURES
from online_model.history import SeekerHistory
from online_model.ranker import Ranker
from online_model.recommend import rank_seeker
from online_model.training import Trainer, make_example
from tests.online_model.factories import NOW_MS, Market, make_interaction


def _random_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=(n, len(FEATURES))) * rng.choice([1.0, 40.0], size=(n, 1))


def test_vectorized_scores_equal_predict_proba_one() -> None:
    rng = np.random.default_rng(0)
    ranker = Ranker()
    for _ in range(300):  # move the weights away from the prior first
        x = dict(zip(FEATURES, rng.uniform(0, 1, len(FEATURES)).tolist(), strict=True))
        ranker.learn_one(x, bool(rng.random() < 0.3), w=float(rng.choice([0.5, 1.0, 3.0])))
    # Rows scaled x40 push logits past River's +-30 clamp, which must be reproduced.
    rows = _random_rows(rng, 500)
    batch = ranker.score_many(rows)
    one = [
        ranker.predict_proba_one(dict(zip(FEATURES, r.tolist(), strict=True)))[True] for r in rows
    ]
    np.testing.assert_allclose(batch, one, rtol=0, atol=1e-9)
    assert np.any(batch == 0.0) and np.any(batch == 1.0)


def _batch_logistic_fit(x: np.ndarray, y: np.ndarray, iterations: int = 25) -> np.ndarray:
    # Newton-Raphson (IRLS) on [1, x]: the exact maximum-likelihood fit.
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-design @ beta))
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(len(beta))
        beta += np.linalg.solve(hessian, design.T @ (y - p))
    return beta


def test_online_learning_converges_to_the_batch_fit() -> None:
    rng = np.random.default_rng(1)
    n = 8000
    x = rng.uniform(0, 1, size=(n, len(FEATURES)))
    true_w = rng.normal(0, 1.0, size=len(FEATURES))
    y = rng.random(n) < 1 / (1 + np.exp(-(x @ true_w - 1.0)))
    beta = _batch_logistic_fit(x, y.astype(float))
    # A small constant step and a few passes: SGD noise shrinks with the step size, but
    # too small a step has not converged in 8 passes once there are ~26 features.
    ranker = Ranker(prior=None, prior_intercept=0.0, l2=0.0, learning_rate=0.01, intercept_lr=0.01)
    for _ in range(8):
        for row, label in zip(x, y, strict=True):
            ranker.learn_one(dict(zip(FEATURES, row.tolist(), strict=True)), bool(label))
    online = ranker.score_many(x)
    batch = 1 / (1 + np.exp(-(beta[0] + x @ beta[1:])))
    # Same predictions up to SGD noise, and far closer to the batch fit than the start was.
    assert np.mean(np.abs(online - batch)) < 0.03
    assert np.corrcoef(online, batch)[0, 1] > 0.99
    assert np.mean(np.abs(0.5 - batch)) > 0.1


def test_prior_prefers_the_wanted_occupation_and_region() -> None:
    ranker = Ranker()
    base = dict.fromkeys(FEATURES, 0.0)
    good = base | {"occ_middle": 1.0, "region_sigungu": 1.0, "wage_meets": 1.0}
    other = base | {"occ_group": 1.0, "region_adjacent": 1.0}
    assert ranker.score_one(good) > 0.3 > 0.05 > ranker.score_one(other)


def _top_deadline(ranker: Ranker, market: Market, catalog: PostingCatalog) -> float:
    ctx = RankContext(NOW_MS)
    col = FEATURE_INDEX["deadline_days"]
    values = []
    for profile in market.profiles[:40]:
        ranked = rank_seeker(profile, SeekerHistory(), catalog, ranker, ctx, k=10)
        values += [ranked._rows[pid][col] for pid in ranked.ids()]
    return float(np.mean(values))


def test_learning_changes_rankings(market: Market, catalog: PostingCatalog) -> None:
    # The prior gives `deadline_days` no weight. Seekers here apply only to postings with
    # a far deadline; after learning, such postings must rise in the lists.
    rng = random.Random(5)
    ctx = RankContext(NOW_MS)
    trainer = Trainer()
    before = _top_deadline(trainer.ranker, market, catalog)
    for i in range(2500):
        profile = rng.choice(market.profiles)
        posting = rng.choice(market.postings)
        ts = NOW_MS + i * 1000
        shown = make_interaction(profile.seeker_id, posting.posting_id, "impression", ts)
        trainer.observe(make_example(shown, profile, SeekerHistory(), posting, ctx))
        example = make_example(shown, profile, SeekerHistory(), posting, ctx)
        if example["features"]["deadline_days"] >= 0.8 and rng.random() < 0.5:
            applied = make_interaction(profile.seeker_id, posting.posting_id, "apply", ts + 500)
            trainer.observe(make_example(applied, profile, SeekerHistory(), posting, ctx))
    trainer.flush()
    assert trainer.ranker.weights["deadline_days"] > 0.5
    after = _top_deadline(trainer.ranker, market, catalog)
    assert after > before + 0.05, (before, after)
