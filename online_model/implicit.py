"""The implicit profile: what a seeker's own engagements say they want.

Derived at rank time from the engagements in :class:`~online_model.history.SeekerHistory`
(posting id, action, ts) and the postings behind them, looked up where the caller keeps
postings (the worker: every posting it has seen, open or closed, so a closed posting one
clicked still counts; an evaluation: the catalog, where closed ones drop out). An engaged
posting not known (yet) is left out; the next ranking after it arrives includes it.

Each engaged posting counts once, with the weight of its strongest engagement:
``ACTION_WEIGHTS`` (apply and hire 3, save 2, click 1) times a recency decay that halves
every ``HALF_LIFE_MS`` (14 days) before ``now_ms``. Dismissed postings make the negative
side (token weights only). From these weights:

* ``tokens``: per title/skill token, the share of the positive weight whose posting has it
  (at most ``MAX_TOKENS``, the heaviest); ``token_mass`` is their sum, the weighted mean
  number of kept tokens per engaged posting, so a posting holding them all scores 1;
* ``occupations``, ``sigungu``, ``sido``: weight relative to the heaviest one (the
  seeker's main occupation and place score 1, as a stated one would; a second one half as
  engaged with scores 0.5);
* ``employers``: shares of the positive weight (a seeker returning to one employer is a
  stronger hint than one posting of it among many);
* ``wage``: the weighted mean best monthly wage of engaged postings that state one;
* ``neighbours``: per posting, the neighbour score against the engaged postings
  (:func:`online_model.neighbours.neighbour_scores`: what seekers who engaged with the same
  postings also engaged with), when a :class:`~online_model.neighbours.NeighbourIndex` is
  given. It counts every positively engaged posting, known here or not: the index knows
  postings by id.

It complements the stated profile (features ``hist_*``, behaviour retrieval) and replaces
it where the stated one is empty: a seeker who states nothing still gets candidates and
features from what they did.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from online_model.catalog import PostingCatalog, best_monthly_wage, posting_text_tokens
from online_model.context import (
    DAY_MS,
    PRIOR_APPLIES,
    PRIOR_IMPRESSIONS,
    RankContext,
    decay_factor,
)
from online_model.history import SeekerHistory
from online_model.neighbours import NeighbourIndex, neighbour_scores
from online_model.regions import posting_region
from online_model.text import DEFAULT_TOKENIZER, Tokenizer
from schemas.postings import Posting

ACTION_WEIGHTS: Mapping[str, float] = {"click": 1.0, "save": 2.0, "apply": 3.0, "hire": 3.0}
NEGATIVE_ACTIONS = frozenset({"dismiss"})
HALF_LIFE_MS = 14 * DAY_MS
MAX_TOKENS = 40
# Retrieval score of behaviour candidates: tokens and occupation say "what", employer and
# 시군구 are weaker hints (a place alone must not crowd out profile candidates).
RETRIEVAL_WEIGHTS: Mapping[str, float] = {
    "tokens": 2.0,
    "occupation": 2.0,
    "employer": 1.0,
    "sigungu": 0.5,
    "neighbour": 4.0,
}

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Lookup = Callable[[str], Posting | None]


@dataclass(frozen=True, slots=True)
class ImplicitProfile:
    """Preferences derived from engagements (see the module docstring).

    Examples
    --------
    >>> EMPTY_IMPLICIT.empty, EMPTY_IMPLICIT.token_score(frozenset({"지게"}))
    (True, 0.0)
    """

    tokens: Mapping[str, float] = field(default_factory=dict)
    token_mass: float = 0.0
    occupations: Mapping[str, float] = field(default_factory=dict)
    employers: Mapping[str, float] = field(default_factory=dict)
    sigungu: Mapping[str, float] = field(default_factory=dict)
    sido: Mapping[str, float] = field(default_factory=dict)
    wage: float | None = None
    dismissed_tokens: Mapping[str, float] = field(default_factory=dict)
    dismissed_mass: float = 0.0
    engaged: frozenset[str] = frozenset()
    neighbours: Mapping[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No known engaged or dismissed posting, and no neighbour."""
        return not self.engaged and not self.dismissed_tokens and not self.neighbours

    @property
    def positive(self) -> bool:
        """At least one known positive engagement (or a neighbour of one)."""
        return (
            self.token_mass > 0.0
            or bool(self.occupations)
            or bool(self.employers)
            or bool(self.neighbours)
        )

    def neighbour_score(self, posting_id: str) -> float:
        """The neighbour score of a posting in [0, 1] (0 when not a neighbour)."""
        return self.neighbours.get(posting_id, 0.0)

    def token_score(self, tokens: Iterable[str]) -> float:
        """Similarity in [0, 1] of a posting's tokens to the engaged postings'."""
        return _share(self.tokens, self.token_mass, tokens)

    def dismiss_score(self, tokens: Iterable[str]) -> float:
        """Similarity in [0, 1] of a posting's tokens to the dismissed postings'."""
        return _share(self.dismissed_tokens, self.dismissed_mass, tokens)

    def place_score(self, sigungu: str | None, sido: str | None) -> float:
        """Relative weight of this 시군구, or half that of this 시도."""
        a = self.sigungu.get(sigungu, 0.0) if sigungu else 0.0
        b = 0.5 * self.sido.get(sido, 0.0) if sido else 0.0
        return max(a, b)


