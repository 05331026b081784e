"""Every owned seeker's ranked list, the index posting -> lists that hold it (in the list
or in its reserve), and the queues of lists waiting for a full re-rank.

Pure bookkeeping: what is ranked and when is decided by
:class:`~online_model.live.engine.LiveEngine`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator, KeysView

from online_model import topk
from online_model.numbering import NumberBag, Numbering

# A list that lost this many postings it could not backfill alone is re-ranked at once;
# one that lost fewer, or whose seeker's history changed, within about REFILL_WITHIN_S.
REFILL_SHORT_BY = 10


class SeekerLists:
    def __init__(self, seeker_numbers: Numbering | None = None) -> None:
        self._lists: dict[str, topk.TopKList] = {}
        # posting -> the numbers of the seekers whose list or reserve holds it: a change to
        # the posting (a close, a new score) must reach the reserves too, or a stale reserve
        # item could move up into a list. Numbers, not ids: 4 bytes an entry, not ~50.
        self._seekers = seeker_numbers if seeker_numbers is not None else Numbering()
        self._holders: dict[str, NumberBag] = {}
        # posting -> how many lists show it (the reserve not counted): exposure.
        self._shown: dict[str, int] = {}
        self.version: dict[str, int] = {}  # seeker -> model version of their last ranking
        self.ranked_at: OrderedDict[str, float] = OrderedDict()  # oldest ranking first
        self.unranked: deque[str] = deque()  # owned seekers without a list yet
        # Seekers due a full re-rank, oldest first, with how many postings their list lost
        # that it could not backfill alone (topk.without); 0 when only their history
        # changed. Those REFILL_SHORT_BY short are also in ``short``. A list that lost
        # postings takes no incremental updates meanwhile.
        self.refill: dict[str, int] = {}
        self.short: dict[str, None] = {}

    def __contains__(self, seeker_id: object) -> bool:
        return seeker_id in self._lists

    def __len__(self) -> int:
        return len(self._lists)

    def get(self, seeker_id: str) -> topk.TopKList | None:
        return self._lists.get(seeker_id)

    def __getitem__(self, seeker_id: str) -> topk.TopKList:
        return self._lists[seeker_id]

    def items(self) -> Iterator[tuple[str, topk.TopKList]]:
        return iter(self._lists.items())

    def keys(self) -> KeysView[str]:
        """The seekers with a list, as a set-like view (``&`` with candidate sets)."""
        return self._lists.keys()

    def holders(self, posting_id: str) -> set[str]:
        """The seekers whose list or reserve holds ``posting_id`` (empty when none)."""
        holders = self._holders.get(posting_id)
        return set(self._seekers.names(holders.tolist())) if holders is not None else set()

    def holder_count(self, posting_id: str) -> int:
        holders = self._holders.get(posting_id)
        return len(holders) if holders is not None else 0

    def held_postings(self) -> Iterator[str]:
        """The postings some list shows (reserves not counted)."""
        return iter(self._shown)

    def put(self, seeker_id: str, new: topk.TopKList) -> topk.TopKList | None:
        """Make ``new`` the seeker's list; returns the one it replaces."""
        old = self._lists.get(seeker_id)
        new_window, new_shown = set(new.window_ids()), set(new.ids())
        old_window, old_shown = (
            (set(old.window_ids()), set(old.ids())) if old is not None else (set(), set())
        )
        self._index(old_window - new_window, old_shown - new_shown, seeker_id, -1)
        self._index(new_window - old_window, new_shown - old_shown, seeker_id, +1)
        self._lists[seeker_id] = new
        return old

    def _index(self, window: set[str], shown: set[str], seeker_id: str, sign: int) -> None:
        """Add (``sign`` +1) or take out (-1) the seeker's entries for postings of its
        list or reserve (``window``) and of its list (``shown``)."""
        number = self._seekers.number(seeker_id)
        for posting_id in window:
            if sign > 0:
                holders = self._holders.get(posting_id)
                if holders is None:
                    holders = self._holders[posting_id] = NumberBag()
                holders.add(number)
            else:
                self._unhold(posting_id, number)
        for posting_id in shown:
            count = self._shown.get(posting_id, 0) + sign
            if count > 0:
                self._shown[posting_id] = count
            else:
                self._shown.pop(posting_id, None)

    def ranked(self, seeker_id: str, version: int, now: float) -> None:
        """The seeker's list is a full ranking under model ``version`` as of ``now``."""
        self.refill.pop(seeker_id, None)
        self.short.pop(seeker_id, None)
        self.version[seeker_id] = version
        self.ranked_at[seeker_id] = now
        self.ranked_at.move_to_end(seeker_id)

    def lost(self, seeker_id: str) -> None:
        """The list lost a posting it could not backfill alone: queue a full re-rank."""
        lost = self.refill[seeker_id] = self.refill.get(seeker_id, 0) + 1
        if lost >= REFILL_SHORT_BY:
            self.short[seeker_id] = None

    def urgent(self, seeker_id: str) -> None:
        """Queue a full re-rank at the next refill, with the lists many postings short
        (a click or save changed what the seeker's list should hold: re-rank within a tick,
        several engagements in one tick coalesced into one re-rank)."""
        self.refill.setdefault(seeker_id, 0)
        self.short[seeker_id] = None

    def drop(self, seeker_id: str) -> None:
        """Forget the seeker's list and every queue it is in."""
        old = self._lists.pop(seeker_id, None)
        if old is not None:
            self._index(set(old.window_ids()), set(old.ids()), seeker_id, -1)
        self.version.pop(seeker_id, None)
        self.ranked_at.pop(seeker_id, None)
        self.refill.pop(seeker_id, None)
        self.short.pop(seeker_id, None)

    def _unhold(self, posting_id: str, seeker_number: int) -> None:
        holders = self._holders.get(posting_id)
        if holders is not None:
            holders.discard(seeker_number)
            if not holders:
                del self._holders[posting_id]
