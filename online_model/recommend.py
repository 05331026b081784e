"""The API the streaming workers call: rank a seeker, score a pair, rank a posting's seekers.

All functions are pure apart from two caches the caller owns: the catalog copies the
context's statistics into its columns on first use (:meth:`PostingCatalog.sync_stats`), and
a :class:`~online_model.candidates.FilterStats` passed in is incremented.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from online_model.candidates import (
    MAX_CANDIDATES,
    FilterStats,
    filter_reason,
    retrieve,
)
from online_model.catalog import PostingCatalog
from online_model.context import LOW_EXPOSURE_IMPRESSIONS, RankContext
from online_model.explain import caveats_of, explain_row, reasons_from_contributions
from online_model.features import FEATURES, feature_matrix, pair_features
from online_model.history import SeekerHistory
from online_model.implicit import EMPTY_IMPLICIT, ImplicitProfile, catalog_implicit
from online_model.ranker import Ranker
from online_model.text import DEFAULT_TOKENIZER, Tokenizer
from online_model.topk import MAX_PER_EMPLOYER, N_EXPLORE, K, TopKItem, TopKList, top_k
from schemas.postings import Posting
from schemas.profiles import Profile

POSTING_LIST_SIZE = 100


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One entry of a seeker's list."""

    posting_id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(slots=True, eq=False)
class RankedList:
    """A seeker's ranked list, with reasons computed on demand.

    ``topk`` is the compact list the worker keeps for incremental updates; ``candidates``
    is how many postings were scored.
    """

    seeker_id: str
    topk: TopKList
    candidates: int
    _rows: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict, repr=False)
    _weights: npt.NDArray[np.float64] = field(
        default_factory=lambda: np.zeros(len(FEATURES)), repr=False
    )

    def __len__(self) -> int:
        return len(self.topk)

    def ids(self) -> list[str]:
        """Posting ids, best first."""
        return self.topk.ids()

    def reasons(self, posting_id: str) -> list[str]:
        """Short Korean reasons for one posting of the list (empty if not in it)."""
        row = self._rows.get(posting_id)
        return [] if row is None else explain_row(row, self._weights)

    @property
    def items(self) -> list[RankedItem]:
        """Every entry, best first, reasons included."""
        return [
            RankedItem(item.posting_id, item.score, tuple(self.reasons(item.posting_id)))
            for item in self.topk.items()
        ]


def rank_seeker(
    profile: Profile,
    history: SeekerHistory,
    catalog: PostingCatalog,
    model: Ranker,
    ctx: RankContext,
    *,
    k: int = K,
    max_per_employer: int = MAX_PER_EMPLOYER,
    n_explore: int = N_EXPLORE,
    max_candidates: int = MAX_CANDIDATES,
    filter_stats: FilterStats | None = None,
    implicit: ImplicitProfile | None = None,
    reserve: int = 0,
) -> RankedList:
    """Retrieve, filter, score and cut a seeker's list from the whole catalog.

    Parameters
    ----------
    profile, history
        The seeker.
    catalog
        The open postings.
    model
        The ranker of the current snapshot.
    ctx
        Time and per-posting statistics of the current snapshot.
    k, max_per_employer, n_explore, reserve
        List length, diversity cap, exploration slots, next-best candidates kept beside
        the list (see :mod:`online_model.topk`).
    max_candidates
        Retrieval keeps at most this many candidates.
    filter_stats
        Hard-filter vetoes are counted here when given.
    implicit
        The seeker's implicit profile (retrieval and features); None derives it from the
        catalog's open postings.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> cat = PostingCatalog()
    >>> for i, occ in enumerate(["07C", "07C", "041"]):
    ...     cat.upsert(Posting(f"P{i}", f"E{i}", "x", "지게차 운전", 0, occupation_code=occ))
    >>> ranked = rank_seeker(Profile("S1", desired_occupation_codes=("07C",)), SeekerHistory(),
    ...                      cat, Ranker(), RankContext(now_ms=0))
    >>> ranked.ids()[:2], ranked.items[0].reasons[0]
    (['P0', 'P1'], '희망 직종 일치')
    """
    catalog.sync_stats(ctx.stats)
    if implicit is None:
        implicit = catalog_implicit(history.engagements, catalog, now_ms=ctx.now_ms)
    slots = retrieve(
        profile,
        history,
        catalog,
        ctx,
        max_candidates=max_candidates,
        filter_stats=filter_stats,
        implicit=implicit,
    )
    x = feature_matrix(profile, history, catalog, slots, ctx, implicit=implicit)
    scores = model.score_many(x)
    low = _low_exposure(catalog, slots, ctx)
    lst = top_k(
        catalog.posting_ids[slots],
        catalog.employer_ids[slots],
        scores,
        low,
        k=k,
        max_per_employer=max_per_employer,
        n_explore=n_explore,
        reserve=reserve,
    )
    chosen = set(lst.ids())
    rows = {
        str(pid): x[i] for i, pid in enumerate(catalog.posting_ids[slots].tolist()) if pid in chosen
    }
    return RankedList(profile.seeker_id, lst, len(slots), rows, model.weight_vector.copy())


def _low_exposure(
    catalog: PostingCatalog, slots: npt.NDArray[np.int32], ctx: RankContext
) -> npt.NDArray[np.bool_]:
    age = np.maximum(float(ctx.now_ms) - catalog.stats_updated[slots], 0.0)
    shown = catalog.impressions[slots] * np.exp2(-age / ctx.stats.half_life_ms)
    out: npt.NDArray[np.bool_] = shown < LOW_EXPOSURE_IMPRESSIONS
    return out