EMPTY_IMPLICIT = ImplicitProfile()


def _share(weights: Mapping[str, float], mass: float, tokens: Iterable[str]) -> float:
    if mass <= 0.0:
        return 0.0
    return min(1.0, sum(weights.get(t, 0.0) for t in tokens) / mass)


# Postings are immutable values; a hit saves re-tokenizing an engaged posting per ranking.
@lru_cache(maxsize=65536)
def _tokens(posting: Posting, tokenizer: Tokenizer) -> frozenset[str]:
    return posting_text_tokens(posting, tokenizer)


def _shares(weights: Mapping[str, float], total: float) -> dict[str, float]:
    return {k: w / total for k, w in sorted(weights.items())}


def _relative(weights: Mapping[str, float]) -> dict[str, float]:
    top = max(weights.values(), default=0.0)
    return {k: w / top for k, w in sorted(weights.items())} if top > 0 else {}


def _top_tokens(
    per_posting: list[tuple[float, frozenset[str]]],
) -> tuple[dict[str, float], float]:
    total = sum(w for w, _ in per_posting)
    if total <= 0.0:
        return {}, 0.0
    acc: dict[str, float] = {}
    for w, tokens in per_posting:
        for t in tokens:
            acc[t] = acc.get(t, 0.0) + w
    # Heaviest first, ties by token: the same engagements give the same profile everywhere.
    kept = sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TOKENS]
    shares = {t: w / total for t, w in kept}
    return shares, sum(shares.values())


