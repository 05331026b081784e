"""Item-to-item neighbours: "seekers who engaged with X also engaged with Y".

Learned online from the interaction stream. A seeker's first positive engagement (click,
save, apply, hire) with a posting X makes one :class:`CoEngagement`: X and the seeker's
earlier distinct positively engaged postings (the *partners*, at most ``MAX_PARTNERS``, the
most recent first, within ``WINDOW_MS`` before it). Only the worker that owns the seeker
sees their history, so that worker makes the record; every worker (and every replay) folds
every record into its own :class:`NeighbourIndex`, in the same order, and so holds the same
neighbours (docs/model.md, "Item-to-item neighbours").

The index keeps, with a time decay that halves every ``HALF_LIFE_MS`` (14 days):

* ``n(X)``: seekers who engaged with X;
* ``c(X, Y)``: seekers who engaged with both (symmetric), at most ``MAX_NEIGHBOURS`` per
  posting (the heaviest; the lightest go first when a posting has more);

and at most ``MAX_POSTINGS`` postings (the least engaged go first). The similarity is a
cosine shrunk towards 0 for thin evidence, in [0, 1):

    sim(X, Y) = c(X, Y) / (sqrt(n(X) n_X(Y)) + SHRINK)

so a posting everybody clicks is not everybody's neighbour. ``n_X(Y)`` is n(Y) as of the
last record that paired X with Y, kept in X's row: a record then changes the neighbours of
its own postings and of no other, so a worker knows exactly whose lists to re-rank (with
the current n(Y), every row holding Y would change whenever Y is engaged with, and with
rows pruned one by one those rows cannot all be found from Y). A seeker's neighbour score of
a posting Y (:func:`neighbour_scores`, the feature ``item_neighbour``) is the mean of
sim(X, Y) over the seeker's engaged postings X, weighted as the implicit profile weighs
them (action and recency).

Counts are stored scaled to the time of the index's first record (a fixed reference,
moved forward in whole steps by the records themselves), so folding a record costs
O(partners) and never rescales the whole index; the same records in the same order give
bit-identical scores on every worker. Records are idempotent by ``event_id`` (the last
``RECENT_EVENT_IDS`` are remembered): a record produced twice (a worker crashed between
producing it and committing its interaction) counts once.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from online_model.context import DAY_MS
from online_model.history import SeekerHistory
from schemas.interactions import Interaction

POSITIVE_ACTIONS = frozenset({"click", "save", "apply", "hire"})
HALF_LIFE_MS = 14 * DAY_MS
WINDOW_MS = 30 * DAY_MS
MAX_PARTNERS = 20
MAX_NEIGHBOURS = 50
TOP_NEIGHBOURS = 20
MAX_POSTINGS = 200_000
RECENT_EVENT_IDS = 100_000
SHRINK = 1.0
# The reference time moves by this many half-lives at once, keeping scaled counts finite.
_REBASE_HALF_LIVES = 256


@dataclass(frozen=True, slots=True)
class CoEngagement:
    """One seeker's first positive engagement with ``posting_id``, and their partners.

    Examples
    --------
    >>> r = CoEngagement("ev1", 5, "P2", ("P1",))
    >>> CoEngagement.from_obj(r.to_obj()) == r
    True
    """

    event_id: str
    ts: int
    posting_id: str
    partners: tuple[str, ...] = ()

    def to_obj(self) -> dict[str, Any]:
        """The JSON-able form carried by the neighbour topic."""
        return {
            "v": 1,
            "event_id": self.event_id,
            "ts": self.ts,
            "posting_id": self.posting_id,
            "partners": list(self.partners),
        }

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> CoEngagement:
        """The record :meth:`to_obj` wrote.

        Raises
        ------
        ValueError
            When ``obj`` is not such a dict.
        """
        try:
            partners = obj.get("partners", ())
            if not isinstance(partners, list | tuple):
                raise TypeError("partners is not a list")
            return cls(
                event_id=str(obj["event_id"]),
                ts=int(obj["ts"]),
                posting_id=str(obj["posting_id"]),
                partners=tuple(str(p) for p in partners),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(
                f"not a co-engagement record ({err!r}): expected the dict to_obj() writes"
            ) from None


def co_engagement(history: SeekerHistory, interaction: Interaction) -> CoEngagement | None:
    """The record an interaction makes, given the seeker's history *before* it.

    None unless it is the seeker's first positive engagement with the posting (a click
    then an apply counts the pair once).

    Examples
    --------
    >>> from schemas.interactions import Interaction
    >>> h = SeekerHistory(engagements=(("P1", "click", 1), ("P2", "dismiss", 2),
    ...                                ("P3", "apply", 3), ("P1", "save", 4)))
    >>> co_engagement(h, Interaction("e9", 10, "S1", "P4", "click"))
    CoEngagement(event_id='e9', ts=10, posting_id='P4', partners=('P3', 'P1'))
    >>> co_engagement(h, Interaction("e9", 10, "S1", "P3", "click")) is None  # again
    True
    >>> co_engagement(h, Interaction("e9", 10, "S1", "P4", "impression")) is None
    True
    """
    if interaction.action not in POSITIVE_ACTIONS:
        return None
    pid = interaction.posting_id
    ts = int(interaction.ts)
    partners: list[str] = []
    seen: set[str] = set()
    for other, action, at in reversed(history.engagements):
        if action not in POSITIVE_ACTIONS:
            continue
        if other == pid:
            return None
        if other in seen or ts - at > WINDOW_MS:
            continue
        seen.add(other)
        partners.append(other)
    # The most recent MAX_PARTNERS (by their latest engagement) kept, oldest first.
    return CoEngagement(interaction.event_id, ts, pid, tuple(reversed(partners[:MAX_PARTNERS])))


class NeighbourIndex:
    """Decayed, bounded co-engagement counts over every seeker (see the module docstring).

    Parameters
    ----------
    half_life_ms
        Counts halve in weight every this many milliseconds of event time.
    max_neighbours
        Co-engaged postings kept per posting.
    max_postings
        Postings kept in all.
    shrink
        Added to the cosine's denominator: thin evidence scores low.

    Examples
    --------
    >>> idx = NeighbourIndex()
    >>> for i, pair in enumerate([("P1", "P2"), ("P1", "P2"), ("P1", "P3")]):
    ...     _ = idx.learn_one(CoEngagement(f"e{i}a", 0, pair[0]))
    ...     _ = idx.learn_one(CoEngagement(f"e{i}b", 0, pair[1], (pair[0],)))
    >>> [(p, round(s, 3)) for p, s in idx.neighbours("P1", now_ms=0)]
    [('P2', 0.58), ('P3', 0.366)]
    >>> idx.learn_one(CoEngagement("e0a", 0, "P1"))  # a repeated record counts once
    False
    >>> later = idx.neighbours("P1", now_ms=HALF_LIFE_MS)  # older evidence weighs less
    >>> round(later[0][1], 3)
    0.449
    """

    def __init__(
        self,
        *,
        half_life_ms: float = HALF_LIFE_MS,
        max_neighbours: int = MAX_NEIGHBOURS,
        max_postings: int = MAX_POSTINGS,
        shrink: float = SHRINK,
    ) -> None:
        self.half_life_ms = float(half_life_ms)
        self.max_neighbours = max_neighbours
        self.max_postings = max_postings
        self.shrink = shrink
        self._epoch: float | None = None
        self._engaged: dict[str, float] = {}  # n(X), scaled to the epoch
        # X -> Y -> [c(X, Y), n_X(Y)], scaled to the epoch
        self._pairs: dict[str, dict[str, list[float]]] = {}
        self._versions: dict[str, int] = {}  # per posting: +1 when its neighbours change
        self._recent: OrderedDict[str, None] = OrderedDict()
        self.records = 0
        self.generation = 0  # +1 per rebase

    def __len__(self) -> int:
        return len(self._engaged)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._engaged

    def version_of(self, posting_id: str) -> tuple[int, int]:
        """Changes whenever ``posting_id``'s neighbours may have changed ((0, 0): never
        seen); the first part counts the index's rebases, which round every count."""
        return self.generation, self._versions.get(posting_id, 0)

    def _scale(self, ts: float) -> float:
        assert self._epoch is not None
        return math.exp2((ts - self._epoch) / self.half_life_ms)

    def learn_one(self, record: CoEngagement) -> bool:
        """Fold one record in; False when its ``event_id`` was folded before."""
        if record.event_id in self._recent:
            return False
        self._recent[record.event_id] = None
        if len(self._recent) > RECENT_EVENT_IDS:
            self._recent.popitem(last=False)
        self.records += 1
        ts = float(record.ts)
        if self._epoch is None:
            self._epoch = ts
        elif (ts - self._epoch) / self.half_life_ms > _REBASE_HALF_LIVES:
            self._rebase(ts)
        w = self._scale(ts)
        x = record.posting_id
        self._engaged[x] = self._engaged.get(x, 0.0) + w
        self._touch(x)
        for y in record.partners:
            if y == x:
                continue
            self._add(x, y, w)
            self._add(y, x, w)
            self._touch(y)
        if len(self._engaged) > self.max_postings * 1.25:
            self._prune_postings()
        return True

    def _touch(self, posting_id: str) -> None:
        self._versions[posting_id] = self._versions.get(posting_id, 0) + 1

    def _add(self, x: str, y: str, w: float) -> None:
        row = self._pairs.setdefault(x, {})
        entry = row.get(y)
        n_y = self._engaged.get(y, 0.0)
        if entry is None:
            row[y] = [w, n_y]
        else:
            entry[0] += w
            entry[1] = n_y
        if len(row) > 2 * self.max_neighbours:
            # Amortised: trim to the heaviest once the row has doubled (ties by id).
            kept = sorted(row.items(), key=lambda kv: (-kv[1][0], kv[0]))[: self.max_neighbours]
            self._pairs[x] = dict(kept)

    def _prune_postings(self) -> None:
        ranked = sorted(self._engaged.items(), key=lambda kv: (-kv[1], kv[0]))
        for pid, _ in ranked[self.max_postings :]:
            del self._engaged[pid]
            self._pairs.pop(pid, None)
            self._touch(pid)

    def _rebase(self, ts: float) -> None:
        assert self._epoch is not None
        steps = math.floor((ts - self._epoch) / self.half_life_ms)
        factor = math.exp2(-steps)
        self._epoch += steps * self.half_life_ms
        self.generation += 1
        self._engaged = {p: n * factor for p, n in self._engaged.items()}
        self._pairs = {
            x: {y: [c * factor, n * factor] for y, (c, n) in row.items()}
            for x, row in self._pairs.items()
        }

    def similarity(self, x: str, y: str, *, now_ms: int) -> float:
        """sim(X, Y) at ``now_ms`` (0 for postings not co-engaged)."""
        entry = self._pairs.get(x, {}).get(y)
        if entry is None:
            return 0.0
        return self._sim(entry, x, self._scale(float(now_ms)))

    def _sim(self, entry: list[float], x: str, scale: float) -> float:
        c, n_y = entry
        return c / (math.sqrt(self._engaged.get(x, 0.0) * n_y) + self.shrink * scale)

    def neighbours(
        self, posting_id: str, *, now_ms: int, k: int = TOP_NEIGHBOURS
    ) -> list[tuple[str, float]]:
        """The ``k`` most similar postings to ``posting_id``: (id, sim), best first, ties by id."""
        row = self._pairs.get(posting_id)
        if not row or self._epoch is None:
            return []
        scale = self._scale(float(now_ms))
        scored = [(y, self._sim(entry, posting_id, scale)) for y, entry in row.items()]
        scored.sort(key=lambda ys: (-ys[1], ys[0]))
        return scored[:k]

    def to_obj(self, posting_id: str, *, now_ms: int) -> list[list[Any]]:
        """``posting_id``'s neighbours as a small JSON list ``[[id, sim], ...]``."""
        return [[y, round(s, 6)] for y, s in self.neighbours(posting_id, now_ms=now_ms)]


