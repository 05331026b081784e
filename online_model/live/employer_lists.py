"""Per posting, this worker's best seekers for it: the employer lists (``reco:posting:{id}``).

Each worker holds, for every posting, the best ``size`` of its own seekers by the pair
score (readers merge the workers' members and take the first ``size``). Every method
returns the change to write, or None when the list did not change.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping

from online_model.live.changes import EmployerListChanged, EmployerListDropped
from online_model.numbering import NumberBag, Numbering, position
from online_model.recommend import top_seekers


class EmployerLists:
    def __init__(self, size: int, seeker_numbers: Numbering | None = None) -> None:
        self.size = size
        # Seekers and postings by number: a worker holds ``size`` members for every open
        # posting, a few hundred entries per seeker at the national scale, and as numbers
        # they cost 4 bytes each (12 with the score) instead of ~50 to ~100.
        self._seekers = seeker_numbers if seeker_numbers is not None else Numbering()
        self._postings = Numbering()
        self._members: dict[str, _Members] = {}  # posting -> its members
        self._member_of: dict[str, NumberBag] = {}  # seeker -> postings listing them
        # posting -> seeker -> score offered since a fan-out of the posting began (begin):
        # re-ranks that ran between its steps scored those seekers afresh.
        self._fresh: dict[str, dict[str, float]] = {}

    def members(self, posting_id: str) -> dict[str, float]:
        """A copy of this worker's members of ``posting_id``'s list (empty when none)."""
        members = self._members.get(posting_id)
        if members is None:
            return {}
        names = self._seekers.names(members.seekers.tolist())
        return dict(zip(names, members.scores.tolist(), strict=True))

    def postings(self) -> list[str]:
        """The postings whose list holds seekers of this worker."""
        return [posting_id for posting_id, members in self._members.items() if len(members)]

    def offer(
        self, posting_id: str, seeker_id: str, score: float, *, expire_at: int
    ) -> EmployerListChanged | None:
        """A freshly ranked seeker enters the list if they rank among its best ``size``
        (score descending, then seeker id: the order of
        :func:`online_model.recommend.top_seekers`), evicting the weakest member."""
        fresh = self._fresh.get(posting_id)
        if fresh is not None:
            fresh[seeker_id] = score
        members = self._members.get(posting_id)
        if members is None:
            members = self._members[posting_id] = _Members()
        seeker = self._seekers.number(seeker_id)
        at = position(members.seekers, seeker)
        if at >= 0:
            if members.scores[at] == score:
                return None
            members.put(at, seeker, score)  # a member re-scored
            return EmployerListChanged(posting_id, {seeker_id: score}, (), expire_at)
        evicted: tuple[str, ...] = ()
        if len(members) >= self.size:
            weakest = members.weakest(self._seekers)
            weakest_id = self._seekers.name(members.seekers[weakest])
            if (-score, seeker_id) >= (-members.scores[weakest], weakest_id):
                return None
            members.put(weakest, seeker, score)
            self._unlist(weakest_id, posting_id)
            evicted = (weakest_id,)
        else:
            members.append(seeker, score)
        self._list(seeker_id, posting_id)
        return EmployerListChanged(posting_id, {seeker_id: score}, evicted, expire_at)

    def replace(
        self, posting_id: str, members: Mapping[str, float], *, expire_at: int = 0
    ) -> EmployerListChanged | None:
        """The list becomes exactly ``members`` (a posting scored against every candidate)."""
        old = self.members(posting_id)
        removed = tuple(sorted(sid for sid in old if sid not in members))
        added = {sid: score for sid, score in members.items() if old.get(sid) != score}
        for sid in removed:
            self._unlist(sid, posting_id)
        new = self._members[posting_id] = _Members()
        for sid, score in members.items():
            if sid not in old:
                self._list(sid, posting_id)
            new.append(self._seekers.number(sid), score)
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
        members = self.members(posting_id)
        if seeker_id not in members:
            return None
        del members[seeker_id]
        return self.replace(posting_id, members)

    def withdraw(self, seeker_id: str) -> list[EmployerListChanged]:
        """The seeker leaves every list (deactivated)."""
        return [
            EmployerListChanged(posting_id, remove=(seeker_id,))
            for posting_id in self.forget(seeker_id)
        ]

    def forget(self, seeker_id: str) -> list[str]:
        """Stop holding a seeker handed to another worker (their new owner writes Redis);
        returns the postings whose list they left, in id order."""
        for fresh in self._fresh.values():
            fresh.pop(seeker_id, None)
        listed = self._member_of.pop(seeker_id, None)
        seeker = self._seekers.find(seeker_id)
        if listed is None or seeker is None:
            return []
        left = []
        for posting_id in sorted(self._postings.names(listed.tolist())):
            members = self._members.get(posting_id)
            if members is not None and members.discard(seeker):
                left.append(posting_id)
        return left

    def drop(self, posting_id: str) -> EmployerListDropped:
        """The posting closed: its list goes."""
        self._fresh.pop(posting_id, None)
        members = self._members.pop(posting_id, None)
        if members is not None:
            for seeker_id in self._seekers.names(members.seekers.tolist()):
                self._unlist(seeker_id, posting_id)
        self._postings.release(posting_id)
        return EmployerListDropped(posting_id)

    def _list(self, seeker_id: str, posting_id: str) -> None:
        """The seeker entered the posting's list (they were not in it)."""
        listed = self._member_of.get(seeker_id)
        if listed is None:
            listed = self._member_of[seeker_id] = NumberBag()
        listed.add(self._postings.number(posting_id))

    def _unlist(self, seeker_id: str, posting_id: str) -> None:
        listed = self._member_of.get(seeker_id)
        number = self._postings.find(posting_id)
        if listed is not None and number is not None:
            listed.discard(number)
            if not listed:
                del self._member_of[seeker_id]


class _Members:
    """One posting's members: seeker numbers and their scores side by side (12 bytes a
    member), in no order, and where the weakest is, searched again after a change.

    Every re-rank asks, for each of its 120 postings, whether the seeker beats the weakest
    member of a full list: a search per ask was most of a re-rank's cost in a full
    market. The search now runs once per change of the list, in C over ``size`` floats.
    """

    __slots__ = ("_weakest", "scores", "seekers")

    def __init__(self) -> None:
        self.seekers = array("i")
        self.scores = array("d")
        self._weakest = -1  # unknown

    def __len__(self) -> int:
        return len(self.seekers)

    def append(self, seeker: int, score: float) -> None:
        self.seekers.append(seeker)
        self.scores.append(score)
        self._weakest = -1

    def put(self, at: int, seeker: int, score: float) -> None:
        """The member at ``at`` becomes ``seeker`` with ``score``."""
        self.seekers[at] = seeker
        self.scores[at] = score
        self._weakest = -1

    def discard(self, seeker: int) -> bool:
        at = position(self.seekers, seeker)
        if at < 0:
            return False
        last_seeker, last_score = self.seekers.pop(), self.scores.pop()
        if at < len(self.seekers):
            self.put(at, last_seeker, last_score)
        self._weakest = -1
        return True

    def weakest(self, names: Numbering) -> int:
        """Where the weakest member is: the lowest score; at equal scores the greatest
        seeker id, which :func:`top_seekers` puts last."""
        if self._weakest < 0:
            scores = self.scores
            low = min(scores)
            at = scores.index(low)
            if scores.count(low) > 1:
                tied = [i for i, score in enumerate(scores) if score == low]
                at = max(tied, key=lambda i: names.name(self.seekers[i]))
            self._weakest = at
        return self._weakest