def implicit_profile(
    engagements: Iterable[tuple[str, str, int]],
    lookup: Lookup,
    *,
    now_ms: int,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    neighbours: NeighbourIndex | None = None,
) -> ImplicitProfile:
    """The implicit profile of ``engagements`` (posting id, action, ts) at ``now_ms``.

    Parameters
    ----------
    engagements
        As :attr:`SeekerHistory.engagements` holds them.
    lookup
        Posting id to the posting (None when unknown: left out).
    now_ms
        The ranking time (``RankContext.now_ms``); recency decays towards it.
    tokenizer
        The catalog's tokenizer.
    neighbours
        The shared item-to-item index; None: no neighbour scores.

    Examples
    --------
    >>> from schemas.postings import Posting, Wage
    >>> ps = {"P1": Posting("P1", "E1", "x", "지게차 운전", 0, occupation_code="07C",
    ...                     region_code="41590", wage=Wage("monthly", 3_000_000)),
    ...       "P2": Posting("P2", "E2", "x", "간호사", 0, occupation_code="041")}
    >>> ip = implicit_profile([("P1", "apply", 0), ("P2", "click", 0), ("P9", "click", 0)],
    ...                       ps.get, now_ms=0)
    >>> {k: round(v, 3) for k, v in ip.occupations.items()}, ip.employers
    ({'041': 0.333, '07C': 1.0}, {'E1': 0.75, 'E2': 0.25})
    >>> round(ip.token_score(frozenset({"지게", "게차", "운전"})), 3), ip.wage
    (0.818, 3000000.0)
    >>> ip.place_score("41590", "41"), sorted(ip.engaged)
    (1.0, ['P1', 'P2'])
    >>> old = implicit_profile([("P1", "click", 0), ("P2", "click", HALF_LIFE_MS)],
    ...                        ps.get, now_ms=HALF_LIFE_MS)
    >>> old.occupations  # the recent click weighs twice the old one
    {'041': 1.0, '07C': 0.5}
    """
    best: dict[str, float] = {}
    negative: dict[str, float] = {}
    for pid, action, ts in engagements:
        recency = decay_factor(now_ms - ts, HALF_LIFE_MS)
        if action in NEGATIVE_ACTIONS:
            negative[pid] = max(negative.get(pid, 0.0), recency)
            continue
        w = ACTION_WEIGHTS.get(action, 0.0) * recency
        if w > 0.0:
            best[pid] = max(best.get(pid, 0.0), w)
    positive: list[tuple[float, frozenset[str]]] = []
    occupations: dict[str, float] = {}
    employers: dict[str, float] = {}
    sigungu: dict[str, float] = {}
    sido: dict[str, float] = {}
    wage_sum = wage_weight = 0.0
    engaged: set[str] = set()
    for pid in sorted(best):
        posting = lookup(pid)
        if posting is None:
            continue
        w = best[pid]
        engaged.add(pid)
        positive.append((w, _tokens(posting, tokenizer)))
        if posting.occupation_code:
            occupations[posting.occupation_code] = occupations.get(posting.occupation_code, 0) + w
        employers[posting.employer_id] = employers.get(posting.employer_id, 0.0) + w
        gu, do = posting_region(posting)
        if gu:
            sigungu[gu] = sigungu.get(gu, 0.0) + w
        if do:
            sido[do] = sido.get(do, 0.0) + w
        offered = best_monthly_wage(posting)
        if offered is not None:
            wage_sum += w * offered
            wage_weight += w
    dismissed: list[tuple[float, frozenset[str]]] = []
    for pid in sorted(negative):
        posting = lookup(pid)
        if posting is not None:
            dismissed.append((negative[pid], _tokens(posting, tokenizer)))
    total = sum(w for w, _ in positive)
    tokens, mass = _top_tokens(positive)
    d_tokens, d_mass = _top_tokens(dismissed)
    near = neighbour_scores(neighbours, best, now_ms=now_ms)
    if total <= 0.0 and not d_tokens and not near:
        return EMPTY_IMPLICIT
    return ImplicitProfile(
        tokens=tokens,
        token_mass=mass,
        occupations=_relative(occupations),
        employers=_shares(employers, total) if total > 0 else {},
        sigungu=_relative(sigungu),
        sido=_relative(sido),
        wage=wage_sum / wage_weight if wage_weight > 0 else None,
        dismissed_tokens=d_tokens,
        dismissed_mass=d_mass,
        engaged=frozenset(engaged),
        neighbours=near,
    )


# -- over the catalog (vectorized) -------------------------------------------------------


def token_scores(catalog: PostingCatalog, weights: Mapping[str, float], mass: float) -> FloatArray:
    """Per catalog slot, :meth:`ImplicitProfile.token_score` (or ``dismiss_score``)."""
    out = np.zeros(catalog.size, dtype=np.float64)
    if mass <= 0.0:
        return out
    for token, w in weights.items():
        code = catalog.tokens.get(token)
        if code >= 0:
            # Each posting list holds a slot at most once, so fancy-index += is exact.
            out[catalog.by_token[code].view()] += w
    return np.minimum(1.0, out / mass)


def code_shares(column: npt.NDArray[np.int32], codes: Mapping[int, float]) -> FloatArray:
    """Per entry of an int code column, the share its code has in ``codes`` (else 0)."""
    out = np.zeros(len(column), dtype=np.float64)
    for code, share in codes.items():
        if code >= 0:
            out[column == code] = share
    return out


def neighbour_column(catalog: PostingCatalog, scores: Mapping[str, float]) -> FloatArray:
    """Per catalog slot, the neighbour score (:meth:`ImplicitProfile.neighbour_score`).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "x", 0))
    >>> cat.upsert(Posting("P2", "E2", "x", "x", 0))
    >>> neighbour_column(cat, {"P2": 0.5, "P9": 1.0}).tolist()  # P9 is not open
    [0.0, 0.5]
    """
    out = np.zeros(catalog.size, dtype=np.float64)
    for pid, score in scores.items():
        slot = catalog.slot_of(pid)
        if slot is not None and slot >= 0:
            out[slot] = score
    return out


