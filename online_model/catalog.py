"""The open-posting catalog: postings plus precomputed numpy columns and inverted indexes.

Every worker keeps the whole catalog of open postings (DESIGN.md, point 2). Each posting
gets a *slot*; per-slot columns (occupation, region, wage per month, deadline, ...) live in
numpy arrays grown amortised (doubling), so features over thousands of candidates are a
few vector operations. Inverted indexes (occupation code and group, 시군구, 시도, title /
skill tokens, certificates) map a key to the slots that carry it, as growable int32
arrays.

Slots are never reused in place: an update or a removal marks the old slot dead and an
update appends a new slot. When dead slots outnumber live ones the catalog compacts
(rebuilds columns and indexes), so memory stays within twice the open postings and the
cost is amortised O(1) per change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from online_model.context import COLD_POOL_NEW_MS, EMPTY_STATS, PostingStats
from online_model.normalize import deadline_ms, education_rank, monthly_krw
from online_model.regions import posting_region, sido_index
from online_model.text import DEFAULT_TOKENIZER, Tokenizer, normalize_certificate, tokens_of_all
from schemas import reference
from schemas.postings import EMPLOYMENT_TYPES, Posting

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

EMPLOYMENT_BITS: dict[str, int] = {t: 1 << i for i, t in enumerate(EMPLOYMENT_TYPES)}


def employment_mask(types: tuple[str, ...]) -> int:
    """Employment types as a bit mask (bit i = ``EMPLOYMENT_TYPES[i]``).

    Examples
    --------
    >>> employment_mask(("regular", "contract")), employment_mask(())
    (3, 0)
    """
    mask = 0
    for t in types:
        mask |= EMPLOYMENT_BITS.get(t, 0)
    return mask


def occupation_group(code: str | None) -> str | None:
    """The top-level group of an occupation code (``"07C"`` -> ``"07"``).

    Top-level codes are their own group; unknown 3-character codes fall back to their
    first two characters, which is how 고용24 builds them.

    Examples
    --------
    >>> occupation_group("07C"), occupation_group("07"), occupation_group(None)
    ('07', '07', None)
    """
    if not code:
        return None
    occ = reference.occupation(code)
    if occ is not None:
        return occ.parent or occ.code
    return code[:2] if len(code) >= 2 else None


def posting_text_tokens(posting: Posting, tokenizer: Tokenizer) -> frozenset[str]:
    """Tokens that seekers' desired titles and skills are compared with.

    The title, skills and certificate names; the free-text description is left out on
    purpose (long, boilerplate-heavy, and it would make nearly every posting a candidate).

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> p = Posting("P1", "E1", "(주)한빛", "지게차 운전원", 0, skills=("물류",))
    >>> sorted(posting_text_tokens(p, DEFAULT_TOKENIZER))
    ['게차', '물류', '운전', '전원', '지게']
    """
    return tokens_of_all(tokenizer, (posting.title, *posting.skills, *posting.certificates))


def best_monthly_wage(posting: Posting) -> float | None:
    """The best wage a posting offers, per month (its max, else its min); None if 협의.

    Examples
    --------
    >>> from schemas.postings import Posting, Wage
    >>> p = Posting("P1", "E1", "x", "x", 0, wage=Wage("annual", 30_000_000, 36_000_000))
    >>> best_monthly_wage(p)
    3000000.0
    """
    wage = posting.wage
    if wage is None:
        return None
    amount = wage.max if wage.max is not None else wage.min
    return monthly_krw(amount, wage.type)


class _PostingList:
    """A growable array of slots (one inverted-index entry)."""

    __slots__ = ("arr", "n")

    def __init__(self) -> None:
        self.arr: IntArray = np.empty(4, dtype=np.int32)
        self.n = 0

    def add(self, slot: int) -> None:
        if self.n == len(self.arr):
            grown = np.empty(len(self.arr) * 2, dtype=np.int32)
            grown[: self.n] = self.arr
            self.arr = grown
        self.arr[self.n] = slot
        self.n += 1

    def view(self) -> IntArray:
        return self.arr[: self.n]


class _Vocab:
    """Strings to dense integer codes, growing on demand."""

    __slots__ = ("codes",)

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def code(self, key: str) -> int:
        found = self.codes.get(key)
        if found is None:
            found = self.codes[key] = len(self.codes)
        return found

    def get(self, key: str) -> int:
        return self.codes.get(key, -1)


# (name, dtype, fill value of a fresh slot)
_COLUMNS: tuple[tuple[str, Any, Any], ...] = (
    ("employer", np.int32, -1),
    ("occupation", np.int32, -1),
    ("group", np.int32, -1),
    ("sigungu", np.int32, -1),
    ("sido", np.int8, -1),
    ("education", np.int8, 0),
    ("career_min", np.float64, 0.0),
    ("career_max", np.float64, np.inf),
    ("employment", np.uint8, 0),
    ("wage", np.float64, np.nan),
    ("posted_at", np.float64, 0.0),
    ("deadline", np.float64, np.inf),
    ("n_certificates", np.int16, 0),
    ("alive", np.bool_, False),
    ("impressions", np.float64, 0.0),
    ("applies", np.float64, 0.0),
    ("stats_updated", np.float64, 0.0),
    ("popular", np.bool_, False),
    ("unseen_new", np.bool_, True),
)


class PostingCatalog:
    """The open postings, with numpy columns and inverted indexes for retrieval.

    Parameters
    ----------
    tokenizer
        Tokenizer of titles, skills and certificates (the same one features use).
    initial_capacity
        Slots allocated up front; the columns double when full.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> cat = PostingCatalog()
    >>> cat.upsert(Posting("P1", "E1", "(주)한빛", "지게차 운전원", 0, occupation_code="07C"))
    >>> len(cat), "P1" in cat, cat.get("P1").title
    (1, True, '지게차 운전원')
    >>> cat.remove("P1"), len(cat), cat.get("P1") is None
    (True, 0, True)
    """

    # Per-slot columns (see _COLUMNS), full capacity; only [:size] is meaningful.
    employer: npt.NDArray[np.int32]
    occupation: npt.NDArray[np.int32]
    group: npt.NDArray[np.int32]
    sigungu: npt.NDArray[np.int32]
    sido: npt.NDArray[np.int8]
    education: npt.NDArray[np.int8]
    career_min: FloatArray
    career_max: FloatArray
    employment: npt.NDArray[np.uint8]
    wage: FloatArray
    posted_at: FloatArray
    deadline: FloatArray
    n_certificates: npt.NDArray[np.int16]
    alive: npt.NDArray[np.bool_]
    impressions: FloatArray
    applies: FloatArray
    stats_updated: FloatArray
    # The cold-start pool of the synced statistics (candidates.retrieve): among their most
    # popular (PostingStats.popular), or never shown and new (PostingStats.is_unseen_new).
    popular: npt.NDArray[np.bool_]
    unseen_new: npt.NDArray[np.bool_]

    def __init__(self, *, tokenizer: Tokenizer = DEFAULT_TOKENIZER, initial_capacity: int = 1024):
        self.tokenizer = tokenizer
        self._initial_capacity = max(int(initial_capacity), 16)
        self._reset()

    def _reset(self) -> None:
        cap = self._initial_capacity
        self._capacity = cap
        self.size = 0  # slots used, live or dead
        self._n_alive = 0
        for name, dtype, fill in _COLUMNS:
            setattr(self, name, np.full(cap, fill, dtype=dtype))
        self.posting_ids: npt.NDArray[np.object_] = np.empty(cap, dtype=object)
        self.employer_ids: npt.NDArray[np.object_] = np.empty(cap, dtype=object)
        self._postings: dict[str, Posting] = {}
        self._slot: dict[str, int] = {}
        self.employers = _Vocab()
        self.occupations = _Vocab()
        self.groups = _Vocab()
        self.tokens = _Vocab()
        self.certificates = _Vocab()
        self.by_occupation: dict[int, _PostingList] = {}
        self.by_group: dict[int, _PostingList] = {}
        self.by_sigungu: dict[int, _PostingList] = {}
        self.by_sido: dict[int, _PostingList] = {}
        self.by_token: dict[int, _PostingList] = {}
        self.by_certificate: dict[int, _PostingList] = {}
        self.no_region = _PostingList()
        self._stats: PostingStats = getattr(self, "_stats", EMPTY_STATS)

    # -- the mapping part ------------------------------------------------------------

    def __len__(self) -> int:
        return self._n_alive

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._postings

    def __iter__(self) -> Iterator[str]:
        return iter(self._postings)

    def get(self, posting_id: str) -> Posting | None:
        """The open posting with this id, or None."""
        return self._postings.get(posting_id)

    def slot_of(self, posting_id: str) -> int | None:
        """The live slot of a posting (an internal position; changes on compaction)."""
        return self._slot.get(posting_id)

    def slots_of(self, posting_ids: Any) -> IntArray:
        """Live slots of those of ``posting_ids`` that are open (others are skipped)."""
        slot = self._slot
        found = [slot[p] for p in posting_ids if p in slot]
        return np.asarray(found, dtype=np.int32)

    # -- changes ---------------------------------------------------------------------

    def upsert(self, posting: Posting) -> None:
        """Add a posting or replace the one with the same id."""
        if posting.posting_id in self._slot:
            self._kill(posting.posting_id)
        if self.size == self._capacity:
            if self.size - self._n_alive > max(self._n_alive, 1024):
                self._compact()
            if self.size == self._capacity:
                self._grow()
        self._write(self.size, posting)
        self.size += 1
        self._n_alive += 1

    def remove(self, posting_id: str) -> bool:
        """Remove a closed or expired posting; False when it was not in the catalog."""
        if posting_id not in self._slot:
            return False
        self._kill(posting_id)
        return True

    def _kill(self, posting_id: str) -> None:
        slot = self._slot.pop(posting_id)
        del self._postings[posting_id]
        self.alive[slot] = False
        self.posting_ids[slot] = None
        self._n_alive -= 1

    def _grow(self) -> None:
        new_cap = self._capacity * 2
        for name, dtype, fill in _COLUMNS:
            old = getattr(self, name)
            grown = np.full(new_cap, fill, dtype=dtype)
            grown[: self._capacity] = old
            setattr(self, name, grown)
        for name in ("posting_ids", "employer_ids"):
            old = getattr(self, name)
            grown = np.empty(new_cap, dtype=object)
            grown[: self._capacity] = old
            setattr(self, name, grown)
        self._capacity = new_cap

    def _compact(self) -> None:
        live = [self._postings[p] for p in self.posting_ids[: self.size] if p is not None]
        cap = self._initial_capacity
        while cap < 2 * len(live):
            cap *= 2
        stats = self._stats
        initial = self._initial_capacity
        self._initial_capacity = cap
        self._reset()
        self._initial_capacity = initial
        self._stats = stats
        for posting in live:
            self._write(self.size, posting)
            self.size += 1
            self._n_alive += 1

    def _write(self, slot: int, posting: Posting) -> None:
        pid = posting.posting_id
        self._postings[pid] = posting
        self._slot[pid] = slot
        self.posting_ids[slot] = pid
        self.employer_ids[slot] = posting.employer_id
        self.alive[slot] = True
        self.employer[slot] = self.employers.code(posting.employer_id)
        occ = posting.occupation_code
        group = occupation_group(occ)
        self.occupation[slot] = self.occupations.code(occ) if occ else -1
        self.group[slot] = self.groups.code(group) if group else -1
        if occ:
            _index(self.by_occupation, self.occupations.code(occ), slot)
        if group:
            _index(self.by_group, self.groups.code(group), slot)
        sigungu, sido = posting_region(posting)
        self.sigungu[slot] = int(sigungu) if sigungu else -1
        self.sido[slot] = sido_index()[sido] if sido else -1
        if sigungu:
            _index(self.by_sigungu, int(sigungu), slot)
        if sido:
            _index(self.by_sido, sido_index()[sido], slot)
        else:
            self.no_region.add(slot)
        self.education[slot] = education_rank(posting.education_min) or 0
        self.career_min[slot] = float(posting.career_min_years)
        cmax = posting.career_max_years
        self.career_max[slot] = float(cmax) if cmax is not None else np.inf
        self.employment[slot] = employment_mask(posting.employment_types)
        wage = best_monthly_wage(posting)
        self.wage[slot] = wage if wage is not None else np.nan
        self.posted_at[slot] = float(posting.posted_at)
        self.deadline[slot] = deadline_ms(posting.deadline)
        for token in posting_text_tokens(posting, self.tokenizer):
            _index(self.by_token, self.tokens.code(token), slot)
        certs = {normalize_certificate(c) for c in posting.certificates} - {""}
        self.n_certificates[slot] = len(certs)
        for cert in certs:
            _index(self.by_certificate, self.certificates.code(cert), slot)
        self._write_stats(slot, pid)

    # -- statistics ------------------------------------------------------------------

    def _write_stats(self, slot: int, posting_id: str) -> None:
        stat = self._stats.by_posting.get(posting_id)
        self.popular[slot] = posting_id in self._stats.popular()
        self.unseen_new[slot] = self._stats.is_unseen_new(posting_id, self.posted_at[slot])
        if stat is None:
            self.impressions[slot] = 0.0
            self.applies[slot] = 0.0
            self.stats_updated[slot] = 0.0
        else:
            self.impressions[slot] = stat.impressions
            self.applies[slot] = stat.applies
            self.stats_updated[slot] = float(stat.updated_ms)

    def sync_stats(self, stats: PostingStats) -> None:
        """Copy per-posting statistics into the columns (once per new ``stats``)."""
        if stats.token == self._stats.token:
            return
        self._stats = stats
        self.impressions[:] = 0.0
        self.applies[:] = 0.0
        self.stats_updated[:] = 0.0
        slot = self._slot
        self.popular[:] = False
        if stats.by_posting:  # PostingStats.is_unseen_new, for the whole column
            self.unseen_new[:] = self.posted_at >= stats.latest_ms - COLD_POOL_NEW_MS
        else:
            self.unseen_new[:] = True
        popular = stats.popular()
        for pid, stat in stats.by_posting.items():
            s = slot.get(pid)
            if s is not None:
                self.popular[s] = pid in popular
                self.unseen_new[s] = False
                self.impressions[s] = stat.impressions
                self.applies[s] = stat.applies
                self.stats_updated[s] = float(stat.updated_ms)

    @property
    def stats(self) -> PostingStats:
        """The statistics last synced into the columns."""
        return self._stats

    def alive_slots(self) -> IntArray:
        """Every live slot, ascending."""
        return np.flatnonzero(self.alive[: self.size]).astype(np.int32)

    def __getstate__(self) -> dict[str, Any]:
        # Pickle as the postings alone; columns and indexes are rebuilt on load.
        return {
            "tokenizer": self.tokenizer,
            "initial_capacity": self._initial_capacity,
            "postings": list(self._postings.values()),
            "stats": self._stats,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tokenizer = state["tokenizer"]
        self._initial_capacity = state["initial_capacity"]
        self._stats = state["stats"]
        self._reset()
        for posting in state["postings"]:
            self.upsert(posting)


def _index(index: dict[int, _PostingList], key: int, slot: int) -> None:
    entry = index.get(key)
    if entry is None:
        entry = index[key] = _PostingList()
    entry.add(slot)
