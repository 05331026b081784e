"""The models our ranker is measured against in the offline evaluation.

Each baseline turns the same inputs the ranker sees into a top-``k`` list of posting ids,
best first, and (for the progressive AUC) a score of one shown pair:

``rule_based``
    Roughly what a batch job board does: postings whose occupation code is one the seeker
    wants, or whose title contains a desired title as typed (a seeker who states neither
    gets every posting); then a board's search filters (:func:`board_allows`: our hard
    filters, and the seeker's region, education, certificates and wage taken as hard, as a
    board's search form takes them — the rules jobmatch itself made soft); newest first.
``popularity``
    Every eligible open posting (not expired, not applied to or dismissed by the seeker),
    by decayed, smoothed apply rate (the statistics of the model snapshot; the same Beta
    prior as the ``popularity`` feature, uncapped), newest first among ties. The same
    list for everyone but the postings the seeker has already acted on.
``random``
    Eligible open postings in a random order, seeded per (seed, checkpoint, seeker).
``oracle``
    The postings the seeker would apply to (the simulator's hidden utility above the
    seeker's threshold), by utility: the ceiling.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from online_model.candidates import filter_reason
from online_model.catalog import PostingCatalog
from online_model.context import PRIOR_APPLIES, PRIOR_IMPRESSIONS, RankContext
from online_model.features import (
    education_features,
    region_features,
    seeker_query,
    text_features,
    time_features,
    wage_features,
)
from online_model.history import EMPTY_HISTORY, SeekerHistory
from online_model.text import DEFAULT_TOKENIZER, Tokenizer, normalize
from schemas.postings import Posting
from schemas.profiles import Profile

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]


def board_matches(profile: Profile, posting: Posting) -> bool:
    """Whether a job board's occupation / keyword search returns the posting.

    The occupation code must be one the seeker wants, or one of the seeker's desired
    titles must appear in the posting title (case- and width-insensitive substring, as a
    board's keyword box does). A seeker who states neither matches everything.

    Examples
    --------
    >>> p = Posting("P1", "E1", "x", "물류센터 지게차 운전원", 0, occupation_code="07C")
    >>> board_matches(Profile("S1", desired_occupation_codes=("07C",)), p)
    True
    >>> board_matches(Profile("S1", desired_titles=("지게차",)), p)
    True
    >>> board_matches(Profile("S1", desired_occupation_codes=("041",)), p)
    False
    >>> board_matches(Profile("S1"), p)
    True
    """
    codes = profile.desired_occupation_codes
    titles = profile.desired_titles
    if not codes and not titles:
        return True
    if posting.occupation_code is not None and posting.occupation_code in codes:
        return True
    title = normalize(posting.title)
    return any(t and normalize(t) in title for t in titles)


def board_allows(
    profile: Profile,
    history: SeekerHistory,
    posting: Posting,
    ctx: RankContext,
    *,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> bool:
    """Whether a job board's search filters let the pair through: our hard filters, and
    the soft constraints of jobmatch (region, education, certificate, wage) as vetoes.

    Examples
    --------
    >>> p = Posting("P1", "E1", "x", "x", 0, region_code="26350")
    >>> board_allows(Profile("S1", home_region_code="11680"), SeekerHistory(), p,
    ...              RankContext(now_ms=0))
    False
    >>> board_allows(Profile("S1", home_region_code="26350"), SeekerHistory(), p,
    ...              RankContext(now_ms=0))
    True
    """
    if filter_reason(profile, history, posting, ctx, tokenizer=tokenizer) is not None:
        return False
    q = seeker_query(profile, tokenizer)
    return not (
        region_features(q, posting)["region_outside"]
        or education_features(q, posting)["edu_short"]
        or text_features(q, posting, tokenizer)["cert_missing"]
        or wage_features(q, posting)["wage_below"]
    )


def rule_based_list(
    profile: Profile,
    history: SeekerHistory,
    catalog: PostingCatalog,
    ctx: RankContext,
    *,
    k: int = 120,
) -> list[str]:
    """The ``rule_based`` list: board search + a board's filters, newest first.

    Parameters
    ----------
    profile, history
        The seeker.
    catalog
        The open postings.
    ctx
        ``now_ms`` decides expiry.
    k
        List length.

    Examples
    --------
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차", 10, occupation_code="07C"))
    >>> cat.upsert(Posting("P2", "E2", "x", "지게차", 20, occupation_code="07C"))
    >>> cat.upsert(Posting("P3", "E3", "x", "간호사", 30, occupation_code="041"))
    >>> rule_based_list(Profile("S1", desired_occupation_codes=("07C",)), SeekerHistory(),
    ...                 cat, RankContext(now_ms=40))
    ['P2', 'P1']
    """
    kept: list[Posting] = []
    for posting_id in catalog:
        posting = catalog.get(posting_id)
        if posting is None or not board_matches(profile, posting):
            continue
        if board_allows(profile, history, posting, ctx, tokenizer=catalog.tokenizer):
            kept.append(posting)
    kept.sort(key=lambda p: (-p.posted_at, p.posting_id))
    return [p.posting_id for p in kept[:k]]


def rule_based_score(
    profile: Profile,
    posting: Posting,
    ctx: RankContext,
    *,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> float:
    """The ``rule_based`` order as a number: 2 when the board shows it, plus freshness.

    The history is left out: the pair was shown, so "already applied" does not apply.

    Examples
    --------
    >>> p = Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C")
    >>> rule_based_score(Profile("S1", desired_occupation_codes=("07C",)), p,
    ...                  RankContext(now_ms=0))
    3.0
    >>> rule_based_score(Profile("S1", desired_occupation_codes=("041",)), p,
    ...                  RankContext(now_ms=0))
    1.0
    """
    shown = board_matches(profile, posting) and board_allows(
        profile, EMPTY_HISTORY, posting, ctx, tokenizer=tokenizer
    )
    return (2.0 if shown else 0.0) + time_features(posting, ctx)["freshness"]


def apply_rates(catalog: PostingCatalog, slots: IntArray, ctx: RankContext) -> FloatArray:
    """Decayed, smoothed apply rate of each slot at ``ctx.now_ms`` (uncapped popularity).

    The catalog must be synced to ``ctx.stats`` (:meth:`PostingCatalog.sync_stats`).

    Examples
    --------
    >>> from online_model.context import PostingStat, PostingStats
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "x", 0))
    >>> ctx = RankContext(now_ms=0, stats=PostingStats({"P1": PostingStat(10.0, 4.5, 0)}))
    >>> cat.sync_stats(ctx.stats)
    >>> apply_rates(cat, cat.alive_slots(), ctx).tolist()
    [0.25]
    """
    age = np.maximum(float(ctx.now_ms) - catalog.stats_updated[slots], 0.0)
    factor = np.exp2(-age / ctx.stats.half_life_ms)
    applies = catalog.applies[slots] * factor
    impressions = catalog.impressions[slots] * factor
    rates: FloatArray = (applies + PRIOR_APPLIES) / (impressions + PRIOR_IMPRESSIONS)
    return rates


def popularity_order(catalog: PostingCatalog, slots: IntArray, ctx: RankContext) -> list[str]:
    """Posting ids of ``slots`` by apply rate, then newest, then id (the popularity list).

    Examples
    --------
    >>> from online_model.context import PostingStat, PostingStats
    >>> cat = PostingCatalog()
    >>> for i in range(3):
    ...     cat.upsert(Posting(f"P{i}", "E1", "x", "x", posted_at=i))
    >>> ctx = RankContext(now_ms=5, stats=PostingStats({"P0": PostingStat(10.0, 5.0, 5)}))
    >>> cat.sync_stats(ctx.stats)
    >>> popularity_order(cat, cat.alive_slots(), ctx)
    ['P0', 'P2', 'P1']
    """
    rates = apply_rates(catalog, slots, ctx)
    ids = catalog.posting_ids[slots]
    posted = catalog.posted_at[slots]
    order = sorted(range(len(slots)), key=lambda i: (-rates[i], -posted[i], ids[i]))
    return [str(ids[i]) for i in order]


def random_list(posting_ids: Sequence[str], k: int, *, seed: int, key: str) -> list[str]:
    """``k`` of ``posting_ids`` in a random order fixed by ``seed`` and ``key``.

    Examples
    --------
    >>> a = random_list(["P1", "P2", "P3", "P4"], 2, seed=1, key="S1")
    >>> a == random_list(["P1", "P2", "P3", "P4"], 2, seed=1, key="S1"), len(a)
    (True, 2)
    """
    n = len(posting_ids)
    if n == 0:
        return []
    rng = np.random.default_rng(stable_seed(seed, key))
    picks = rng.choice(n, size=min(k, n), replace=False)
    return [posting_ids[int(i)] for i in picks]


def oracle_list(relevant: Mapping[str, float], k: int) -> list[str]:
    """The postings the seeker would apply to, best utility first (ties by id).

    Postings the seeker would not apply to add nothing to any list metric, so the list
    stops there.

    Examples
    --------
    >>> oracle_list({"P1": 3.0, "P2": 4.5, "P3": 3.0}, 2)
    ['P2', 'P1']
    """
    return [p for p, _ in sorted(relevant.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def stable_seed(seed: int, key: str) -> int:
    """A 63-bit seed from a seed and a string, the same in every process.

    Examples
    --------
    >>> stable_seed(1, "S1") == stable_seed(1, "S1") != stable_seed(2, "S1")
    True
    """
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def random_score(seed: int, seeker_id: str, posting_id: str, ts: int) -> float:
    """The ``random`` model's score of one shown pair: uniform in [0, 1), reproducible.

    Examples
    --------
    >>> 0.0 <= random_score(1, "S1", "P1", 0) < 1.0
    True
    """
    return stable_seed(seed, f"{seeker_id}:{posting_id}:{ts}") / 2.0**63
