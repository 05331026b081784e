"""Where the live engine's changes go: :class:`ListSink`, and an in-memory sink.

The worker's sink is :class:`streams.redis_writer.RedisWriter`; :class:`MemorySink` keeps
the same lists in dicts, for tests and benchmarks without Redis. Both render a seeker's
list when they write it (not when it is marked), so many changes between two writes cost
one; one contract suite (tests/streams/test_list_sink_contract.py) holds them to the
same results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Protocol

from online_model.live.changes import (
    Change,
    EmployerListChanged,
    EmployerListDropped,
    SeekerListChanged,
)
from online_model.live.views import SeekerListView
from streams.posting_display import PostingView

SeekerRenderer = Callable[[str], SeekerListView | None]  # None: delete the seeker's keys
# The items of a seeker's list among the given posting ids (None: the seeker has no list).
ItemsRenderer = Callable[[str, Collection[str]], SeekerListView | None]
PostingRenderer = Callable[[str], PostingView | None]  # None: delete the posting's keys


class ListSink(Protocol):
    """Marks what changed; writes it, rendered as it is then, at the next flush."""

    def mark_seeker(self, seeker_id: str, reason: str) -> None:
        """Rewrite ``seeker_id``'s list (or delete it) at the next flush."""

    def update_seeker(self, seeker_id: str, posting_ids: Iterable[str], *, reason: str) -> None:
        """Rewrite only ``posting_ids`` of the list, each as the list then holds it (or out
        of it); the rest stays as written."""

    def update_employer_list(
        self,
        posting_id: str,
        *,
        add: Mapping[str, float] | None = None,
        remove: Sequence[str] | set[str] = (),
        expire_at: int = 0,
    ) -> None:
        """Add or re-score seekers in a posting's list and remove others, in one step."""

    def drop_employer_list(self, posting_id: str) -> None:
        """Delete a closed posting's employer list."""

    def mark_posting(self, posting_id: str) -> None:
        """Rewrite (or delete) ``posting_id``'s display fields at the next flush."""

    def note_event(self, kind: str, ts_ms: int) -> None:
        """An event's effects are all marked: its freshness is known once they are written."""

    async def flush(self) -> None:
        """Write everything marked so far."""

    def apply(self, changes: Iterable[Change]) -> None:
        """Mark what the live engine says changed (:mod:`online_model.live.changes`)."""
        for change in changes:
            if isinstance(change, SeekerListChanged):
                if change.posting_ids is None:
                    self.mark_seeker(change.seeker_id, change.reason)
                else:
                    self.update_seeker(change.seeker_id, change.posting_ids, reason=change.reason)
            elif isinstance(change, EmployerListChanged):
                self.update_employer_list(
                    change.posting_id,
                    add=change.add,
                    remove=change.remove,
                    expire_at=change.expire_at,
                )
            elif isinstance(change, EmployerListDropped):
                self.drop_employer_list(change.posting_id)
            else:  # pragma: no cover - a new kind of change must be written somewhere
                raise TypeError(f"unknown change {change!r}")


class MemorySink(ListSink):
    """The lists in dicts, written at :meth:`flush` as the Redis writer writes them.

    ``lists`` holds each seeker's written list as ``{posting_id: (score, reasons)}``,
    ``employer_lists`` each posting's members, ``postings`` the display fields. ``marks``
    counts the whole-list writes asked for by (seeker, reason), ``touched`` the members
    asked for and ``member_writes`` the lists written member by member, so tests can see
    what a change cost."""

    def __init__(
        self,
        *,
        render_seeker: SeekerRenderer,
        render_items: ItemsRenderer,
        render_posting: PostingRenderer = lambda _: None,
    ) -> None:
        self._render_seeker = render_seeker
        self._render_items = render_items
        self._render_posting = render_posting
        self.lists: dict[str, dict[str, tuple[float, Sequence[str]]]] = {}
        self.model_versions: dict[str, int] = {}
        self.employer_lists: dict[str, dict[str, float]] = {}
        self.employer_expire_at: dict[str, int] = {}
        self.postings: dict[str, PostingView] = {}
        self.marks: Counter[tuple[str, str]] = Counter()
        self.touched: dict[str, set[str]] = {}
        self.events: list[tuple[str, int]] = []
        self.member_writes = 0
        self._whole: dict[str, str] = {}
        self._members: dict[str, set[str]] = {}
        self._postings: dict[str, None] = {}

    def mark_seeker(self, seeker_id: str, reason: str) -> None:
        self.marks[(seeker_id, reason)] += 1
        self._members.pop(seeker_id, None)
        self._whole[seeker_id] = reason

    def update_seeker(self, seeker_id: str, posting_ids: Iterable[str], *, reason: str) -> None:
        posting_ids = set(posting_ids)
        self.touched.setdefault(seeker_id, set()).update(posting_ids)
        if seeker_id not in self._whole:
            self._members.setdefault(seeker_id, set()).update(posting_ids)

    def update_employer_list(
        self,
        posting_id: str,
        *,
        add: Mapping[str, float] | None = None,
        remove: Sequence[str] | set[str] = (),
        expire_at: int = 0,
    ) -> None:
        members = self.employer_lists.setdefault(posting_id, {})
        for seeker_id in remove:
            members.pop(seeker_id, None)
        members.update(add or {})
        if expire_at:
            self.employer_expire_at[posting_id] = expire_at
        if not members:
            del self.employer_lists[posting_id]  # Redis deletes an empty sorted set

    def drop_employer_list(self, posting_id: str) -> None:
        self.employer_lists.pop(posting_id, None)
        self.employer_expire_at.pop(posting_id, None)

    def mark_posting(self, posting_id: str) -> None:
        self._postings[posting_id] = None

    def note_event(self, kind: str, ts_ms: int) -> None:
        self.events.append((kind, ts_ms))

    async def flush(self) -> None:
        self.flush_now()

    def flush_now(self) -> None:
        """:meth:`flush` for code that runs outside an event loop."""
        whole, self._whole = self._whole, {}
        members, self._members = self._members, {}
        for seeker_id in whole:
            view = self._render_seeker(seeker_id)
            if view is None:
                self.lists.pop(seeker_id, None)
                self.model_versions.pop(seeker_id, None)
            else:
                self.lists[seeker_id] = {p: (score, why) for p, score, why in view.items}
                self.model_versions[seeker_id] = view.model_version
        for seeker_id, posting_ids in members.items():
            written = self.lists.get(seeker_id)
            view = self._render_items(seeker_id, posting_ids)
            if written is None or view is None:
                self._whole[seeker_id] = "update"  # no list to change: write it whole
                continue
            for posting_id in posting_ids:
                written.pop(posting_id, None)
            written.update({p: (score, why) for p, score, why in view.items})
            self.member_writes += 1
        if self._whole:
            self.flush_now()
        postings, self._postings = self._postings, {}
        for posting_id in postings:
            posting_view = self._render_posting(posting_id)
            if posting_view is None:
                self.postings.pop(posting_id, None)
                self.drop_employer_list(posting_id)
            else:
                self.postings[posting_id] = posting_view

    def ranked(self, seeker_id: str) -> list[str]:
        """The written list's posting ids, best first (ties by id, as Redis orders them)."""
        written = self.lists.get(seeker_id, {})
        return sorted(written, key=lambda p: (-written[p][0], p))
