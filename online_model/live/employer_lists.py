"""Per posting, this worker's best seekers for it: the employer lists (``reco:posting:{id}``).

Each worker holds, for every posting, the best ``size`` of its own seekers by the pair
score (readers merge the workers' members and take the first ``size``). Every method
returns the change to write, or None when the list did not change.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass

from online_model.live.changes import EmployerListChanged, EmployerListDropped
from online_model.recommend import top_seekers


class EmployerLists:
    def __init__(self, size: int) -> None:
        self.size = size
        self._members: dict[str, dict[str, float]] = {}  # posting -> seeker -> score
        self._member_of: dict[str, set[str]] = {}  # seeker -> postings listing them
        # posting -> a heap of its members, weakest on top (lazy: an entry whose seeker
        # is no longer a member with that score is dropped when it surfaces). Every re-rank
        # asks, for each of its 120 postings, whether the seeker beats the weakest member:
        # a scan per eviction was most of a re-rank's cost in a full market, the heap
        # makes an eviction O(log n). Dropped on any change but an offer (rebuilt lazily).
        self._heaps: dict[str, list[_Weak]] = {}
        # posting -> seeker -> score offered since a fan-out of the posting began (begin):
        # re-ranks that ran between its steps scored those seekers afresh.
        self._fresh: dict[str, dict[str, float]] = {}

    def members(self, posting_id: str) -> dict[str, float]:
        """A copy of this worker's members of ``posting_id``'s list (empty when none)."""
        return dict(self._members.get(posting_id, {}))

    def postings(self) -> list[str]:
        """The postings whose list holds seekers of this worker."""
        return [posting_id for posting_id, members in self._members.items() if members]

    def offer(
        self, posting_id: str, seeker_id: str, score: float, *, expire_at: int
    ) -> EmployerListChanged | None:
        """A freshly ranked seeker enters the list if they rank among its best ``size``
        (score descending, then seeker id: the order of
        :func:`online_model.recommend.top_seekers`), evicting the weakest member."""
        fresh = self._fresh.get(posting_id)
        if fresh is not None:
            fresh[seeker_id] = score
        members = self._members.setdefault(posting_id, {})
        if members.get(seeker_id) == score:
            return None
        evicted: tuple[str, ...] = ()
        heap = self._heaps.get(posting_id)
        if seeker_id in members:
            self._heaps.pop(posting_id, None)  # a member re-scored
            heap = None
        elif len(members) >= self.size:
            if heap is None:
                heap = self._heaps[posting_id] = [_Weak(v, k) for k, v in members.items()]
                heapq.heapify(heap)
            weakest = _top(heap, members)
            if (-score, seeker_id) >= (-weakest.score, weakest.seeker_id):
                return None
            heapq.heappop(heap)
            del members[weakest.seeker_id]
            self._member_of.get(weakest.seeker_id, set()).discard(posting_id)
            evicted = (weakest.seeker_id,)
        members[seeker_id] = score
        if heap is not None:
            heapq.heappush(heap, _Weak(score, seeker_id))
        self._member_of.setdefault(seeker_id, set()).add(posting_id)
        return EmployerListChanged(posting_id, {seeker_id: score}, evicted, expire_at)

    def replace(
        self, posting_id: str, members: Mapping[str, float], *, expire_at: int = 0
    ) -> EmployerListChanged | None:
        """The list becomes exactly ``members`` (a posting scored against every candidate)."""
        old = self._members.get(posting_id, {})
        removed = tuple(sid for sid in old if sid not in members)
        added = {sid: score for sid, score in members.items() if old.get(sid) != score}
        for sid in removed:
            self._member_of.get(sid, set()).discard(posting_id)
        for sid in added:
            self._member_of.setdefault(sid, set()).add(posting_id)
        self._members[posting_id] = dict(members)
        self._heaps.pop(posting_id, None)
        if not (removed or added):
            return None
        return EmployerListChanged(posting_id, added, removed, expire_at)

    def begin(self, posting_id: str) -> None:
        """A fan-out of ``posting_id`` begins: remember what is offered until :meth:`finish`."""
        self._fresh[posting_id] = {}

    def abandon(self, posting_id: str) -> None:
        """The fan-out stopped before its end (the posting closed or changed, a new model)."""
        self._fresh.pop(posting_id, None)

    def finish(
        self, posting_id: str, scored: list[tuple[str, float]], *, expire_at: int = 0
    ) -> EmployerListChanged | None:
        """The fan-out scored ``scored``: the list becomes the best ``size`` of those and
        of what was offered meanwhile (a fresher score of the same seeker wins)."""
        merged = dict(scored)
        merged.update(self._fresh.pop(posting_id, {}))
        top = top_seekers(merged.items(), self.size)
        return self.replace(posting_id, dict(top), expire_at=expire_at)

    def remove(self, posting_id: str, seeker_id: str) -> EmployerListChanged | None:
        """The seeker leaves one list (applied already, or not interested)."""
        self._fresh.get(posting_id, {}).pop(seeker_id, None)
        members = self._members.get(posting_id)
        if not members or seeker_id not in members:
            return None
        return self.replace(posting_id, {k: v for k, v in members.items() if k != seeker_id})

    def withdraw(self, seeker_id: str) -> list[EmployerListChanged]:
        """The seeker leaves every list (deactivated)."""
        changes = []
        for fresh in self._fresh.values():
            fresh.pop(seeker_id, None)
        for posting_id in self._member_of.pop(seeker_id, set()):
            members = self._members.get(posting_id)
            self._heaps.pop(posting_id, None)
            if members is not None and members.pop(seeker_id, None) is not None:
                changes.append(EmployerListChanged(posting_id, remove=(seeker_id,)))
        return changes

    def forget(self, seeker_id: str) -> None:
        """Stop holding a seeker handed to another worker: their new owner writes Redis."""
        for fresh in self._fresh.values():
            fresh.pop(seeker_id, None)
        for posting_id in self._member_of.pop(seeker_id, set()):
            self._members.get(posting_id, {}).pop(seeker_id, None)
            self._heaps.pop(posting_id, None)

    def drop(self, posting_id: str) -> EmployerListDropped:
        """The posting closed: its list goes."""
        self._fresh.pop(posting_id, None)
        self._heaps.pop(posting_id, None)
        for seeker_id in self._members.pop(posting_id, {}):
            self._member_of.get(seeker_id, set()).discard(posting_id)
        return EmployerListDropped(posting_id)


@dataclass(frozen=True, slots=True)
class _Weak:
    """A heap entry: the weaker member sorts first (lower score; at equal scores the
    greater seeker id, which :func:`top_seekers` puts last)."""

    score: float
    seeker_id: str

    def __lt__(self, other: _Weak) -> bool:
        if self.score != other.score:
            return self.score < other.score
        return self.seeker_id > other.seeker_id


def _top(heap: list[_Weak], members: dict[str, float]) -> _Weak:
    """The weakest current member, dropping entries of members gone or re-scored."""
    while True:
        entry = heap[0]
        if members.get(entry.seeker_id) == entry.score:
            return entry
        heapq.heappop(heap)
