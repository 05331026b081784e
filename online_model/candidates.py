"""Candidate retrieval and hard filters (the recommend half; scoring lives in ranker/topk).

Retrieval picks, out of the whole catalog, the postings worth scoring for a seeker:
those sharing something the seeker wants — a desired occupation code or its group, a token
of a desired title or skill, a held certificate. A seeker who states none of these gets
every posting (the model sorts them out). Where a seeker is not a filter: it orders. When
more than ``max_candidates`` qualify, the best by a cheap retrieval score (occupation 3,
group 1, title tokens 2, skill tokens 1, certificate 2, inside the commuting area
``REGION_BONUS``, plus a freshness tie-breaker) are kept, so near postings come first.

Hard filters then veto candidates, each veto counted under a named reason in
:class:`FilterStats`, in this order (a posting is counted under the first reason that
applies). Only what truly excludes is hard (docs/model.md, "Hard and soft rules"):

``closed``      not open (not in the catalog; counted where a caller asks about one)
``expired``     its deadline day has passed (Korean time)
``applied``     the seeker already applied
``dismissed``   the seeker dismissed it (their explicit "never")

Region, education, certificates and wage are soft: the features ``region_outside``,
``edu_short``, ``cert_missing`` and ``wage_below`` rank a posting down, and the ranker
learns by how much. A licence the law requires would be a hard filter, but the contract
has no "required" marker on a posting's certificates (a listed certificate is often only
preferred, 우대), so none is vetoed; an interaction carries a posting, not an employer, so
there is no dismissed-employer filter either.

:class:`SeekerIndex` is the reverse index: seekers by what they want, so that a new posting
reaches the seekers whose retrieval would find it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from online_model.catalog import PostingCatalog, occupation_group, posting_text_tokens
from online_model.context import DAY_MS, RankContext
from online_model.features import (
    SeekerColumns,
    SeekerQuery,
    accepted_mask,
    certificate_hits,
    seeker_query,
)
from online_model.history import SeekerHistory
from online_model.implicit import (
    ImplicitProfile,
    behaviour_candidates,
    catalog_implicit,
    popularity_scores,
    posting_behaviour_keys,
)
from online_model.normalize import deadline_ms
from online_model.numbering import NumberBag, Numbering
from online_model.regions import posting_region
from online_model.text import DEFAULT_TOKENIZER, Tokenizer, normalize_certificate
from schemas.postings import Posting
from schemas.profiles import Profile

FILTER_REASONS: tuple[str, ...] = (
    "closed",
    "expired",
    "applied",
    "dismissed",
)
MAX_CANDIDATES = 3000
# Retrieval-score bonus of a posting inside the commuting area: between a skill token (1)
# and a title token (2), so near postings fill a capped candidate set first.
REGION_BONUS = 1.5

IntArray = npt.NDArray[np.int32]


@dataclass(slots=True)
class FilterStats:
    """Counts of vetoed candidates by reason; an accumulator the caller owns and reads.

    Examples
    --------
    >>> fs = FilterStats()
    >>> fs.add("expired", 2)
    >>> fs.add("dismissed")
    >>> fs.as_dict()["expired"], fs.total
    (2, 3)
    """

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILTER_REASONS, 0))

    def add(self, reason: str, n: int = 1) -> None:
        """Count ``n`` vetoes for ``reason`` (one of ``FILTER_REASONS``)."""
        if reason not in self.counts:
            raise ValueError(f"unknown filter reason {reason!r}: use one of {FILTER_REASONS}")
        self.counts[reason] += int(n)

    def merge(self, other: FilterStats) -> None:
        """Add another accumulator's counts to this one."""
        for reason, n in other.counts.items():
            self.counts[reason] += n

    @property
    def total(self) -> int:
        """All vetoes."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        """A copy of the counts."""
        return dict(self.counts)


def filter_reason(
    profile: Profile,
    history: SeekerHistory,
    posting: Posting,
    ctx: RankContext,
    *,
    is_open: bool = True,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
) -> str | None:
    """The first hard filter that vetoes this pair, or None when it may be shown.

    Parameters
    ----------
    profile, history
        The seeker.
    posting
        The posting.
    ctx
        ``now_ms`` decides expiry.
    is_open
        False for a closed posting.
    tokenizer
        The catalog's tokenizer.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> p = Posting("P1", "E1", "x", "x", 0, education_min="05", deadline="2026-01-31")
    >>> filter_reason(Profile("S1", education_level="03"), SeekerHistory(), p,
    ...               RankContext(now_ms=0)) is None  # too little education is soft
    True
    >>> filter_reason(Profile("S1"), SeekerHistory(), p, RankContext(now_ms=1_800_000_000_000))
    'expired'
    """
    # No hard rule reads the profile today; the parameters stay so that one (a licence a
    # posting marks as required, once the contract can say so) needs no new signature.
    del profile, tokenizer
    if not is_open:
        return "closed"
    if deadline_ms(posting.deadline) <= ctx.now_ms:
        return "expired"
    pid = posting.posting_id
    if history.has_applied(pid):
        return "applied"
    if history.has_dismissed(pid):
        return "dismissed"
    return None


def has_what(q: SeekerQuery) -> bool:
    """Whether a seeker states what they want (an occupation, title, skill or licence)."""
    return bool(q.occupations or q.groups or q.title_tokens or q.skill_tokens or q.certificates)


def is_cold_start(q: SeekerQuery, implicit: ImplicitProfile) -> bool:
    """Neither a stated "what" nor a positive engagement: nothing but place and
    popularity to go on. Decided by the seeker alone, never by the catalog, so a new
    posting cannot turn a cold seeker warm.

    >>> from schemas.profiles import Profile
    >>> from online_model.implicit import EMPTY_IMPLICIT
    >>> is_cold_start(seeker_query(Profile("S1")), EMPTY_IMPLICIT)
    True
    >>> is_cold_start(seeker_query(Profile("S1", desired_titles=("지게차",))), EMPTY_IMPLICIT)
    False
    """
    return not implicit.positive and not has_what(q)


def _inside(catalog: PostingCatalog, q: SeekerQuery, cand: IntArray) -> npt.NDArray[np.bool_]:
    """Which of ``cand`` lie inside the seeker's commuting area."""
    if q.accepted.everywhere:
        return np.ones(len(cand), dtype=np.bool_)
    inside: npt.NDArray[np.bool_] = accepted_mask(catalog, q.accepted)[cand]
    return inside