def neighbour_scores(
    index: NeighbourIndex | None, engaged: Mapping[str, float], *, now_ms: int
) -> dict[str, float]:
    """Per posting, the seeker's neighbour score: mean sim to their engaged postings.

    Parameters
    ----------
    index
        The shared neighbour index (None: no scores).
    engaged
        Engaged posting id to its weight (the implicit profile's action x recency).
    now_ms
        The ranking time.

    Examples
    --------
    >>> idx = NeighbourIndex()
    >>> idx.learn_one(CoEngagement("a", 0, "P1"))
    True
    >>> idx.learn_one(CoEngagement("b", 0, "P2", ("P1",)))
    True
    >>> scores = neighbour_scores(idx, {"P1": 3.0, "P9": 1.0}, now_ms=0)  # P9: no neighbours
    >>> {p: round(s, 3) for p, s in scores.items()}
    {'P2': 0.375}
    """
    total = sum(engaged.values())
    if index is None or total <= 0.0 or len(index) == 0:
        return {}
    acc: dict[str, float] = {}
    for x in sorted(engaged):
        w = engaged[x]
        for y, s in index.neighbours(x, now_ms=now_ms):
            acc[y] = acc.get(y, 0.0) + w * s
    return {y: min(1.0, v / total) for y, v in sorted(acc.items())}


def fold(index: NeighbourIndex, records: Iterable[CoEngagement]) -> NeighbourIndex:
    """Fold ``records`` into ``index`` in order; returns the index (for one-liners)."""
    for record in records:
        index.learn_one(record)
    return index
