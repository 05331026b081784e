"""Measures of the offline evaluation: list metrics and progressive-validation metrics.

Pure functions over ranked ids and relevant sets (recall, nDCG, apply rate, reciprocal
rank, the interaction-count bucket of a seeker) and over scored labelled examples
(weighted AUC and log loss). :mod:`online_model.evaluation` and
:mod:`online_model.replay` both measure with them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

# -- list metrics ------------------------------------------------------------------------


def recall_at(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    """Share of the relevant postings found in the first ``k`` of ``ranked``.

    Examples
    --------
    >>> recall_at(["P1", "P2", "P3"], {"P1", "P3", "P9"}, 2)
    0.3333333333333333
    """
    if not relevant:
        raise ValueError("recall is undefined without relevant postings")
    return sum(1 for p in ranked[:k] if p in relevant) / len(relevant)


def _dcg(hits: Iterable[bool]) -> float:
    return sum(1.0 / math.log2(i + 2) for i, hit in enumerate(hits) if hit)


def ndcg_at(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], k: int) -> float:
    """nDCG of the first ``k`` of ``ranked`` with binary gains.

    Examples
    --------
    >>> ndcg_at(["P1", "P2"], {"P1"}, 2), round(ndcg_at(["P2", "P1"], {"P1"}, 2), 4)
    (1.0, 0.6309)
    """
    if not relevant:
        raise ValueError("nDCG is undefined without relevant postings")
    ideal = _dcg([True] * min(len(relevant), k))
    return _dcg(p in relevant for p in ranked[:k]) / ideal


def apply_rate_at(ranked: Sequence[str], relevant: Mapping[str, float] | set[str], n: int) -> float:
    """Share of the first ``n`` slots holding a posting the seeker would apply to.

    Examples
    --------
    >>> apply_rate_at(["P1", "P2"], {"P1"}, 4)
    0.25
    """
    return sum(1 for p in ranked[:n] if p in relevant) / n


# -- progressive metrics -------------------------------------------------------------------


def weighted_auc(
    scores: Sequence[float], labels: Sequence[bool], weights: Sequence[float]
) -> float:
    """Exact weighted ROC AUC: P(score of a positive > score of a negative), ties half.

    Each pair of a positive and a negative counts with the product of their weights.
    NaN when there are no positives or no negatives.

    Examples
    --------
    >>> weighted_auc([0.9, 0.2, 0.5, 0.5], [True, False, True, False], [1, 1, 1, 1])
    0.875
    >>> weighted_auc([0.1, 0.9], [True, False], [2, 1])
    0.0
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.bool_)
    w = np.asarray(weights, dtype=np.float64)
    pos_total = float(w[y].sum())
    neg_total = float(w[~y].sum())
    if pos_total == 0.0 or neg_total == 0.0:
        return math.nan
    values, group = np.unique(s, return_inverse=True)
    pos = np.bincount(group, weights=np.where(y, w, 0.0), minlength=len(values))
    neg = np.bincount(group, weights=np.where(y, 0.0, w), minlength=len(values))
    below = np.cumsum(neg) - neg  # negative weight with a strictly lower score
    return float(np.sum(pos * (below + 0.5 * neg)) / (pos_total * neg_total))


def weighted_log_loss(
    probabilities: Sequence[float], labels: Sequence[bool], weights: Sequence[float]
) -> float:
    """Weighted mean log loss, probabilities clipped to [1e-15, 1 - 1e-15] as River does.

    Examples
    --------
    >>> round(weighted_log_loss([0.5, 0.9], [True, False], [1, 1]), 4)
    1.4979
    """
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-15, 1 - 1e-15)
    y = np.asarray(labels, dtype=np.bool_)
    w = np.asarray(weights, dtype=np.float64)
    if w.sum() == 0.0:
        return math.nan
    losses = -np.where(y, np.log(p), np.log1p(-p))
    return float(np.sum(w * losses) / w.sum())


# Buckets of "interactions before the checkpoint" (clicks, saves, applies and dismisses:
# what the seeker did, not what they were shown), as (name, lowest count) in order.
INTERACTION_BUCKETS: tuple[tuple[str, int], ...] = (("0", 0), ("1-4", 1), ("5+", 5))
# The actions that count as a seeker's interactions for the buckets.
ENGAGEMENTS: frozenset[str] = frozenset({"click", "save", "apply", "dismiss"})


def interaction_bucket(count: int) -> str:
    """The name of the :data:`INTERACTION_BUCKETS` bucket holding ``count``.

    Examples
    --------
    >>> [interaction_bucket(n) for n in (0, 1, 4, 5, 40)]
    ['0', '1-4', '1-4', '5+', '5+']
    """
    if count < 0:
        raise ValueError(f"an interaction count cannot be negative, got {count}")
    name = INTERACTION_BUCKETS[0][0]
    for bucket, low in INTERACTION_BUCKETS:
        if count >= low:
            name = bucket
    return name


def reciprocal_rank(ranked: Sequence[str], relevant: Mapping[str, object] | set[str]) -> float:
    """``1 / rank`` of the first relevant posting in ``ranked`` (rank from 1), 0 if none.

    Examples
    --------
    >>> reciprocal_rank(["P1", "P2", "P3"], {"P3", "P2"}), reciprocal_rank(["P1"], {"P9"})
    (0.5, 0.0)
    """
    for i, p in enumerate(ranked):
        if p in relevant:
            return 1.0 / (i + 1)
    return 0.0
