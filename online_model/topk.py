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

**The window and its reserve.** The streaming path keeps each seeker's list and updates it
with :func:`insert` and :func:`remove`, which return the new list when what the list knows
decides it, or None ("re-rank this seeker fully"). What a list knows is its *window*: the
list itself plus a small **reserve** of the next-best candidates (at most ``reserve``, kept
in memory only), bounded by two keys: every candidate up to ``main_bound`` is in the window,
and every little-exposed one up to ``low_bound``; except, for an employer in ``holes``, its
candidates after the hole's key (the reserve keeps at most :data:`RESERVE_PER_EMPLOYER` of
the candidates an employer's cap left out, and fewer than half its room for them). Both
passes run over the window; the result is exact when each pass stopped inside its bound and
every hole employer reached the cap before its hole. A removed list item is thus replaced
by the best reserve item the passes take, with its score, at no ranking cost, until the
reserve runs out; a candidate that lands in the reserve's range is kept there, and one the
list pushes out goes to the reserve. With ``reserve=0`` the window is the list alone (what
this module did before the reserve). Whenever they return a list it equals :func:`top_k` on
the changed candidate set, and its reserve is exactly the window's next-best candidates
(property-tested).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

K = 120
MAX_PER_EMPLOYER = 3
N_EXPLORE = 4
# The reserve a live list keeps by default (LiveConfig.seeker_list_reserve); top_k's own
# default is none, so an offline ranking costs nothing more.
RESERVE = 12
# Candidates left out by an employer's cap that the reserve keeps, per employer: enough for
# that employer's next close or two, without letting one big employer fill the reserve.
RESERVE_PER_EMPLOYER = 2

_LOW = 1
_EXPLORE = 2

Key = tuple[float, str]
_MIN_KEY: Key = (float("-inf"), "")
_MAX_KEY: Key = (float("inf"), "")


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

    @property
    def main_reach(self) -> Key:
        """The last candidate the main pass looked at (all of them when it is not full)."""
        return self.main_stop if self.main_full else _MAX_KEY

    @property
    def explore_reach(self) -> Key:
        return self.explore_stop if self.explore_full else _MAX_KEY


def _select(
    seq: Sequence[_Cand], low_seq: Sequence[int], k: int, cap: int, n_explore: int
) -> _Trace:
    """Both greedy passes. ``low_seq``: indexes into ``seq`` of the little-exposed, in order."""
    m_limit = k - n_explore
    counts: dict[str, int] = {}
    main: list[int] = []
    main_cap: dict[str, Key] = {}
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
    explore_full = len(explore) == n_explore
    explore_stop = _key(seq[explore[-1]]) if explore_full and explore else _MIN_KEY
    return _Trace(
        main, explore, main_full, main_stop, explore_full, explore_stop, main_cap, explore_cap
    )


def _bound(bound: Key | None) -> Key:
    return _MAX_KEY if bound is None else bound


def _exact(
    trace: _Trace, main_bound: Key | None, low_bound: Key | None, holes: Mapping[str, Key]
) -> bool:
    """Whether both passes, run over a window, decided what they would over every candidate:
    each stopped inside its bound, and each hole employer was at the cap (in each pass that
    went past its hole) no later than its hole, so none of its unseen candidates counts."""
    main_reach, explore_reach = trace.main_reach, trace.explore_reach
    if main_reach > _bound(main_bound) or explore_reach > _bound(low_bound):
        return False
    for employer, hole in holes.items():
        for reach, caps in ((main_reach, trace.main_cap), (explore_reach, trace.explore_cap)):
            if reach <= hole:
                continue
            at_cap = caps.get(employer)
            if at_cap is None or at_cap > hole:
                return False
    return True