def behaviour_scores(implicit: ImplicitProfile, catalog: PostingCatalog) -> FloatArray | None:
    """Retrieval score of every catalog slot from what the seeker engaged with.

    Positive where a posting shares tokens, occupation, employer or 시군구 with engaged
    postings, or is a neighbour of one (weighted by ``RETRIEVAL_WEIGHTS``; the shares carry
    action and recency). None when there is no positive engagement.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차 운전", 0, occupation_code="07C"))
    >>> cat.upsert(Posting("P2", "E2", "x", "지게차 기사", 0))
    >>> cat.upsert(Posting("P3", "E3", "x", "간호사", 0, occupation_code="041"))
    >>> ip = implicit_profile([("P1", "click", 0)], cat.get, now_ms=0)
    >>> [round(float(s), 2) for s in behaviour_scores(ip, cat)]
    [5.0, 1.33, 0.0]
    """
    if not implicit.positive:
        return None
    rw = RETRIEVAL_WEIGHTS
    score = rw["tokens"] * token_scores(catalog, implicit.tokens, implicit.token_mass)
    size = catalog.size
    occ = {catalog.occupations.get(c): s for c, s in implicit.occupations.items()}
    score += rw["occupation"] * code_shares(catalog.occupation[:size], occ)
    emp = {catalog.employers.get(e): s for e, s in implicit.employers.items()}
    score += rw["employer"] * code_shares(catalog.employer[:size], emp)
    gu = {int(g): s for g, s in implicit.sigungu.items()}
    score += rw["sigungu"] * code_shares(catalog.sigungu[:size], gu)
    if implicit.neighbours:
        score += rw["neighbour"] * neighbour_column(catalog, implicit.neighbours)
    return score


def behaviour_retrieves(
    implicit: ImplicitProfile, posting: Posting, tokenizer: Tokenizer = DEFAULT_TOKENIZER
) -> bool:
    """Whether :func:`behaviour_scores` is above 0 for ``posting``, without scoring the
    whole catalog. A fan-out asks it of each seeker :func:`behaviour_keys` found: the keys
    are a superset (every token of the engaged postings, where the profile keeps the
    heaviest ``MAX_TOKENS``), and a posting their ranking would not retrieve must not
    enter their list.

    >>> from schemas.postings import Posting
    >>> p1 = Posting("P1", "E1", "x", "지게차 운전", 0, occupation_code="07C")
    >>> ip = implicit_profile([("P1", "click", 0)], {"P1": p1}.get, now_ms=0)
    >>> behaviour_retrieves(ip, Posting("P2", "E2", "x", "지게차 기사", 0))
    True
    >>> behaviour_retrieves(ip, Posting("P3", "E3", "x", "간호사", 0, occupation_code="041"))
    False
    """
    if not implicit.positive:
        return False
    if implicit.neighbours.get(posting.posting_id, 0.0) > 0.0:
        return True
    if implicit.token_mass > 0.0:
        shares = implicit.tokens
        if any(shares.get(t, 0.0) > 0.0 for t in _tokens(posting, tokenizer)):
            return True
    occupation = posting.occupation_code
    if occupation and implicit.occupations.get(occupation, 0.0) > 0.0:
        return True
    if implicit.employers.get(posting.employer_id, 0.0) > 0.0:
        return True
    gu, _ = posting_region(posting)
    # As behaviour_scores compares them: the catalog's int code of the 시군구.
    return gu is not None and any(
        int(g) == int(gu) and s > 0.0 for g, s in implicit.sigungu.items()
    )