def _retrieval_score(catalog: PostingCatalog, q: SeekerQuery) -> npt.NDArray[np.float64]:
    score = np.zeros(catalog.size, dtype=np.float64)
    for code in q.occupations:
        c = catalog.occupations.get(code)
        if c >= 0:
            score[catalog.by_occupation[c].view()] += 3.0
    for group in q.groups:
        c = catalog.groups.get(group)
        if c >= 0:
            score[catalog.by_group[c].view()] += 1.0
    for tokens, weight in ((q.title_tokens, 2.0), (q.skill_tokens, 1.0)):
        for token in tokens:
            c = catalog.tokens.get(token)
            if c >= 0:
                score[catalog.by_token[c].view()] += weight / len(tokens)
    if q.certificates:
        score += 2.0 * certificate_hits(catalog, q)
    return score


def retrieve(
    profile: Profile,
    history: SeekerHistory,
    catalog: PostingCatalog,
    ctx: RankContext,
    *,
    max_candidates: int = MAX_CANDIDATES,
    filter_stats: FilterStats | None = None,
    implicit: ImplicitProfile | None = None,
) -> IntArray:
    """Catalog slots of a seeker's candidates: retrieved, then hard-filtered, then capped.

    Profile-based candidates are merged with behaviour-based ones (postings like those the
    seeker engaged with, :func:`online_model.implicit.behaviour_candidates`), which also
    add to the retrieval score that decides the cap.

    Parameters
    ----------
    profile, history
        The seeker.
    catalog
        Open postings.
    ctx
        ``now_ms`` decides expiry and freshness.
    max_candidates
        At most this many slots are returned (the best by retrieval score, near first).
        A cold start (no stated "what", no positive engagement) is ranked among the
        snapshot's cold pool only (the most popular anywhere, and the new postings near
        them not shown yet; ``catalog.popular``, ``catalog.unseen_new``): without
        anything the seeker wants, the model's other features (freshness, career,
        certificates of an empty profile) would otherwise order the whole catalog, and a
        seeker's cold list is the recently popular.
    filter_stats
        Vetoes are counted here when given.
    implicit
        The seeker's implicit profile; None derives it from the catalog.

    Returns
    -------
    numpy.ndarray
        int32 slots, ascending.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "x", "지게차 운전", 0, occupation_code="07C"))
    >>> cat.upsert(Posting("P2", "E2", "x", "간호사", 0, occupation_code="041"))
    >>> slots = retrieve(Profile("S1", desired_titles=("지게차",)), SeekerHistory(), cat,
    ...                  RankContext(now_ms=0))
    >>> [cat.posting_ids[s] for s in slots]
    ['P1']

    A posting beyond the commuting area is still a candidate (ranked down, not hidden):

    >>> cat.upsert(Posting("P3", "E3", "x", "지게차", 0, region_code="26350"))
    >>> slots = retrieve(Profile("S1", desired_titles=("지게차",), home_region_code="11680"),
    ...                  SeekerHistory(), cat, RankContext(now_ms=0))
    >>> [cat.posting_ids[s] for s in slots]
    ['P1', 'P3']
    """
    q = seeker_query(profile, catalog.tokenizer)
    size = catalog.size
    alive = catalog.alive[:size]
    if has_what(q):
        score = _retrieval_score(catalog, q)
        cand = np.flatnonzero((score > 0) & alive).astype(np.int32)
    else:
        # No "what": every open posting; the cap below keeps the near and fresh ones.
        score = np.zeros(size, dtype=np.float64)
        cand = np.flatnonzero(alive).astype(np.int32)
    if implicit is None:
        implicit = catalog_implicit(history.engagements, catalog, now_ms=ctx.now_ms)
    if is_cold_start(q, implicit):
        # The snapshot's pool: the most popular anywhere, and the new postings near them
        # (the seeker index finds a cold seeker for a new posting only near them).
        score = popularity_scores(catalog, ctx)
        pool = catalog.popular[cand] | (catalog.unseen_new[cand] & _inside(catalog, q, cand))
        cand = cand[pool]
    else:
        score, cand = behaviour_candidates(history, implicit, catalog, ctx, score, cand)
    stats = filter_stats

    def veto(keep: npt.NDArray[np.bool_], reason: str) -> None:
        nonlocal cand
        if stats is not None:
            stats.add(reason, int(len(keep) - np.count_nonzero(keep)))
        cand = cand[keep]

    veto(catalog.deadline[cand] > ctx.now_ms, "expired")
    for ids, reason in ((history.applied, "applied"), (history.dismissed, "dismissed")):
        if ids:
            seen = np.zeros(size, dtype=np.bool_)
            seen[catalog.slots_of(ids)] = True
            veto(~seen[cand], reason)
    if len(cand) > max_candidates:
        age_days = (ctx.now_ms - catalog.posted_at[cand]) / DAY_MS
        key = score[cand] + 1e-3 / (1.0 + np.maximum(age_days, 0.0))
        key += REGION_BONUS * _inside(catalog, q, cand)
        top = np.argpartition(-key, max_candidates - 1)[:max_candidates]
        cand = np.sort(cand[top])
    return cand