@dataclass(frozen=True, slots=True)
class PairScore:
    """The score of one pair, its reasons, and the hard filter that vetoes it (if any)."""

    score: float
    reasons: tuple[str, ...]
    veto: str | None


def score_pair(
    profile: Profile,
    history: SeekerHistory,
    posting: Posting,
    model: Ranker,
    ctx: RankContext,
    *,
    is_open: bool = True,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    filter_stats: FilterStats | None = None,
    implicit: ImplicitProfile = EMPTY_IMPLICIT,
) -> PairScore:
    """Score one (seeker, posting) pair with the same features, model and filters.

    A vetoed pair still gets its score (for analysis); ``veto`` names the filter and the
    veto is counted in ``filter_stats``.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> ps = score_pair(Profile("S1", desired_occupation_codes=("07C",)), SeekerHistory(),
    ...                 Posting("P1", "E1", "x", "x", 0, occupation_code="07C"), Ranker(),
    ...                 RankContext(now_ms=0))
    >>> ps.veto, ps.reasons[0], 0 < ps.score < 1
    (None, '희망 직종 일치', True)
    """
    x = pair_features(profile, history, posting, ctx, tokenizer=tokenizer, implicit=implicit)
    veto = filter_reason(
        profile,
        history,
        posting,
        ctx,
        is_open=is_open,
        tokenizer=tokenizer,
    )
    if veto is not None and filter_stats is not None:
        filter_stats.add(veto)
    reasons = reasons_from_contributions(model.contributions(x)) + caveats_of(x)
    return PairScore(model.score_one(x), tuple(reasons), veto)


def topk_item(posting: Posting, score: float, ctx: RankContext) -> TopKItem:
    """The :class:`~online_model.topk.TopKItem` of a scored posting, for :func:`topk.insert`."""
    low = ctx.stats.is_low_exposure(posting.posting_id, now_ms=ctx.now_ms)
    return TopKItem(posting.posting_id, posting.employer_id, float(score), low)


def score_seekers_for_posting(
    posting: Posting,
    seekers: Sequence[tuple[Profile, SeekerHistory]],
    model: Ranker,
    ctx: RankContext,
    *,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    filter_stats: FilterStats | None = None,
    implicits: Sequence[ImplicitProfile] | None = None,
) -> npt.NDArray[np.float64]:
    """P(apply | shown) of ``posting`` for each seeker; NaN where a hard filter vetoes.

    ``implicits`` (one per seeker, as :func:`rank_seeker` got them) feed the ``hist_*``
    features; None: no implicit profiles.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> p = Posting("P1", "E1", "x", "x", 0, occupation_code="07C", education_min="05")
    >>> s = score_seekers_for_posting(
    ...     p, [(Profile("S1", education_level="05"), SeekerHistory()),
    ...         (Profile("S2", education_level="03"), SeekerHistory()),
    ...         (Profile("S3"), SeekerHistory(applied=("P1",)))], Ranker(),
    ...     RankContext(now_ms=0))
    >>> bool(s[1] < s[0]), bool(np.isnan(s[2]))  # too little education ranks down; applied
    (True, True)
    """
    n = len(seekers)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    vetoed = np.zeros(n, dtype=np.bool_)
    for i, (profile, history) in enumerate(seekers):
        veto = filter_reason(
            profile,
            history,
            posting,
            ctx,
            tokenizer=tokenizer,
        )
        if veto is not None:
            vetoed[i] = True
            if filter_stats is not None:
                filter_stats.add(veto)
            continue
        implicit = implicits[i] if implicits is not None else EMPTY_IMPLICIT
        feats = pair_features(
            profile, history, posting, ctx, tokenizer=tokenizer, implicit=implicit
        )
        x[i] = [feats[f] for f in FEATURES]
    scores = model.score_many(x)
    scores[vetoed] = np.nan
    return scores


def rank_posting(
    posting: Posting,
    seekers: Sequence[tuple[Profile, SeekerHistory]],
    model: Ranker,
    ctx: RankContext,
    *,
    k: int = POSTING_LIST_SIZE,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    filter_stats: FilterStats | None = None,
) -> list[tuple[str, float]]:
    """The employer's view: the ``k`` best seekers for a posting, by the same pair score.

    Vetoed seekers are left out; ties are broken by seeker id.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> p = Posting("P1", "E1", "x", "x", 0, occupation_code="07C")
    >>> ranked = rank_posting(p, [(Profile("S1"), SeekerHistory()),
    ...     (Profile("S2", desired_occupation_codes=("07C",)), SeekerHistory())], Ranker(),
    ...     RankContext(now_ms=0))
    >>> [sid for sid, _ in ranked]
    ['S2', 'S1']
    """
    scores = score_seekers_for_posting(
        posting, seekers, model, ctx, tokenizer=tokenizer, filter_stats=filter_stats
    )
    scored = zip((profile.seeker_id for profile, _ in seekers), scores.tolist(), strict=True)
    return top_seekers(((sid, s) for sid, s in scored if s == s), k)  # s == s: not NaN


def top_seekers(scored: Iterable[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    """The ``k`` best ``(seeker_id, score)``: score descending, ties by seeker id. The one
    order of every employer list (:mod:`online_model.live.employer_lists` keeps it too).

    Examples
    --------
    >>> top_seekers([("S2", 0.5), ("S1", 0.5), ("S3", 0.9)], 2)
    [('S3', 0.9), ('S1', 0.5)]
    """
    ranked = sorted((-float(score), sid) for sid, score in scored)
    return [(sid, -neg) for neg, sid in ranked[:k]]