def behaviour_keys(
    engagements: Iterable[tuple[str, str, int]],
    lookup: Lookup,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> frozenset[str]:
    """Keys under which a seeker index lists a seeker for :func:`behaviour_scores`.

    Every token, occupation, employer and 시군구 of the known postings a seeker engaged
    with positively: a posting sharing none of them (:func:`posting_behaviour_keys`) has a
    behaviour score of 0 except as a neighbour (a new posting has no neighbours; a folded
    co-engagement re-ranks the seekers it concerns, :meth:`LiveEngine.learn_neighbours`).
    Weights and recency do not matter here: any share above 0 retrieves.

    >>> from schemas.postings import Posting
    >>> p = {"P1": Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C",
    ...                    region_code="41590")}
    >>> sorted(behaviour_keys([("P1", "click", 0), ("P9", "apply", 0)], p.get))
    ['e:E1', 'gu:41590', 'o:07C', 't:게차', 't:지게']
    >>> behaviour_keys([("P1", "dismiss", 0)], p.get)
    frozenset()
    """
    keys: set[str] = set()
    for pid, action, _ in engagements:
        if action in NEGATIVE_ACTIONS or ACTION_WEIGHTS.get(action, 0.0) <= 0.0:
            continue
        posting = lookup(pid)
        if posting is not None:
            keys |= posting_behaviour_keys(posting, tokenizer)
    return frozenset(keys)


def posting_behaviour_keys(posting: Posting, tokenizer: Tokenizer = DEFAULT_TOKENIZER) -> set[str]:
    """The keys of :func:`behaviour_keys` that ``posting`` has (interned: every seeker
    index entry shares one string per key)."""
    keys = [f"t:{t}" for t in _tokens(posting, tokenizer)]
    if posting.occupation_code:
        keys.append(f"o:{posting.occupation_code}")
    keys.append(f"e:{posting.employer_id}")
    gu, _ = posting_region(posting)
    if gu:
        keys.append(f"gu:{gu}")
    return {sys.intern(k) for k in keys}


def catalog_implicit(
    engagements: Iterable[tuple[str, str, int]],
    catalog: PostingCatalog,
    *,
    now_ms: int,
    neighbours: NeighbourIndex | None = None,
) -> ImplicitProfile:
    """The implicit profile from the open postings of ``catalog`` (closed ones drop out)."""
    return implicit_profile(
        engagements,
        catalog.get,
        now_ms=now_ms,
        tokenizer=catalog.tokenizer,
        neighbours=neighbours,
    )


def popularity_scores(catalog: PostingCatalog, ctx: RankContext) -> FloatArray:
    """Per catalog slot, the decayed, smoothed apply rate at ``ctx``, uncapped.

    The rate behind ``context.popularity_from`` (the feature caps 5x it at 1, which ties
    the most popular postings; ordering a cold start's candidates must not). The catalog's
    statistics must be synced to ``ctx.stats``.
    """
    size = catalog.size
    age = np.maximum(float(ctx.now_ms) - catalog.stats_updated[:size], 0.0)
    factor = np.exp2(-age / ctx.stats.half_life_ms)
    rate: FloatArray = (catalog.applies[:size] * factor + PRIOR_APPLIES) / (
        catalog.impressions[:size] * factor + PRIOR_IMPRESSIONS
    )
    return rate


def behaviour_candidates(
    history: SeekerHistory,
    implicit: ImplicitProfile | None,
    catalog: PostingCatalog,
    ctx: RankContext,
    score: FloatArray,
    cand: IntArray,
) -> tuple[FloatArray, IntArray]:
    """Profile-based retrieval (``score`` per slot, ``cand`` slots) merged with behaviour.

    Postings with a positive :func:`behaviour_scores` join the candidates and the two
    scores add up (the retrieval score decides which candidates survive the cap). A cold
    start is not handled here (:func:`online_model.candidates.is_cold_start`).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차 운전", 0))
    >>> cat.upsert(Posting("P2", "E2", "x", "간호사", 0))
    >>> h = SeekerHistory(engagements=(("P1", "click", 0),))
    >>> ctx = RankContext(now_ms=0)
    >>> s, c = behaviour_candidates(h, None, cat, ctx, np.zeros(2), np.array([], np.int32))
    >>> c.tolist(), s.tolist()
    ([0], [3.0, 0.0])
    """
    ip = implicit
    if ip is None:
        ip = catalog_implicit(history.engagements, catalog, now_ms=ctx.now_ms)
    extra = behaviour_scores(ip, catalog)
    if extra is None:
        return score, cand
    alive = catalog.alive[: catalog.size]
    merged = np.union1d(cand, np.flatnonzero((extra > 0) & alive)).astype(np.int32)
    return score + extra, merged