def retrieval_keys(posting: Posting, tokenizer: Tokenizer = DEFAULT_TOKENIZER) -> set[str]:
    """The "what" keys of a posting, as :class:`SeekerIndex` stores seekers.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> sorted(retrieval_keys(Posting("P1", "E1", "x", "지게차", 0, occupation_code="07C")))
    ['g:07', 'o:07C', 't:게차', 't:지게']
    """
    keys: set[str] = set()
    if posting.occupation_code:
        keys.add(f"o:{posting.occupation_code}")
        group = occupation_group(posting.occupation_code)
        if group:
            keys.add(f"g:{group}")
    keys.update(f"t:{t}" for t in posting_text_tokens(posting, tokenizer))
    keys.update(f"c:{normalize_certificate(c)}" for c in posting.certificates)
    keys.discard("c:")
    return keys


def _seeker_keys(q: SeekerQuery) -> set[str]:
    keys = {f"o:{c}" for c in q.occupations}
    keys.update(f"g:{g}" for g in q.groups)
    keys.update(f"t:{t}" for t in q.title_tokens | q.skill_tokens)
    keys.update(f"c:{c}" for c in q.certificates)
    return keys


def _seeker_region_keys(q: SeekerQuery) -> set[str]:
    acc = q.accepted
    if acc.everywhere:
        return {"*"}
    keys = {f"s:{s}" for s in acc.sido}
    keys.update(f"g:{g}" for g in acc.sigungu)
    keys.update(f"p:{s}" for s in acc.sido_partial)
    return keys


