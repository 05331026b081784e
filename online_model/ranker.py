"""The online ranker: P(apply | shown) from pair features, a River pipeline.

``compose.Select(*FEATURES) | linear_model.LogisticRegression`` learns online from
labelled examples (see :mod:`online_model.training`). Before any feedback it scores with a
hand-set prior (``PRIOR_WEIGHTS``): the weights a recruiter would give — occupation first,
then title and skills, region, wage — so a new deployment already returns sensible lists.
Learning starts from these weights (a warm start), so the prior fades as evidence comes.

Scoring many candidates is vectorized (:meth:`Ranker.score_many`: one matrix-vector
product and River's clamped sigmoid), equal to :meth:`Ranker.predict_proba_one` to 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from river import compose, linear_model, optim

from online_model.features import FEATURES

FloatArray = npt.NDArray[np.float64]

# Logits per unit of each feature before any feedback. The intercept puts an unmatched
# pair near 2 % and a same-occupation, same-region, wage-meeting pair near 50 %.
PRIOR_INTERCEPT = -4.0
PRIOR_WEIGHTS: Mapping[str, float] = {
    "occ_middle": 2.0,
    "occ_group": 0.7,
    "title_sim": 1.5,
    "skill_sim": 1.0,
    "cert_match": 0.8,
    # The four soft constraints (once hard filters): strong enough that a posting breaking
    # one ranks below the same posting that keeps it, not so strong it can never be shown.
    "cert_missing": -0.5,
    "region_sigungu": 1.2,
    "region_sido": 0.6,
    "region_adjacent": 0.2,
    "region_home": 0.4,
    "region_outside": -1.5,
    "wage_meets": 0.6,
    "wage_gap": 0.5,
    "wage_unknown": 0.0,
    "wage_below": -1.0,
    "edu_match": 0.2,
    "edu_over": -0.3,
    "edu_short": -1.0,
    "career_fit": 0.4,
    "career_short": -0.8,
    "emptype_match": 0.5,
    "freshness": 0.5,
    "deadline_days": 0.0,
    "popularity": 0.5,
    "hist_occupation": 0.6,
    "hist_employer": 0.3,
    # What the seeker did says as much as what they state: an engaged-with kind of job
    # weighs about like a desired title, a dismissed one pushes down.
    "hist_tokens": 1.5,
    "hist_place": 0.8,
    "hist_wage": 0.3,
    "hist_dismiss": -1.0,
    # Co-engagement by other seekers: a strong hint when it is there at all (sim >= 0.2
    # needs several seekers in common), weighed like a desired title.
    "item_neighbour": 1.5,
}


def sigmoid(z: FloatArray) -> FloatArray:
    """River's sigmoid (``utils.math.sigmoid``), clamps included, over an array.

    Examples
    --------
    >>> sigmoid(np.array([-31.0, 0.0, 31.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-z))
    out: FloatArray = np.where(z < -30, 0.0, np.where(z > 30, 1.0, p))
    return out


class Ranker:
    """Online logistic regression over the pair features, with a hand-set prior.

    Parameters
    ----------
    learning_rate
        SGD step of the weights (constant: the market drifts, so learning never stops).
    intercept_lr
        SGD step of the intercept.
    l2
        L2 penalty pulling weights towards 0.
    prior
        Initial weights by feature name (missing features start at 0); None for none.
    prior_intercept
        Initial intercept.
    seed
        Unused by this deterministic model; kept so every component takes one.

    Examples
    --------
    >>> r = Ranker()
    >>> x = dict.fromkeys(FEATURES, 0.0) | {"occ_middle": 1.0}
    >>> round(r.predict_proba_one(x)[True], 4)
    0.1192
    >>> r.learn_one(x, True, w=3.0)
    >>> r.predict_proba_one(x)[True] > 0.1192
    True
    >>> float(r.score_many(np.array([[x[f] for f in FEATURES]]))[0]) == r.score_one(x)
    True
    """

    def __init__(
        self,
        *,
        learning_rate: float = 0.02,
        intercept_lr: float = 0.01,
        l2: float = 1e-5,
        prior: Mapping[str, float] | None = PRIOR_WEIGHTS,
        prior_intercept: float = PRIOR_INTERCEPT,
        seed: int = 0,
    ) -> None:
        self.learning_rate = learning_rate
        self.intercept_lr = intercept_lr
        self.l2 = l2
        self.prior = dict(prior) if prior is not None else None
        self.prior_intercept = prior_intercept
        self.seed = seed
        self._lr = linear_model.LogisticRegression(
            optimizer=optim.SGD(learning_rate),
            intercept_init=prior_intercept,
            intercept_lr=intercept_lr,
            l2=l2,
        )
        self._pipeline = compose.Select(*FEATURES) | self._lr
        for name, weight in (self.prior or {}).items():
            if name not in FEATURES:
                raise ValueError(f"prior names unknown feature {name!r}: use names of FEATURES")
            self._lr._weights[name] = float(weight)
        self._vector: FloatArray | None = None
        self.n_learned = 0

    # -- River interface --------------------------------------------------------------

    def learn_one(self, x: Mapping[str, float], y: bool, *, w: float = 1.0) -> None:
        """Learn from one labelled example (``y``: applied or clicked) with weight ``w``."""
        self._pipeline.learn_one(_complete(x), bool(y), w=float(w))
        self._vector = None
        self.n_learned += 1

    def predict_proba_one(self, x: Mapping[str, float]) -> dict[bool, float]:
        """``{False: 1 - p, True: p}`` with p = P(apply | shown)."""
        proba: dict[bool, float] = self._pipeline.predict_proba_one(_complete(x))
        return proba

    def predict_one(self, x: Mapping[str, float]) -> bool:
        """Whether an apply is more likely than not."""
        return self.score_one(x) > 0.5

    # -- fast paths -------------------------------------------------------------------

    def score_one(self, x: Mapping[str, float]) -> float:
        """P(apply | shown) of one feature dict, computed exactly as :meth:`score_many` does.

        Equal to :meth:`predict_proba_one` to 1e-9 (River sums in another order), and bit
        for bit equal to the same row scored among many, so incremental list updates and
        full re-ranks agree.
        """
        row = np.array([[float(x.get(f, 0.0)) for f in FEATURES]])
        return float(self.score_many(row)[0])

    @property
    def weight_vector(self) -> FloatArray:
        """The weights in ``FEATURES`` order (cached until the next learning step)."""
        if self._vector is None:
            weights = self._lr._weights
            self._vector = np.array([float(weights.get(f, 0.0)) for f in FEATURES])
        return self._vector

    @property
    def intercept(self) -> float:
        """The current intercept."""
        return float(self._lr.intercept)

    @property
    def weights(self) -> dict[str, float]:
        """The current weights by feature name."""
        return {f: float(self.weight_vector[i]) for i, f in enumerate(FEATURES)}

    def logits_many(self, x: FloatArray) -> FloatArray:
        """Logits of a feature matrix (columns in ``FEATURES`` order).

        Summed column by column in a fixed order rather than by a matrix product: BLAS
        rounds a row differently depending on where it sits in the matrix, and a posting's
        score must not depend on which other postings were scored with it.
        """
        weights = self.weight_vector
        out: FloatArray = np.zeros(len(x), dtype=np.float64)
        for j in range(len(weights)):
            if weights[j] != 0.0:
                out += weights[j] * x[:, j]
        out += self.intercept
        return out

    def score_many(self, x: FloatArray) -> FloatArray:
        """P(apply | shown) of each row of a feature matrix (columns in ``FEATURES`` order)."""
        return sigmoid(self.logits_many(x))

    def contributions(self, x: Mapping[str, float]) -> dict[str, float]:
        """Each feature's weight x value: its share of the logit."""
        vec = self.weight_vector
        return {f: float(vec[i] * x.get(f, 0.0)) for i, f in enumerate(FEATURES)}

    # -- state --------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this ranker is (JSON-able)."""
        return {
            "params": {
                "learning_rate": self.learning_rate,
                "intercept_lr": self.intercept_lr,
                "l2": self.l2,
                "prior": self.prior,
                "prior_intercept": self.prior_intercept,
                "seed": self.seed,
            },
            "weights": {str(k): float(v) for k, v in self._lr._weights.items()},
            "intercept": float(self._lr.intercept),
            "optimizer_iterations": int(self._lr.optimizer.n_iterations),
            "n_learned": self.n_learned,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Ranker:
        """The ranker that :meth:`get_state` described, scores identical."""
        ranker = cls(**state["params"])
        lr = ranker._lr
        for name in list(lr._weights.keys()):
            del lr._weights[name]
        for name, weight in state["weights"].items():
            lr._weights[name] = float(weight)
        lr.intercept = float(state["intercept"])
        lr.optimizer.n_iterations = int(state["optimizer_iterations"])
        ranker.n_learned = int(state["n_learned"])
        return ranker

    def __getstate__(self) -> dict[str, Any]:
        return self.get_state()

    def __setstate__(self, state: dict[str, Any]) -> None:
        restored = Ranker.from_state(state)
        self.__dict__.update(restored.__dict__)

    def __repr__(self) -> str:
        return f"Ranker(learned={self.n_learned}, intercept={self.intercept:.3f})"


def _complete(x: Mapping[str, float]) -> dict[str, float]:
    # A missing feature counts as 0 (an older example, a partial dict); extra keys go.
    return {f: x.get(f, 0.0) for f in FEATURES}


def logistic(z: float) -> float:
    """River's scalar sigmoid (for reference in tests and docs).

    Examples
    --------
    >>> logistic(0.0)
    0.5
    """
    if z < -30:
        return 0.0
    if z > 30:
        return 1.0
    return 1.0 / (1.0 + math.exp(-z))