@dataclass(frozen=True, slots=True, eq=False)
class TopKList:
    """A seeker's ranked list and its reserve: parallel arrays, the list (by (score desc,
    posting id)) first, then the reserve in the same order.

    Compact on purpose (the worker holds one per seeker): four numpy arrays rather than a
    Python object per item. ``posting_ids``, ``employer_ids``, ``scores`` and ``flags`` are
    the list; the reserve and the window's bounds and holes (see the module docstring) are
    what :func:`insert`/:func:`remove` need. Two lists are equal when they hold the same
    items in the same order with the same flags and parameters, whatever their reserve.

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3", "P4"], ["E1", "E1", "E2", "E3"], [0.9, 0.8, 0.7, 0.1],
    ...             k=2, max_per_employer=1, n_explore=0, reserve=1)
    >>> lst.ids(), lst.reserve_ids()
    (['P1', 'P3'], ['P4'])
    """

    _ids: npt.NDArray[np.object_]
    _employers: npt.NDArray[np.object_]
    _scores: npt.NDArray[np.float64]
    _flags: npt.NDArray[np.uint8]
    _n: int  # items of the list; the rest is the reserve
    k: int = K
    max_per_employer: int = MAX_PER_EMPLOYER
    n_explore: int = N_EXPLORE
    reserve: int = 0  # the most reserve items kept
    _main_bound: Key | None = field(default=_MIN_KEY, repr=False)  # None: every candidate
    _low_bound: Key | None = field(default=_MIN_KEY, repr=False)
    _holes: tuple[tuple[str, Key], ...] = field(default=(), repr=False)
    # False for a list that lost items it could not replace (:func:`without`).
    exact: bool = True

    @property
    def posting_ids(self) -> npt.NDArray[np.object_]:
        return self._ids[: self._n]

    @property
    def employer_ids(self) -> npt.NDArray[np.object_]:
        return self._employers[: self._n]

    @property
    def scores(self) -> npt.NDArray[np.float64]:
        return self._scores[: self._n]

    @property
    def flags(self) -> npt.NDArray[np.uint8]:
        return self._flags[: self._n]

    @property
    def holes(self) -> dict[str, Key]:
        """Employers of which candidates after the key may be missing from the window."""
        return dict(self._holes)

    def __len__(self) -> int:
        return self._n

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self.posting_ids.tolist()

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
        ids: list[str] = self.posting_ids.tolist()
        return ids

    def items(self) -> list[TopKItem]:
        """The items, best first."""
        return self._items(0, self._n)

    def reserve_ids(self) -> list[str]:
        """Posting ids of the reserve, best first (not shown; they move up as items leave)."""
        ids: list[str] = self._ids[self._n :].tolist()
        return ids

    def reserve_items(self) -> list[TopKItem]:
        return self._items(self._n, len(self._ids))

    def window_ids(self) -> list[str]:
        """The list's and the reserve's posting ids: every candidate a change to which can
        change the list without a full ranking."""
        ids: list[str] = self._ids.tolist()
        return ids

    def entry_score(self, low_exposure: bool) -> float:
        """The lowest score at which a candidate not in the window can change it: one scoring
        strictly below is left out by :func:`insert` without a look at the window (a tie
        goes to ``insert``, where the posting id breaks it). ``-inf`` when any score may
        (a list that is not exact, or whose window holds every candidate).

        >>> lst = top_k(["P1", "P2", "P3"], ["E1", "E2", "E3"], [0.9, 0.5, 0.2], k=2,
        ...             n_explore=0, reserve=0)
        >>> lst.entry_score(False)
        0.5
        """
        if not self.exact or self._main_bound is None:
            return float("-inf")
        entry = -self._main_bound[0]
        if low_exposure:
            if self._low_bound is None:
                return float("-inf")
            entry = min(entry, -self._low_bound[0])
        return entry

    def _items(self, start: int, stop: int) -> list[TopKItem]:
        return [
            TopKItem(str(p), str(e), float(s), bool(f & _LOW))
            for p, e, s, f in zip(
                self._ids[start:stop].tolist(),
                self._employers[start:stop].tolist(),
                self._scores[start:stop].tolist(),
                self._flags[start:stop].tolist(),
                strict=True,
            )
        ]

    def explored(self) -> list[str]:
        """Posting ids that hold an exploration slot."""
        return [str(p) for p, f in zip(self.posting_ids, self.flags, strict=True) if f & _EXPLORE]

    def _window(self) -> list[_Cand]:
        """The list and the reserve as candidates, in key order."""
        cands = [
            (-s, p, e, bool(f & _LOW))
            for p, e, s, f in zip(
                self._ids.tolist(),
                self._employers.tolist(),
                self._scores.tolist(),
                self._flags.tolist(),
                strict=True,
            )
        ]
        cands.sort()
        return cands

    def _same(self, other: TopKList) -> bool:
        return (
            self == other
            and self._ids.tolist() == other._ids.tolist()
            and self._employers.tolist() == other._employers.tolist()
            and self._scores.tolist() == other._scores.tolist()
            and self._flags.tolist() == other._flags.tolist()
            and (self._main_bound, self._low_bound, self._holes)
            == (other._main_bound, other._low_bound, other._holes)
        )

    def to_obj(self) -> dict[str, Any]:
        """JSON-able form (for a Faust table); :meth:`from_obj` restores it."""
        return {
            "ids": self.window_ids(),
            "employers": self._employers.tolist(),
            "scores": self._scores.tolist(),
            "flags": self._flags.tolist(),
            "n": self._n,
            "params": [self.k, self.max_per_employer, self.n_explore, self.reserve],
            "bounds": [None if b is None else list(b) for b in (self._main_bound, self._low_bound)],
            "holes": [[e, list(key)] for e, key in self._holes],
            "exact": self.exact,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> TopKList:
        """The list :meth:`to_obj` wrote."""
        k, cap, n_explore, reserve = (int(v) for v in obj["params"])
        main_bound, low_bound = (
            None if b is None else (float(b[0]), str(b[1])) for b in obj["bounds"]
        )
        return cls(
            np.array(obj["ids"], dtype=object),
            np.array(obj["employers"], dtype=object),
            np.array(obj["scores"], dtype=np.float64),
            np.array(obj["flags"], dtype=np.uint8),
            int(obj["n"]),
            k,
            cap,
            n_explore,
            reserve,
            main_bound,
            low_bound,
            tuple((str(e), (float(key[0]), str(key[1]))) for e, key in obj["holes"]),
            bool(obj["exact"]),
        )


def _assemble(
    seq: Sequence[_Cand],
    trace: _Trace,
    main_bound: Key | None,
    low_bound: Key | None,
    holes: Mapping[str, Key],
    params: tuple[int, int, int, int],
) -> TopKList:
    """The list the passes chose over the window ``seq``, with the reserve cut to size.

    Left-out candidates before a pass's stop (refused by an employer's cap) are kept, at
    most :data:`RESERVE_PER_EMPLOYER` per employer and half the reserve in all; the others
    become holes. After the stops the next candidates are kept while there is room (a
    quarter of it for the little-exposed past the exploration pass), and the bounds close
    at the last one kept.
    """
    k, cap, n_explore, reserve = params
    explore = set(trace.explore)
    selected = set(trace.main) | explore
    main_reach, explore_reach = trace.main_reach, trace.explore_reach
    holes = dict(holes)
    # Pass 1: the candidates the caps refused, before the stops.
    keep: list[int] = []
    dropped: set[int] = set()
    last_of: dict[str, Key] = {}
    per_employer: dict[str, int] = {}
    room_refused = reserve // 2
    for i, cand in enumerate(seq):
        key, employer = (cand[0], cand[1]), cand[2]
        if i in selected:
            last_of[employer] = key
            continue
        hole = holes.get(employer)
        if hole is not None and key > hole:
            dropped.add(i)  # past its employer's hole: never decides anything
        elif key < main_reach or (cand[3] and key < explore_reach):
            if per_employer.get(employer, 0) < RESERVE_PER_EMPLOYER and room_refused > 0:
                per_employer[employer] = per_employer.get(employer, 0) + 1
                room_refused -= 1
                keep.append(i)
                last_of[employer] = key
            else:
                holes[employer] = min(_bound(hole), last_of.get(employer, _MIN_KEY))
                dropped.add(i)
    # Pass 2: the next candidates past the stops, while there is room.
    room_low = reserve // 4 if n_explore else 0
    room_main = reserve - len(keep) - room_low
    kept_refused = set(keep)
    last_kept = _MIN_KEY
    main_open = low_open = True
    for i, cand in enumerate(seq):
        key = (cand[0], cand[1])
        if i in selected or i in kept_refused:
            last_kept = key
            continue
        if i in dropped:
            continue
        if main_open:
            if key <= _bound(main_bound) and room_main > 0:
                room_main -= 1
                keep.append(i)
                last_kept = key
                continue
            main_open = False
            if key <= _bound(main_bound):
                main_bound = last_kept
        if not low_open:
            break  # both bounds closed: nothing after can be selected or refused
        if not cand[3]:
            continue  # past the main bound: only the little-exposed matter
        if key <= _bound(low_bound) and room_low > 0:
            room_low -= 1
            keep.append(i)
            last_kept = key
            continue
        low_open = False
        if key <= _bound(low_bound):
            low_bound = last_kept
    if main_bound is None:
        low_bound = None  # every candidate is known, so every little-exposed one is
    elif low_bound is not None and low_bound < main_bound:
        low_bound = main_bound
    chosen = sorted(selected)
    picked = [seq[i] for i in chosen] + [seq[i] for i in sorted(keep)]
    flags = [
        (_LOW if c[3] else 0) | (_EXPLORE if i in explore else 0)
        for c, i in zip(picked, chosen, strict=False)
    ] + [_LOW if seq[i][3] else 0 for i in sorted(keep)]
    return TopKList(
        np.array([c[1] for c in picked] or [], dtype=object),
        np.array([c[2] for c in picked] or [], dtype=object),
        np.array([-c[0] for c in picked], dtype=np.float64),
        np.array(flags, dtype=np.uint8),
        len(chosen),
        k,
        cap,
        n_explore,
        reserve,
        main_bound,
        low_bound,
        tuple(sorted(holes.items())),
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
    reserve: int = 0,
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
    reserve
        Next-best candidates kept beside the list, so that :func:`remove` can fill the
        places of items that leave without a full ranking.

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3", "P4"], ["E1", "E2", "E3", "E4"], [0.9, 0.8, 0.7, 0.1],
    ...             [False, False, False, True], k=3, n_explore=1)
    >>> lst.ids(), lst.explored()
    (['P1', 'P2', 'P4'], ['P4'])
    """
    if reserve < 0:
        raise ValueError(f"need reserve >= 0; got {reserve}")
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
    depth = max(4 * (k + reserve), 256)
    while True:
        # Sort only the best candidates (all ties at the cut included), and the best
        # little-exposed ones for the exploration pass; go deeper if a pass runs dry.
        main_part = _best(s, np.arange(n), depth)
        low_part = _best(s, low_idx, depth)
        pick = np.union1d(main_part, low_part)
        seq = sorted((-float(s[i]), str(ids[i]), str(emps[i]), bool(low[i])) for i in pick.tolist())
        trace = _select(seq, _lows(seq), k, max_per_employer, n_explore)
        # The main pass saw every candidate up to the worst of `main_part`; beyond it `seq`
        # holds only little-exposed ones, so the main pass must have stopped before.
        main_bound: Key | None = None
        if len(main_part) < n:
            main_bound = max((-float(s[i]), str(ids[i])) for i in main_part.tolist())
        low_bound: Key | None = None
        if main_bound is not None and len(low_part) < len(low_idx):
            worst_low = max((-float(s[i]), str(ids[i])) for i in low_part.tolist())
            low_bound = max(main_bound, worst_low)
        if _exact(trace, main_bound, low_bound, {}):
            break
        depth *= 4
    return _assemble(
        seq, trace, main_bound, low_bound, {}, (k, max_per_employer, n_explore, reserve)
    )


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


def _changed(current: TopKList, seq: list[_Cand]) -> TopKList | None:
    """The list over the changed window ``seq``, or None when the window cannot decide."""
    params = (current.k, current.max_per_employer, current.n_explore)
    trace = _select(seq, _lows(seq), *params)
    holes = current.holes
    if not _exact(trace, current._main_bound, current._low_bound, holes):
        return None
    result = _assemble(
        seq, trace, current._main_bound, current._low_bound, holes, (*params, current.reserve)
    )
    # Nothing changed (e.g. a newcomer refused by the diversity cap): keep the caller's
    # object, so "nothing changed" is an identity test for the worker.
    return current if result._same(current) else result


def insert(current: TopKList, item: TopKItem) -> TopKList | None:
    """The list after ``item`` joins the candidates; None when the list alone cannot tell.

    ``item`` is a new candidate, or one whose score or exposure changed (in the list, the
    reserve, or neither). Returns ``current`` itself when nothing changed; a new list when
    only the reserve did (the shown items are then equal).

    Examples
    --------
    >>> lst = top_k(["P1", "P2", "P3"], ["E1", "E2", "E3"], [0.9, 0.5, 0.2], k=2, n_explore=0)
    >>> insert(lst, TopKItem("P4", "E4", 0.1)) is lst  # below a full list: no change
    True
    >>> insert(lst, TopKItem("P4", "E4", 0.7)).ids()  # displaces the last item
    ['P1', 'P4']

    With a reserve, the item pushed out of the list is kept in it:

    >>> lst = top_k(["P1", "P2", "P3"], ["E1", "E2", "E3"], [0.9, 0.5, 0.1], k=2,
    ...             n_explore=0, reserve=1)
    >>> after = insert(lst, TopKItem("P4", "E4", 0.7))
    >>> after.ids(), after.reserve_ids()
    (['P1', 'P4'], ['P2'])
    """
    if not current.exact:
        return None
    pid = item.posting_id
    key: Key = (-float(item.score), pid)
    low = bool(item.low_exposure)
    inside = key <= _bound(current._main_bound) or (low and key <= _bound(current._low_bound))
    if inside and current._holes:
        hole = current.holes.get(item.employer_id)
        inside = hole is None or key <= hole  # past its employer's hole: decides nothing
    if not inside and pid not in current._ids.tolist():
        return current
    seq = [c for c in current._window() if c[1] != pid]
    if inside:
        bisect.insort(seq, (key[0], pid, item.employer_id, low))
    return _changed(current, seq)


def remove(current: TopKList, posting_id: str) -> TopKList | None:
    """The list after ``posting_id`` leaves the candidates; None when it cannot tell.

    The best reserve candidate the passes take moves up into the freed place.

    Examples
    --------
    >>> lst = top_k(["P1", "P2"], ["E1", "E2"], [0.9, 0.5], k=3, n_explore=0)
    >>> remove(lst, "P1").ids()  # a non-full list: nothing else could enter
    ['P2']
    >>> remove(lst, "P9") is lst
    True
    >>> lst = top_k(["P1", "P2", "P3", "P4"], ["E1", "E2", "E3", "E4"], [0.9, 0.5, 0.3, 0.1],
    ...             k=2, n_explore=0, reserve=1)
    >>> lst.reserve_ids(), remove(lst, "P1").ids()  # P3 moves up from the reserve
    (['P3'], ['P2', 'P3'])
    >>> remove(remove(lst, "P1"), "P2") is None  # the reserve ran out: P4 is not known
    True
    """
    window = current._ids.tolist()
    if posting_id not in window:
        return current
    if not current.exact:
        return None
    at = window.index(posting_id)
    if at >= current._n:
        # A reserve item the passes did not take: the list stays, the reserve loses it.
        return _without_reserve_item(current, at)
    seq = [c for c in current._window() if c[1] != posting_id]
    return _changed(current, seq)


def _without_reserve_item(current: TopKList, at: int) -> TopKList:
    return TopKList(
        np.delete(current._ids, at),
        np.delete(current._employers, at),
        np.delete(current._scores, at),
        np.delete(current._flags, at),
        current._n,
        current.k,
        current.max_per_employer,
        current.n_explore,
        current.reserve,
        current._main_bound,
        current._low_bound,
        current._holes,
    )


def without(current: TopKList, posting_id: str) -> TopKList:
    """``current`` with ``posting_id`` taken out and nothing moved up into its slot.

    Not a ranking: what to show while the seeker waits for the full re-rank that
    :func:`remove` asked for. :func:`insert` and :func:`remove` answer None for it (it no
    longer says which candidates were refused).

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
        int(keep.sum()),
        current.k,
        current.max_per_employer,
        current.n_explore,
        current.reserve,
        exact=False,
    )
