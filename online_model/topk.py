"""Top-K with employer diversity and exploration slots, computed in full or kept incrementally.

The list of a candidate set is defined by two greedy passes over the candidates sorted by
(score descending, posting id ascending):

1. **main**: take each candidate whose employer has fewer than ``max_per_employer`` taken,
   until ``k - n_explore`` are taken;
2. **explore**: then, over the *little-exposed* candidates not taken yet (few impressions,
   :data:`online_model.context.LOW_EXPOSURE_IMPRESSIONS`), the same rule (employer counts
   carried over) until ``n_explore`` more are taken.

The result is ordered by score. So a new posting with no impressions gets a chance to be
shown even when its score is just below the cut, which is how it collects the impressions
the model needs to learn about it. With fewer little-exposed candidates the list is shorter
than ``k`` by at most ``n_explore``.

The streaming path keeps each seeker's list and updates it with :func:`insert` and
:func:`remove`, which return the new list when the list alone decides it, or None ("re-rank
this seeker fully"). They simulate both passes over the list's items plus the change and
accept the result only when no candidate outside the list could enter: each pass that was
full stays full no later than before, and each employer that had a candidate skipped by
the diversity cap (recorded in :attr:`TopKList.capped`) still reaches the cap no later.
Whenever they return a list it equals :func:`top_k` on the changed candidate set
(property-tested).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

K = 120
MAX_PER_EMPLOYER = 3
N_EXPLORE = 4

_LOW = 1
_EXPLORE = 2

Key = tuple[float, str]
_MIN_KEY: Key = (float("-inf"), "")


class TopKItem(NamedTuple):
    """One candidate: posting, employer, score, and whether it is little exposed."""

    posting_id: str
    employer_id: str
    score: float
    low_exposure: bool = False


# A candidate inside the selection: (-score, posting_id, employer_id, low_exposure). Plain
# tuples sort by (-score, posting_id) and are cheap to build; posting ids are unique, so
# the employer and the flag never take part in a comparison.
_Cand = tuple[float, str, str, bool]


@dataclass(frozen=True, slots=True)
class _Trace:
    main: list[int]
    explore: list[int]
    main_full: bool
    main_stop: Key
    explore_full: bool
    explore_stop: Key
    main_cap: dict[str, Key]
    explore_cap: dict[str, Key]
    capped: set[str]


def _select(
    seq: Sequence[_Cand], low_seq: Sequence[int], k: int, cap: int, n_explore: int
) -> _Trace:
    """Both greedy passes. ``low_seq``: indexes into ``seq`` of the little-exposed, in order."""
    m_limit = k - n_explore
    counts: dict[str, int] = {}
    main: list[int] = []
    main_cap: dict[str, Key] = {}
    capped: set[str] = set()
    if m_limit > 0:
        for i, cand in enumerate(seq):
            employer = cand[2]
            c = counts.get(employer, 0)
            if c < cap:
                main.append(i)
                counts[employer] = c + 1
                if c + 1 == cap:
                    main_cap[employer] = (cand[0], cand[1])
                if len(main) == m_limit:
                    break
            else:
                capped.add(employer)
    main_full = len(main) == m_limit
    main_stop = _key(seq[main[-1]]) if main_full and main else _MIN_KEY
    taken = set(main)
    explore_cap: dict[str, Key] = {e: _MIN_KEY for e, c in counts.items() if c >= cap}
    explore: list[int] = []
    if n_explore > 0:
        for i in low_seq:
            if i in taken:
                continue
            cand = seq[i]
            employer = cand[2]
            c = counts.get(employer, 0)
            if c < cap:
                explore.append(i)
                counts[employer] = c + 1
                if c + 1 == cap:
                    explore_cap[employer] = (cand[0], cand[1])
                if len(explore) == n_explore:
                    break
            else:
                capped.add(employer)
    explore_full = len(explore) == n_explore
    explore_stop = _key(seq[explore[-1]]) if explore_full and explore else _MIN_KEY
    return _Trace(
        main,
        explore,
        main_full,
        main_stop,
        explore_full,
        explore_stop,
        main_cap,
        explore_cap,
        capped,
    )


@dataclass(frozen=True, slots=True, eq=False)
class TopKList:
    """A seeker's ranked list: parallel arrays ordered by (score desc, posting id).

    Compact on purpose (the worker holds one per seeker): four numpy arrays rather than a
    Python object per item. ``capped`` lists employers of which some candidate was left
    out by the diversity cap; :func:`insert`/:func:`remove` need it. Two lists are equal
    when they hold the same items in the same order with the same flags and parameters.

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3"], ["E1", "E1", "E2"], [0.9, 0.8, 0.7],
    ...             k=3, max_per_employer=1, n_explore=0)
    >>> lst.ids(), sorted(lst.capped)
    (['P1', 'P3'], ['E1'])
    """

    posting_ids: npt.NDArray[np.object_]
    employer_ids: npt.NDArray[np.object_]
    scores: npt.NDArray[np.float64]
    flags: npt.NDArray[np.uint8]
    capped: frozenset[str]
    k: int = K
    max_per_employer: int = MAX_PER_EMPLOYER
    n_explore: int = N_EXPLORE
    _main_stop: Key | None = field(default=None, repr=False)
    _explore_stop: Key | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in set(self.posting_ids.tolist())

    def __iter__(self) -> Iterator[TopKItem]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TopKList):
            return NotImplemented
        return (
            self.ids() == other.ids()
            and self.employer_ids.tolist() == other.employer_ids.tolist()
            and self.scores.tolist() == other.scores.tolist()
            and self.flags.tolist() == other.flags.tolist()
            and (self.k, self.max_per_employer, self.n_explore)
            == (other.k, other.max_per_employer, other.n_explore)
        )

    __hash__ = None  # type: ignore[assignment]

    def ids(self) -> list[str]:
        """Posting ids, best first."""
        return [str(p) for p in self.posting_ids.tolist()]

    def items(self) -> list[TopKItem]:
        """The items, best first."""
        return [
            TopKItem(str(p), str(e), float(s), bool(f & _LOW))
            for p, e, s, f in zip(
                self.posting_ids.tolist(),
                self.employer_ids.tolist(),
                self.scores.tolist(),
                self.flags.tolist(),
                strict=True,
            )
        ]

    def explored(self) -> list[str]:
        """Posting ids that hold an exploration slot."""
        return [str(p) for p, f in zip(self.posting_ids, self.flags, strict=True) if f & _EXPLORE]

    def _cands(self) -> list[_Cand]:
        return [
            (-s, p, e, bool(f & _LOW))
            for p, e, s, f in zip(
                self.posting_ids.tolist(),
                self.employer_ids.tolist(),
                self.scores.tolist(),
                self.flags.tolist(),
                strict=True,
            )
        ]

    def to_obj(self) -> dict[str, Any]:
        """JSON-able form (for a Faust table); :meth:`from_obj` restores it."""
        return {
            "ids": self.ids(),
            "employers": self.employer_ids.tolist(),
            "scores": self.scores.tolist(),
            "flags": self.flags.tolist(),
            "capped": sorted(self.capped),
            "params": [self.k, self.max_per_employer, self.n_explore],
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> TopKList:
        """The list :meth:`to_obj` wrote."""
        k, cap, n_explore = (int(v) for v in obj["params"])
        cands = [
            (-float(s), str(p), str(e), bool(int(f) & _LOW))
            for p, e, s, f in zip(
                obj["ids"], obj["employers"], obj["scores"], obj["flags"], strict=True
            )
        ]
        trace = _select(cands, _lows(cands), k, cap, n_explore)
        return _build(cands, trace, frozenset(obj["capped"]), k, cap, n_explore)


def _build(
    seq: Sequence[_Cand],
    trace: _Trace,
    capped: frozenset[str],
    k: int,
    cap: int,
    n_explore: int,
) -> TopKList:
    explore = set(trace.explore)
    chosen = sorted([*trace.main, *trace.explore])  # seq is sorted, so indexes are too
    picked = [seq[i] for i in chosen]
    ids = np.array([c[1] for c in picked] or [], dtype=object)
    employers = np.array([c[2] for c in picked] or [], dtype=object)
    scores = np.array([-c[0] for c in picked], dtype=np.float64)
    flags = np.array(
        [
            (_LOW if c[3] else 0) | (_EXPLORE if i in explore else 0)
            for c, i in zip(picked, chosen, strict=True)
        ],
        dtype=np.uint8,
    )
    return TopKList(
        ids,
        employers,
        scores,
        flags,
        capped,
        k,
        cap,
        n_explore,
        trace.main_stop if trace.main_full else None,
        trace.explore_stop if trace.explore_full else None,
    )


def _check(params: tuple[int, int, int]) -> None:
    k, cap, n_explore = params
    if k < 1 or cap < 1 or not 0 <= n_explore < k:
        raise ValueError(f"need k >= 1, max_per_employer >= 1 and 0 <= n_explore < k; got {params}")


def top_k(
    posting_ids: Sequence[str] | npt.NDArray[np.object_],
    employer_ids: Sequence[str] | npt.NDArray[np.object_],
    scores: Sequence[float] | npt.NDArray[np.float64],
    low_exposure: Sequence[bool] | npt.NDArray[np.bool_] | None = None,
    *,
    k: int = K,
    max_per_employer: int = MAX_PER_EMPLOYER,
    n_explore: int = N_EXPLORE,
) -> TopKList:
    """The top-``k`` list of a candidate set, from scratch (see the module docstring).

    Parameters
    ----------
    posting_ids, employer_ids, scores
        The candidates, one entry each, in any order; posting ids unique.
    low_exposure
        Per candidate: little exposed, may take an exploration slot (default all False).
    k
        List length.
    max_per_employer
        Diversity cap: at most this many postings of one employer.
    n_explore
        Exploration slots among the ``k``.

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3", "P4"], ["E1", "E2", "E3", "E4"], [0.9, 0.8, 0.7, 0.1],
    ...             [False, False, False, True], k=3, n_explore=1)
    >>> lst.ids(), lst.explored()
    (['P1', 'P2', 'P4'], ['P4'])
    """
    _check((k, max_per_employer, n_explore))
    s = np.asarray(scores, dtype=np.float64)
    ids = np.asarray(posting_ids, dtype=object)
    emps = np.asarray(employer_ids, dtype=object)
    low = (
        np.zeros(len(s), dtype=np.bool_)
        if low_exposure is None
        else np.asarray(low_exposure, dtype=np.bool_)
    )
    n = len(s)
    low_idx = np.flatnonzero(low)
    depth = max(4 * k, 256)
    while True:
        # Sort only the best candidates (all ties at the cut included), and the best
        # little-exposed ones for the exploration pass; go deeper if a pass runs dry.
        main_part = _best(s, np.arange(n), depth)
        low_part = _best(s, low_idx, depth)
        pick = np.union1d(main_part, low_part)
        seq = sorted((-float(s[i]), str(ids[i]), str(emps[i]), bool(low[i])) for i in pick.tolist())
        low_seq = _lows(seq)
        trace = _select(seq, low_seq, k, max_per_employer, n_explore)
        # The main pass saw every candidate up to the worst of `main_part`; beyond it `seq`
        # holds only little-exposed ones, so the main pass must have stopped before.
        main_ok = len(main_part) == n or (
            trace.main_full
            and trace.main_stop <= max((-float(s[i]), str(ids[i])) for i in main_part.tolist())
        )
        explore_ok = trace.explore_full or len(low_part) == len(low_idx)
        if main_ok and explore_ok:
            break
        depth *= 4
    return _build(seq, trace, frozenset(trace.capped), k, max_per_employer, n_explore)


def _best(scores: npt.NDArray[np.float64], idx: npt.NDArray[Any], depth: int) -> npt.NDArray[Any]:
    if len(idx) <= depth:
        return idx
    sub = scores[idx]
    threshold = np.partition(sub, len(sub) - depth)[len(sub) - depth]
    best: npt.NDArray[Any] = idx[sub >= threshold]
    return best


def _key(cand: _Cand) -> Key:
    return (cand[0], cand[1])


def _lows(seq: Sequence[_Cand]) -> list[int]:
    return [i for i, c in enumerate(seq) if c[3]]


def _incremental(current: TopKList, old_seq: list[_Cand], new_seq: list[_Cand]) -> TopKList | None:
    k, cap, n_explore = current.k, current.max_per_employer, current.n_explore
    old = _select(old_seq, _lows(old_seq), k, cap, n_explore)
    new = _select(new_seq, _lows(new_seq), k, cap, n_explore)
    if not _passes_hold(old, new, current.capped):
        return None
    capped = current.capped if new.capped <= current.capped else current.capped | new.capped
    result = _build(new_seq, new, capped, k, cap, n_explore)
    # Same items (e.g. a newcomer refused by the diversity cap): keep the caller's object,
    # so "nothing changed" is an identity test for the worker.
    return current if capped == current.capped and result == current else result


def _passes_hold(old: _Trace, new: _Trace, capped: frozenset[str]) -> bool:
    # Every candidate outside the list was refused by each pass, either because the pass
    # was full before reaching it or because its employer (then in `capped`) had reached
    # the cap before it. Both must still hold, no later than before, after the change.
    for full_o, stop_o, cap_o, full_n, stop_n, cap_n in (
        (old.main_full, old.main_stop, old.main_cap, new.main_full, new.main_stop, new.main_cap),
        (
            old.explore_full,
            old.explore_stop,
            old.explore_cap,
            new.explore_full,
            new.explore_stop,
            new.explore_cap,
        ),
    ):
        if full_o and not (full_n and stop_n <= stop_o):
            return False
        for employer in capped:
            reached = cap_o.get(employer)
            if reached is None:
                continue
            now = cap_n.get(employer)
            if now is not None and now <= reached:
                continue
            if full_n and stop_n <= reached:
                continue
            return False
    return True


def insert(current: TopKList, item: TopKItem) -> TopKList | None:
    """The list after ``item`` joins the candidates; None when the list alone cannot tell.

    ``item`` must be a candidate the list was not computed with, or an item of the list
    (its score or exposure changed). Returns ``current`` itself when the list is unchanged.

    Examples
    --------
    >>> lst = top_k(["P1", "P2"], ["E1", "E2"], [0.9, 0.5], k=2, n_explore=0)
    >>> insert(lst, TopKItem("P3", "E3", 0.1)) is lst  # below a full list: no change
    True
    >>> insert(lst, TopKItem("P3", "E3", 0.7)).ids()  # displaces the last item
    ['P1', 'P3']
    """
    pid = item.posting_id
    key: Key = (-float(item.score), pid)
    explore_slots = current.n_explore > 0 and item.low_exposure
    fast_reject = (
        current._main_stop is not None
        and key > current._main_stop
        and (
            not explore_slots or (current._explore_stop is not None and key > current._explore_stop)
        )
    )
    if fast_reject and pid not in current.posting_ids.tolist():
        return current
    old_seq = current._cands()
    seq = [c for c in old_seq if c[1] != pid]
    bisect.insort(seq, (key[0], pid, item.employer_id, bool(item.low_exposure)))
    return _incremental(current, old_seq, seq)


def remove(current: TopKList, posting_id: str) -> TopKList | None:
    """The list after ``posting_id`` leaves the candidates; None when it cannot tell.

    Examples
    --------
    >>> lst = top_k(["P1", "P2"], ["E1", "E2"], [0.9, 0.5], k=3, n_explore=0)
    >>> remove(lst, "P1").ids()  # a non-full list: nothing else could enter
    ['P2']
    >>> remove(lst, "P9") is lst
    True
    """
    if posting_id not in current.posting_ids.tolist():
        return current
    old_seq = current._cands()
    seq = [c for c in old_seq if c[1] != posting_id]
    return _incremental(current, old_seq, seq)


def without(current: TopKList, posting_id: str) -> TopKList:
    """``current`` with ``posting_id`` taken out and nothing moved up into its slot.

    Not a ranking: what to show while the seeker waits for the full re-rank that
    :func:`remove` asked for. Never pass the result to :func:`insert` or :func:`remove`
    (it no longer says which candidates were refused).

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3"], ["E1", "E2", "E3"], [0.9, 0.5, 0.1], k=2, n_explore=0)
    >>> remove(lst, "P1") is None  # P3 might move up, or a candidate the list never saw
    True
    >>> without(lst, "P1").ids()
    ['P2']
    """
    keep = current.posting_ids != posting_id
    return TopKList(
        current.posting_ids[keep],
        current.employer_ids[keep],
        current.scores[keep],
        current.flags[keep],
        current.capped,
        current.k,
        current.max_per_employer,
        current.n_explore,
    )