class SeekerIndex:
    """Seekers by what they want (or, wanting anything, where), so a new posting finds the
    seekers whose lists it may enter; and their profiles as feature columns.

    :meth:`candidates_for` returns every seeker with a "what" whose :func:`retrieve` could
    return the posting (same keys; region does not bound retrieval, so not this either; the
    ``max_candidates`` cap and the hard filters are left to scoring). A seeker who wants
    anything ("?") and has engaged with nothing is a cold start, reached only by postings
    inside their commuting area, which is where their ranking takes new postings from
    (:func:`retrieve`, the cold pool). :meth:`behaviour_candidates_for` adds the seekers
    whose engagements retrieve the posting (:meth:`set_behaviour`).

    Each indexed profile has a row of :attr:`columns`
    (:class:`~online_model.features.SeekerColumns`), from which
    :func:`~online_model.features.seeker_rows` scores a posting against many seekers at
    once. Rows are integers and the lists int32 arrays, not sets of strings. An upsert
    gives the seeker a new row (the old one dies), so a holder of rows can tell who changed;
    when dead rows outnumber live ones the columns are rebuilt and :attr:`epoch` grows
    (rows held from before must be looked up again by seeker id).

    Parameters
    ----------
    tokenizer
        Must be the catalog's tokenizer.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> idx = SeekerIndex()
    >>> idx.upsert(Profile("S1", desired_titles=("지게차",), desired_region_codes=("26",)))
    >>> idx.upsert(Profile("S2", desired_titles=("간호사",)))
    >>> idx.upsert(Profile("S3", home_region_code="41590"))
    >>> idx.upsert(Profile("S4", home_region_code="26350"))
    >>> p = Posting("P1", "E1", "x", "지게차 운전", 0, region_code="41590")
    >>> sorted(idx.candidates_for(p))  # S1 although far; S3 near, wanting anything
    ['S1', 'S3']
    >>> idx.remove("S1"), idx.candidates_for(p)
    (True, {'S3'})
    """

    def __init__(self, *, tokenizer: Tokenizer = DEFAULT_TOKENIZER) -> None:
        self.tokenizer = tokenizer
        self._reset()
        self._query_of: dict[str, SeekerQuery] = {}
        self.epoch = 0
        # Seekers by what they engaged with (implicit.behaviour_keys), and "*" for those
        # with engagements and no stated "what", whose retrieval takes every posting; by
        # number (4 bytes an entry, see online_model.numbering).
        self._behaviour_numbers = Numbering()
        self._by_behaviour: dict[str, NumberBag] = {}
        self._behaviour_of: dict[str, frozenset[str]] = {}

    def _reset(self) -> None:
        self.columns = SeekerColumns()
        self._row: dict[str, int] = {}
        self.seeker_ids: npt.NDArray[np.object_] = np.empty(1024, dtype=object)

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, seeker_id: object) -> bool:
        return seeker_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def row_of(self, seeker_id: str) -> int | None:
        """The seeker's live row of :attr:`columns` (None when not indexed)."""
        return self._row.get(seeker_id)

    def upsert(self, profile: Profile) -> None:
        """Index a seeker by their profile, replacing what an older profile said."""
        sid = profile.seeker_id
        self._remove_row(sid)  # what they engaged with stays (set_behaviour)
        cols = self.columns
        if cols.size - cols.n_alive > max(cols.n_alive, 1024):
            self._compact()
        self._add(sid, seeker_query(profile, self.tokenizer))

    def _add(self, sid: str, q: SeekerQuery) -> None:
        what = frozenset(_seeker_keys(q) or {"?"})  # "?": wants anything
        # Only a seeker who wants anything is bounded by place (see the class docstring).
        where = frozenset(_seeker_region_keys(q)) if what == {"?"} else frozenset()
        keys = [("w", k) for k in what] + [("r", k) for k in where]
        row = self.columns.add(q, keys)
        if row >= len(self.seeker_ids):
            grown = np.empty(2 * len(self.seeker_ids), dtype=object)
            grown[: len(self.seeker_ids)] = self.seeker_ids
            self.seeker_ids = grown
        self.seeker_ids[row] = sid
        self._row[sid] = row
        self._query_of[sid] = q

    def _compact(self) -> None:
        queries = [(sid, self._query_of[sid]) for sid in self._row]
        self._reset()
        self._query_of = {}
        for sid, q in queries:
            self._add(sid, q)
        self.epoch += 1

    def set_behaviour(self, seeker_id: str, keys: frozenset[str]) -> None:
        """List a seeker under the keys of what they engaged with (replacing older ones),
        so that :meth:`behaviour_candidates_for` finds them for a posting their behaviour
        retrieval would take (:func:`online_model.implicit.behaviour_candidates`)."""
        old = self._behaviour_of.get(seeker_id, frozenset())
        if old == keys:
            return
        number = self._behaviour_numbers.number(seeker_id)
        for key in old - keys:
            gone = self._by_behaviour[key]
            gone.discard(number)
            if not gone:
                del self._by_behaviour[key]
        for key in keys - old:
            holders = self._by_behaviour.get(key)
            if holders is None:
                holders = self._by_behaviour[key] = NumberBag()
            holders.add(number)
        if keys:
            self._behaviour_of[seeker_id] = keys
        else:
            self._behaviour_of.pop(seeker_id, None)
            self._behaviour_numbers.release(seeker_id)

    def behaviour_candidates_for(self, posting: Posting) -> set[str]:
        """Seekers whose engagements share a key with ``posting`` (see :meth:`set_behaviour`).

        >>> from schemas.postings import Posting
        >>> idx = SeekerIndex()
        >>> idx.set_behaviour("S1", frozenset({"e:E1"}))
        >>> idx.set_behaviour("S2", frozenset({"*"}))
        >>> sorted(idx.behaviour_candidates_for(Posting("P1", "E1", "x", "간호사", 0)))
        ['S1', 'S2']
        >>> idx.set_behaviour("S1", frozenset()), sorted(idx.behaviour_candidates_for(
        ...     Posting("P1", "E1", "x", "간호사", 0)))
        (None, ['S2'])
        """
        numbers: set[int] = set()
        by = self._by_behaviour
        for key in ("*", *posting_behaviour_keys(posting, self.tokenizer)):
            holders = by.get(key)
            if holders:
                numbers.update(holders.tolist())
        return set(self._behaviour_numbers.names(list(numbers)))

    def remove(self, seeker_id: str) -> bool:
        """Forget a seeker (deactivated), behaviour too; False when not indexed."""
        self.set_behaviour(seeker_id, frozenset())
        return self._remove_row(seeker_id)

    def _remove_row(self, seeker_id: str) -> bool:
        row = self._row.pop(seeker_id, None)
        if row is None:
            return False
        self.columns.kill(row)
        self.seeker_ids[row] = None
        del self._query_of[seeker_id]
        return True

    def candidate_rows(self, posting: Posting) -> IntArray:
        """Live rows of the seekers that may want ``posting`` (ascending): a shared "what"
        key, or wanting anything and the posting inside their commuting area."""
        keys = [("w", k) for k in retrieval_keys(posting, self.tokenizer)]
        sigungu, sido = posting_region(posting)
        if sigungu is None and sido is None:
            keys.append(("w", "?"))  # unknown location: inside every area
        else:
            # Only seekers who want anything are listed under "r" keys.
            keys += [("r", "*"), ("r", f"s:{sido}")]
            keys.append(("r", f"g:{sigungu}" if sigungu is not None else f"p:{sido}"))
        cols = self.columns
        return np.flatnonzero(cols.mask_all(keys) & cols.alive[: cols.size]).astype(np.int32)

    def candidates_for(self, posting: Posting) -> set[str]:
        """Seeker ids of :meth:`candidate_rows`."""
        return set(self.seeker_ids[self.candidate_rows(posting)].tolist())
