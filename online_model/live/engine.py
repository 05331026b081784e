"""The live lists of one worker: events, snapshots and clock ticks in, changes out.

A worker owns the seekers of its profile/interaction partitions and sees every posting.
The :class:`LiveEngine` holds what ranking needs (the posting catalog and candidate index,
the owned seekers' state, the current model snapshot), each owned seeker's list
(:class:`~online_model.live.seeker_lists.SeekerLists`) and this worker's members of every
employer list (:class:`~online_model.live.employer_lists.EmployerLists`), and decides per
event what to recompute:

* a profile update re-ranks that seeker fully; a deactivation deletes their keys;
* a new or changed posting is scored against the seekers that may want it (the candidate
  index) and inserted into their lists, a closed one removed from every list that holds
  it; :func:`online_model.topk.insert` and ``remove`` say when the list alone cannot
  decide, and then the seeker is re-ranked fully. Each list keeps a small **reserve** of
  its next-best candidates in memory (``LiveConfig.seeker_list_reserve``; never written to
  Redis), so a posting leaving a full list is replaced by the best reserve item, with its
  score, exactly as a re-rank would place it: the sink then rewrites only those two
  members (the closed one out, the promoted one in with its reasons). Only a list whose
  reserve ran out (or that an employer's cap left without the next posting: the reserve
  keeps few per employer) is left a posting short, and :meth:`LiveEngine.refill`
  backfills it with a full re-rank later: at once when the list is
  :data:`~online_model.live.seeker_lists.REFILL_SHORT_BY` postings short, else within
  about :data:`REFILL_WITHIN_S`. In a busy market a closing posting sits on hundreds of
  lists, so re-ranking every holder at every close cost seconds per close;
* an apply or dismiss takes the posting out of that seeker's list at once; what it adds to
  the seeker's history (applied before in this occupation, to this employer: features) is
  ranked in by the same backfill re-rank, so an interaction costs a lookup, not a re-rank;
* a click or save adds an engagement to the seeker's implicit profile
  (:mod:`online_model.implicit`, derived from every posting this worker has seen, open or
  closed): the seeker is queued for a re-rank at the next refill tick (about a second),
  so a burst of clicks costs one re-rank;
* a list that changed by a posting or two (one joined, left or was re-scored) is reported
  as those members only, so the sink rewrites only them;
* a co-engagement record (:mod:`online_model.neighbours`, read from the shared neighbour
  topic by every worker) changes the neighbours of a few postings: the owned seekers who
  engaged with them are queued for a backfill re-rank (:meth:`LiveEngine.learn_neighbours`);
* a new model is picked up by :meth:`LiveEngine.sweep`, which re-ranks every active seeker
  within the horizon, oldest list first.

So at rest, every list equals a full ranking of its seeker under the model version it was
written with. Every method that changes a list returns the
:mod:`~online_model.live.changes` to write; the sink renders the lists when it writes
them (:meth:`LiveEngine.render_seeker`).

Employer lists hold, per worker, the best of its seekers for the posting by the same pair
score: computed when the posting arrives or changes, and offered every seeker's freshly
ranked postings whenever that seeker is re-ranked (a profile, the sweep, a new model); a
seeker who deactivates, applies or dismisses is removed at once. No timer re-scores them
(docs/architecture.md, "Timers").
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from online_model import topk
from online_model.candidates import (
    FilterStats,
    SeekerIndex,
    filter_reason,
    has_what,
    is_cold_start,
)
from online_model.catalog import PostingCatalog, posting_text_tokens
from online_model.context import RankContext
from online_model.features import SeekerQuery, history_columns, seeker_query, seeker_rows
from online_model.implicit import (
    ImplicitProfile,
    behaviour_keys,
    behaviour_retrieves,
    implicit_profile,
)
from online_model.live.changes import Change, SeekerListChanged
from online_model.live.config import LiveConfig
from online_model.live.employer_lists import EmployerLists
from online_model.live.seeker_lists import SeekerLists
from online_model.live.seeker_state import SeekerState
from online_model.live.stats import Group, ListStats
from online_model.live.views import SeekerListView, explained_items
from online_model.neighbours import CoEngagement, NeighbourIndex
from online_model.normalize import deadline_ms
from online_model.numbering import Numbering
from online_model.recommend import rank_seeker, topk_item
from online_model.snapshot import Snapshot, SnapshotStore
from online_model.training import make_example
from schemas.interactions import Interaction
from schemas.postings import Posting

log = logging.getLogger(__name__)

# Keys of a closed-by-deadline posting outlive the deadline by a day, so a late reader
# still finds the display fields of a posting it saw in a list.
DEADLINE_GRACE_S = 24 * 3600
# Postings remembered after they close, for the history of late interactions.
DIRECTORY_SIZE = 500_000
# Lists waiting for a backfill (few postings short, or a changed history) are re-ranked
# within about REFILL_WITHIN_S, at most REFILL_MAX_PER_TICK per tick.
REFILL_WITHIN_S = 60.0
REFILL_MAX_PER_TICK = 50
# A list with more postings changed than this is written whole rather than member by member.
MAX_TOUCHED = 16
# Interactions that put a posting in the seeker's applied or dismissed set (filtered out of
# their list, and the seeker out of the posting's employer list); "hire" implies applying.
LEAVING_ACTIONS = frozenset({"apply", "dismiss", "hire"})
# Interactions that only change the implicit profile: re-ranked within a refill tick.
ENGAGING_ACTIONS = frozenset({"click", "save"})


# A fan-out scores its candidate seekers FANOUT_BLOCK at a time (a few ms of numpy and a
# lookup per seeker) and applies list changes (an insert that enters a full list costs
# 0.3-1 ms) for at most FANOUT_STEP_S or FANOUT_TOUCHES of them per step, so no step holds
# the event loop for long. Where a step ends never changes a result (tested).
FANOUT_BLOCK = 1024
FANOUT_TOUCHES = 64
FANOUT_STEP_S = 0.004
# Seekers (or held postings) per step of LiveEngine.list_stats_steps.
LIST_STATS_STEP = 5_000


def deadline_expire_at(posting: Posting) -> int:
    """Unix seconds after which a posting's keys may go (0: no deadline)."""
    if posting.deadline is None:
        return 0
    return int(deadline_ms(posting.deadline) // 1000) + DEADLINE_GRACE_S


class LiveEngine:
    """The recommender state of one worker (see the module docstring).

    ``clock`` (monotonic seconds) times the sweeps; scores never depend on it."""

    def __init__(
        self, config: LiveConfig | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or LiveConfig()
        self._clock = clock
        self.catalog = PostingCatalog()
        self.index = SeekerIndex()
        self.snapshots = SnapshotStore()
        self.filter_stats = FilterStats()
        self.seekers: dict[str, SeekerState] = {}  # owned seekers, active or not
        # The seekers' numbers in the reverse indexes of both kinds of list (4 bytes an
        # entry, see online_model.numbering); released when a seeker leaves both.
        self._seeker_numbers = Numbering()
        self.lists = SeekerLists(self._seeker_numbers)  # owned active seekers with a list
        self.employers = EmployerLists(self.config.posting_list_size, self._seeker_numbers)
        # Open postings, oldest first (the value, when it was last fanned out, is no longer
        # read: no timer re-fans postings, see docs/architecture.md "Timers").
        self._posting_swept: OrderedDict[str, float] = OrderedDict()
        # The latest version of every posting seen, open or closed (bounded, oldest out):
        # an apply's history entry (its occupation and employer) must not depend on
        # whether this worker has applied the posting's close yet.
        self._directory: OrderedDict[str, Posting] = OrderedDict()
        # What changed since the last public method returned: each returns and clears it.
        self._changes: list[Change] = []
        # Per seeker: the implicit profile with what it was derived from (engagements,
        # now_ms, directory version), kept only when every engaged posting was known.
        self._implicit: dict[str, tuple[object, ImplicitProfile]] = {}
        self._directory_version = 0  # +1 per posting upsert: a changed posting re-derives
        # Item-to-item neighbours of every seeker's engagements, folded from the shared
        # neighbour topic; and, per engaged posting, the owned seekers indexed with it
        # (_index; may hold seekers who moved on: they are only re-ranked once more).
        self.neighbours = NeighbourIndex()
        self._engaged_by: dict[str, set[str]] = {}

    def _emit(self, change: Change | None) -> None:
        if change is not None:
            self._changes.append(change)

    def _taken(self) -> list[Change]:
        changes, self._changes = self._changes, []
        return changes

    # -- model and context ---------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        current = self.snapshots.current
        if current is None:
            raise RuntimeError("no model snapshot yet: wait for LiveEngine.has_model")
        return current

    @property
    def has_model(self) -> bool:
        return self.snapshots.current is not None

    @property
    def model_version(self) -> int:
        return self.snapshots.version

    def context(self) -> RankContext:
        """Time and statistics of the current snapshot: every score depends on the
        snapshot, never on the wall clock, so replays and other workers agree."""
        snap = self.snapshot
        return RankContext(now_ms=snap.created_at_ms, stats=snap.stats)

    def offer_snapshot(self, snapshot: Snapshot) -> bool:
        """Score with ``snapshot`` from now on if it is newer; :meth:`sweep` re-ranks."""
        if not self.snapshots.offer(snapshot):
            return False
        log.info("model version %d (created %d)", snapshot.version, snapshot.created_at_ms)
        return True

    # -- seekers ---------------------------------------------------------------------------

    def adopt(self, owned: dict[str, SeekerState]) -> tuple[set[str], list[Change]]:
        """Take ownership of exactly ``owned`` (after a recovery or rebalance); returns the
        seekers given up, and the changes to write.

        Seekers we no longer own are forgotten without a change (their new owner writes
        them); new ones are queued for a full ranking (:meth:`rank_unranked`), and so are
        those we held all along whose stored state is not the one we hold: another worker
        owned them for a while (two rebalances in a row, the first never recovered here)
        and applied events we have not seen.
        """
        gone = set(self.seekers) - set(owned)
        for seeker_id in gone:
            self._forget(seeker_id)
        for seeker_id, state in owned.items():
            held = self.seekers.get(seeker_id)
            if state == held:
                # Keep the object held: a fan-out under way skips a seeker whose state
                # object changed since their block was scored (a changed state queues its
                # own re-rank; this one does not), and its posting would never reach them.
                continue
            self.seekers[seeker_id] = state
            if state.profile is None:
                if seeker_id in self.lists:
                    self._deactivate(seeker_id)
                continue
            self._index(seeker_id, state)
            if seeker_id in self.lists:
                self.lists.refill.setdefault(seeker_id, 0)  # a full re-rank, by refill()
            else:
                self.lists.unranked.append(seeker_id)
        log.info(
            "owning %d seekers, %d queued for ranking", len(self.seekers), len(self.lists.unranked)
        )
        return gone, self._taken()

    def set_seeker(self, seeker_id: str, state: SeekerState, *, reason: str) -> list[Change]:
        """A profile event was applied: re-rank, or delete the keys of a deactivated seeker."""
        self.seekers[seeker_id] = state
        if state.profile is None:
            self._deactivate(seeker_id)
        else:
            self._index(seeker_id, state)
            self._rerank(seeker_id, reason)
        return self._taken()

    def _index(self, seeker_id: str, state: SeekerState, *, profile: bool = True) -> None:
        """Index the seeker by their profile (unless ``profile`` is False: unchanged) and by
        what they engaged with, so that a fan-out finds every seeker whose ranking would
        retrieve the posting: the stated "what", the behaviour keys
        (:func:`online_model.implicit.behaviour_keys`), and every posting ("*") for a
        seeker with engagements and no stated "what"."""
        assert state.profile is not None
        if profile:
            self.index.upsert(state.profile)
        tokenizer = self.catalog.tokenizer
        engagements = state.history.engagements
        keys = behaviour_keys(engagements, self.posting, tokenizer)
        if keys and not has_what(seeker_query(state.profile, tokenizer)):
            keys |= {"*"}
        self.index.set_behaviour(seeker_id, keys)
        # The keys of a posting not known yet are missing: its arrival re-indexes the
        # seeker (_engaged_posting_changed), even if no ranking of theirs ran meanwhile.
        for pid, _, _ in engagements:
            self._engaged_by.setdefault(pid, set()).add(seeker_id)

    def record_interaction(
        self, seeker_id: str, state: SeekerState, interaction: Interaction
    ) -> list[Change]:
        """A state-changing interaction (apply, dismiss, save, hire) was applied.

        An applied or dismissed posting leaves the seeker's list at once, and the seeker
        leaves the posting's employer list. The history also feeds features (applied
        before in this occupation, to this employer): the seeker is queued for a full
        re-rank by :meth:`refill` instead of re-ranked here, which was most of an
        interaction's cost.
        """
        before = self.seekers.get(seeker_id)
        self.seekers[seeker_id] = state
        history_changed = before is None or state.history != before.history
        if history_changed and state.profile is not None:
            self._index(seeker_id, state, profile=False)
        posting_id = interaction.posting_id
        leaves = interaction.action in LEAVING_ACTIONS
        if leaves:
            self._emit(self.employers.remove(posting_id, seeker_id))
        if state.profile is None or not self.has_model:
            return self._taken()
        if seeker_id not in self.lists:  # no list yet, or dropped while the seeker was away
            self._rerank(seeker_id, "interaction")
            return self._taken()
        if leaves:
            self._take_out(seeker_id, posting_id, "interaction")
        if history_changed:
            if interaction.action in ENGAGING_ACTIONS:
                self.lists.urgent(seeker_id)
            else:
                self.lists.refill.setdefault(seeker_id, 0)
        return self._taken()

    def implicit(self, seeker_id: str, state: SeekerState, now_ms: int) -> ImplicitProfile:
        """The seeker's implicit profile at ``now_ms``, from every posting seen here (a
        closed one a seeker engaged with still says what they like)."""
        engagements = state.history.engagements
        versions = tuple(self.neighbours.version_of(pid) for pid, _, _ in engagements)
        key = (engagements, now_ms, self._directory_version, versions)
        cached = self._implicit.get(seeker_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        ip = implicit_profile(
            engagements,
            self.posting,
            now_ms=now_ms,
            tokenizer=self.catalog.tokenizer,
            neighbours=self.neighbours,
        )
        if all(self.posting(pid) is not None for pid, _, _ in engagements):
            self._implicit[seeker_id] = (key, ip)
        else:
            self._implicit.pop(seeker_id, None)  # derive again once the posting is read
        return ip

    def learn_neighbours(self, records: Collection[CoEngagement]) -> list[Change]:
        """Fold co-engagement records (every worker reads every one, in topic order) and
        queue the owned seekers whose engaged postings' neighbours changed for a backfill
        re-rank (:meth:`refill`); nothing is written until then."""
        touched: set[str] = set()
        for record in records:
            if self.neighbours.learn_one(record):
                touched.add(record.posting_id)
                touched.update(record.partners)
        for pid in sorted(touched):
            holders = self._engaged_by.get(pid)
            if not holders:
                continue
            for seeker_id in sorted(holders):
                state = self.seekers.get(seeker_id)
                if state is None or all(p != pid for p, _, _ in state.history.engagements):
                    holders.discard(seeker_id)  # forgotten, or the engagement rolled off
                elif seeker_id in self.lists:
                    self.lists.refill.setdefault(seeker_id, 0)
            if not holders:
                del self._engaged_by[pid]
        return self._taken()

    def training_example(self, interaction: Interaction) -> dict[str, object] | None:
        """The example for the trainer, with the features of the pair as it was shown;
        None when the seeker has no profile or the posting is unknown here."""
        state = self.seekers.get(interaction.seeker_id)
        posting = self.catalog.get(interaction.posting_id)
        if state is None or state.profile is None or posting is None or not self.has_model:
            return None
        ctx = RankContext(now_ms=interaction.ts, stats=self.snapshot.stats)
        implicit = implicit_profile(
            state.history.engagements,
            self.posting,
            now_ms=interaction.ts,
            tokenizer=self.catalog.tokenizer,
            neighbours=self.neighbours,
        )
        return make_example(
            interaction, state.profile, state.history, posting, ctx, implicit=implicit
        )

    def rerank(self, seeker_id: str, reason: str) -> list[Change]:
        """Rank a seeker from scratch over the whole catalog."""
        self._rerank(seeker_id, reason)
        return self._taken()

    def _rerank(self, seeker_id: str, reason: str) -> None:
        state = self.seekers[seeker_id]
        assert state.profile is not None
        c = self.config
        ctx = self.context()
        ranked = rank_seeker(
            state.profile,
            state.history,
            self.catalog,
            self.snapshot.ranker,
            ctx,
            k=c.seeker_list_size,
            max_per_employer=c.max_per_employer,
            filter_stats=self.filter_stats,
            implicit=self.implicit(seeker_id, state, ctx.now_ms),
            reserve=c.seeker_list_reserve,
        )
        self._set_list(seeker_id, ranked.topk, reason)
        self.lists.ranked(seeker_id, self.model_version, self._clock())
        self._offer_to_employers(seeker_id, ranked.topk)

    def _offer_to_employers(self, seeker_id: str, ranked: topk.TopKList) -> None:
        """Put a freshly ranked seeker into the employer lists of the postings on their
        list where they now rank among our best ``posting_list_size`` (same pair score)."""
        for item in ranked.items():
            posting = self.catalog.get(item.posting_id)
            expire_at = deadline_expire_at(posting) if posting is not None else 0
            self._emit(
                self.employers.offer(item.posting_id, seeker_id, item.score, expire_at=expire_at)
            )

    def _insert(self, seeker_id: str, item: topk.TopKItem, reason: str) -> None:
        """A posting joins (or is re-scored on) a seeker's candidates."""
        if self.lists.refill.get(seeker_id):
            return  # the list lost postings: the pending full re-rank places it
        current = self.lists[seeker_id]
        new = topk.insert(current, item)
        if new is None:
            self._rerank(seeker_id, reason)
        elif new is not current:
            self._set_list(seeker_id, new, reason, incremental=True)

    def _take_out(self, seeker_id: str, posting_id: str, reason: str) -> None:
        """A posting leaves a seeker's candidates (closed, applied to, dismissed, no longer
        fits): it leaves the list or reserve now, and the best reserve item moves up into
        its place. When the reserve cannot say what moves up, the list stays a posting
        short and the seeker is queued for a full re-rank (:meth:`refill`)."""
        current = self.lists[seeker_id]
        new = None if self.lists.refill.get(seeker_id) else topk.remove(current, posting_id)
        if new is None:
            if posting_id not in current:
                return  # waiting for its re-rank, and the posting is not on the list
            new = topk.without(current, posting_id)
            self.lists.lost(seeker_id)
        if new is not current:
            self._set_list(seeker_id, new, reason, incremental=True)

    def _set_list(
        self, seeker_id: str, new: topk.TopKList, reason: str, *, incremental: bool = False
    ) -> None:
        """Make ``new`` the seeker's list and report it: whole, or (``incremental``: a
        posting joined, left or was re-scored) only the postings that changed."""
        old = self.lists.put(seeker_id, new)
        if incremental and old is not None:
            before = dict(zip(old.posting_ids.tolist(), old.scores.tolist(), strict=True))
            now = dict(zip(new.posting_ids.tolist(), new.scores.tolist(), strict=True))
            touched = {p for p in before if p not in now}
            touched |= {p for p, score in now.items() if before.get(p) != score}
            if len(touched) <= MAX_TOUCHED:
                if touched:
                    self._emit(SeekerListChanged(seeker_id, reason, frozenset(touched)))
                return
        self._emit(SeekerListChanged(seeker_id, reason))

    def _deactivate(self, seeker_id: str) -> None:
        self.lists.drop(seeker_id)
        self.index.remove(seeker_id)
        self._changes.extend(self.employers.withdraw(seeker_id))
        self._seeker_numbers.release(seeker_id)
        self._emit(SeekerListChanged(seeker_id, "deactivate"))

    def _forget(self, seeker_id: str) -> None:
        """Stop owning a seeker: local state only, Redis is the new owner's business."""
        self.lists.drop(seeker_id)
        self.index.remove(seeker_id)
        self.seekers.pop(seeker_id, None)
        self._implicit.pop(seeker_id, None)
        self.employers.forget(seeker_id)
        self._seeker_numbers.release(seeker_id)

    # -- postings --------------------------------------------------------------------------

    def posting(self, posting_id: str) -> Posting | None:
        """The latest version of a posting this worker has seen, open or closed."""
        return self._directory.get(posting_id)

    def posting_upserted(self, posting: Posting, *, live: bool) -> list[Change]:
        """A posting opened or changed. While catching up (``live=False``) only the catalog
        changes: the full rankings that follow catch-up include it anyway.

        The whole fan-out in one call; a worker drives :meth:`posting_upserted_steps`."""
        changes: list[Change] = []
        for step in self.posting_upserted_steps(posting, live=live):
            changes.extend(step)
        return changes

    def posting_upserted_steps(self, posting: Posting, *, live: bool) -> Iterator[list[Change]]:
        """:meth:`posting_upserted` in steps of a few milliseconds each: the catalog changes
        at once (before the first step), then each step scores a block of candidate seekers
        or applies a few of the list changes, and yields the changes to write. The caller
        may handle other events between steps (that is the point: a posting with 15,000
        candidate seekers must not hold the event loop): each step reads the state as it
        is then (see :meth:`_fan_out_steps`). Drive it to the end."""
        self._directory[posting.posting_id] = posting
        self._directory.move_to_end(posting.posting_id)
        self._directory_version += 1
        if len(self._directory) > DIRECTORY_SIZE:
            self._directory.popitem(last=False)
        self.catalog.upsert(posting)
        self._posting_swept.pop(posting.posting_id, None)
        self._posting_swept[posting.posting_id] = self._clock()
        self._engaged_posting_changed(posting.posting_id)
        if live and self.has_model:
            return self._fan_out_steps(posting, reason="posting")
        return iter(())

    def _engaged_posting_changed(self, posting_id: str) -> None:
        """The seekers indexed with an engagement with ``posting_id`` had their
        behaviour keys and implicit profile derived without this version of it: unknown
        here then (an apply read before the catalog feed brought its posting, a seeker
        adopted while the catalog was still being read) or different. Index them again
        and queue a re-rank, or a posting their behaviour retrieves would never reach them
        (the fan-out looks them up by those keys)."""
        for seeker_id in sorted(self._engaged_by.get(posting_id, ())):
            state = self.seekers.get(seeker_id)
            if state is None or state.profile is None:
                continue
            self._index(seeker_id, state, profile=False)
            if seeker_id in self.lists:
                self.lists.refill.setdefault(seeker_id, 0)

    def posting_closed(self, posting_id: str, *, live: bool) -> list[Change]:
        """A posting closed or expired: it leaves every list and reserve that holds it.

        No ranking and no rendering here: each list that showed it reports the closed id
        and the reserve item that took its place (the sink renders that one row), a list
        that only held it in reserve reports nothing."""
        self.catalog.remove(posting_id)
        self._posting_swept.pop(posting_id, None)
        self._emit(self.employers.drop(posting_id))
        for seeker_id in sorted(self.lists.holders(posting_id)):
            if seeker_id in self.lists and self.has_model:
                self._take_out(seeker_id, posting_id, "close")
        return self._taken()

    def _fan_out(self, posting: Posting, *, reason: str) -> None:
        """The whole of :meth:`_fan_out_steps` at once (its changes stay in the buffer)."""
        for changes in self._fan_out_steps(posting, reason=reason):
            self._changes.extend(changes)

    def _fan_out_steps(self, posting: Posting, *, reason: str) -> Iterator[list[Change]]:
        """Score a posting against our seekers that may want it (and those whose list holds
        it), block by block from the index's columns; insert into or remove from their
        lists; then refresh its employer list. Yields the changes after each step.

        Between steps other events may change what this fan-out looks at, so each step
        checks: the posting closed or changed again (stop: the close took it out of every
        list, the newer version fans out itself); a new model (start again with it); a
        seeker whose profile or history changed after their block was scored (skipped:
        the event that changed them re-ranked them or queued the re-rank, which includes
        this posting). The employer list is computed from the scores of every block and
        what re-ranks offered it meanwhile (:meth:`EmployerLists.begin`).
        """
        posting_id = posting.posting_id
        snap = self.snapshot
        ctx = self.context()
        slot = self.catalog.slot_of(posting_id)
        assert slot is not None
        ids, not_retrieved = self._fan_out_ids(posting)
        low = ctx.stats.is_low_exposure(posting_id, now_ms=ctx.now_ms)
        item = topk_item(posting, 0.0, ctx)
        best = _BestSeekers(self.config.posting_list_size)
        self.employers.begin(posting_id)

        def current() -> bool:
            # Checked before every step: what happened while the caller had control?
            return self.catalog.get(posting_id) is posting and self.snapshots.current is snap

        for start in range(0, len(ids), FANOUT_BLOCK):
            if not current():
                break
            block_ids = ids[start : start + FANOUT_BLOCK]
            block = self._score_block(posting, slot, block_ids, ctx, not_retrieved)
            best.add(block)
            touched = block.touched(posting_id, low, self.lists)
            yield self._taken()  # a step: the block's scores
            i = 0
            while i < len(touched):
                if not current():
                    break
                until = self._clock() + FANOUT_STEP_S
                for j in touched[i : i + FANOUT_TOUCHES]:
                    self._touch(block, j, item, reason)
                    i += 1
                    if self._clock() >= until:
                        break
                yield self._taken()  # a step: some list changes
        if not current():
            # Closed (the close took it out of every list), changed (the newer version
            # fans out itself), or a new model came: start again under it.
            self.employers.abandon(posting_id)
            if self.catalog.get(posting_id) is posting:
                yield from self._fan_out_steps(posting, reason=reason)
            return
        top = best.valid(self.seekers, self._rescore(posting, slot, ctx))
        expire_at = deadline_expire_at(posting)
        self._emit(self.employers.finish(posting_id, top, expire_at=expire_at))
        yield self._taken()

    def _fan_out_ids(self, posting: Posting) -> tuple[list[str], set[str]]:
        """The seekers to score (candidates by the index, and those whose list or reserve
        holds it), and those of them the index no longer finds: their ranking would not
        retrieve the posting (a change of occupation or place), so it leaves their list
        whatever it would score."""
        index = self.index
        candidates = set(index.seeker_ids[index.candidate_rows(posting)].tolist())
        by_behaviour = index.behaviour_candidates_for(posting) - candidates
        candidates |= self._behaviour_retrieves(posting, by_behaviour)
        catalog = self.catalog
        slot = catalog.slot_of(posting.posting_id)
        if slot is not None and not (catalog.popular[slot] or catalog.unseen_new[slot]):
            candidates -= self._cold_starts(candidates)  # outside the cold-start pool
        not_retrieved = self.lists.holders(posting.posting_id) - candidates
        return sorted(candidates | not_retrieved), not_retrieved

    def _behaviour_retrieves(self, posting: Posting, seeker_ids: Collection[str]) -> set[str]:
        """Those of ``seeker_ids`` (found by their behaviour keys, a superset) whose ranking
        retrieves ``posting``: every posting for a seeker with no stated "what", else only
        one their behaviour scores above 0 (:func:`implicit.behaviour_retrieves`)."""
        tokenizer = self.catalog.tokenizer
        return {
            sid
            for sid, q, implicit in self._queries(seeker_ids)
            if not has_what(q) or behaviour_retrieves(implicit(), posting, tokenizer)
        }

    def _cold_starts(self, seeker_ids: Collection[str]) -> set[str]:
        """Those of ``seeker_ids`` ranked as a cold start (:func:`candidates.is_cold_start`),
        whose ranking retrieves only the snapshot's cold pool."""
        return {
            sid for sid, q, implicit in self._queries(seeker_ids) if is_cold_start(q, implicit())
        }

    def _queries(
        self, seeker_ids: Collection[str]
    ) -> Iterator[tuple[str, SeekerQuery, Callable[[], ImplicitProfile]]]:
        """Each of ``seeker_ids`` with a profile: its query, and its implicit profile now
        (derived only when called: it costs more than the query)."""
        now_ms = self.context().now_ms
        tokenizer = self.catalog.tokenizer
        for sid in seeker_ids:
            state = self.seekers.get(sid)
            if state is None or state.profile is None:
                continue
            yield (
                sid,
                seeker_query(state.profile, tokenizer),
                functools.partial(self.implicit, sid, state, now_ms),
            )

    def _score_block(
        self,
        posting: Posting,
        slot: int,
        ids: list[str],
        ctx: RankContext,
        not_retrieved: Collection[str] = (),
    ) -> _Block:
        """Scores of ``posting`` for those of ``ids`` with a list, from the index's columns;
        history features and hard filters only for seekers with a history; NaN (leave) for
        the seekers ``not_retrieved``."""
        index = self.index
        get_list = self.lists.get
        seekers = self.seekers
        kept: list[str] = []
        rows: list[int] = []
        states: list[SeekerState] = []
        lists: list[topk.TopKList] = []
        special: list[int] = []
        for sid in ids:
            lst = get_list(sid)
            row = index.row_of(sid)
            if lst is None or row is None:
                continue
            state = seekers[sid]
            h = state.history
            if (
                h.applied
                or h.dismissed
                or h.engagements
                or h.occupation_counts
                or h.employer_counts
            ):
                special.append(len(kept))
            kept.append(sid)
            rows.append(row)
            states.append(state)
            lists.append(lst)
        scores = self._scores(posting, slot, rows, states, special, ctx)
        if not_retrieved:
            scores[[j for j, sid in enumerate(kept) if sid in not_retrieved]] = np.nan
        return _Block(kept, states, lists, scores)

    def _scores(
        self,
        posting: Posting,
        slot: int,
        rows: list[int],
        states: list[SeekerState],
        special: list[int],
        ctx: RankContext,
    ) -> npt.NDArray[np.float64]:
        """P(apply | shown) per seeker row, NaN where a hard filter vetoes (as
        :func:`online_model.recommend.score_seekers_for_posting`, from columns)."""
        n = len(rows)
        if deadline_ms(posting.deadline) <= ctx.now_ms:
            self.filter_stats.add("expired", n)
            return np.full(n, np.nan)
        x = seeker_rows(
            posting, slot, self.catalog, self.index.columns, np.asarray(rows, np.int32), ctx
        )
        vetoed = np.zeros(n, dtype=np.bool_)
        tokens = posting_text_tokens(posting, self.catalog.tokenizer)
        for i in special:
            state = states[i]
            veto = filter_reason(state.profile, state.history, posting, ctx)  # type: ignore[arg-type]
            if veto is not None:
                vetoed[i] = True
                self.filter_stats.add(veto)
                continue
            assert state.profile is not None
            sid = state.profile.seeker_id
            implicit = self.implicit(sid, state, ctx.now_ms)
            history_columns(x[i], state.history, implicit, posting, tokens)
        scores = self.snapshot.ranker.score_many(x)
        scores[vetoed] = np.nan
        return scores

    def _rescore(
        self, posting: Posting, slot: int, ctx: RankContext
    ) -> Callable[[list[str]], dict[str, float]]:
        """Scores of a few seekers as they are now (those changed during a fan-out)."""

        def rescore(ids: list[str]) -> dict[str, float]:
            block = self._score_block(posting, slot, ids, ctx)
            return {
                sid: float(score)
                for sid, score in zip(block.ids, block.scores.tolist(), strict=True)
                if not math.isnan(score)
            }

        return rescore

    def _touch(self, block: _Block, j: int, item: topk.TopKItem, reason: str) -> None:
        """Apply one scored seeker to their list, unless they changed since their block."""
        sid = block.ids[j]
        state = self.seekers.get(sid)
        if state is None or not _ranks_alike(state, block.states[j]) or sid not in self.lists:
            return
        score = float(block.scores[j])
        if math.isnan(score):
            self._take_out(sid, item.posting_id, reason)
        else:
            self._insert(sid, item._replace(score=score), reason)

    def employer_list(self, posting_id: str) -> tuple[dict[str, float], int] | None:
        """This worker's members of ``posting_id``'s employer list and the list's expiry."""
        members = self.employers.members(posting_id)
        posting = self.catalog.get(posting_id)
        if not members or posting is None:
            return None
        return members, deadline_expire_at(posting)

    def expired_postings(self, now_ms: int) -> list[str]:
        """Open postings whose deadline day (KST) has ended by ``now_ms``."""
        return self.expired_postings_among(list(self._posting_swept), now_ms)

    def expired_postings_among(self, posting_ids: Collection[str], now_ms: int) -> list[str]:
        """Those of ``posting_ids`` that are open and whose deadline day has ended."""
        return [
            pid
            for pid in posting_ids
            if (p := self.catalog.get(pid)) is not None
            and p.deadline is not None
            and deadline_ms(p.deadline) <= now_ms
        ]

    # -- sweeping --------------------------------------------------------------------------

    def rank_unranked(self, budget: int) -> tuple[int, list[Change]]:
        """Rank up to ``budget`` owned seekers that have no list yet (after a start-up or a
        rebalance). Returns how many were ranked, and the changes."""
        done = 0
        queue = self.lists.unranked
        while queue and done < budget:
            seeker_id = queue.popleft()
            state = self.seekers.get(seeker_id)
            if state is not None and state.active and seeker_id not in self.lists.version:
                self._rerank(seeker_id, "recovery")
                done += 1
        return done, self._taken()

    def refill(self, budget: int, *, short_only: bool = False) -> tuple[int, list[Change]]:
        """Re-rank up to ``budget`` seekers whose list lost postings it could not backfill
        alone, or whose history changed: those ``REFILL_SHORT_BY`` short first, then
        (unless ``short_only``) the others, oldest first."""
        done = 0
        lists = self.lists
        while done < budget and (lists.short or (lists.refill and not short_only)):
            seeker_id = next(iter(lists.short or lists.refill))
            self._rerank(seeker_id, "refill")  # takes it off both queues
            done += 1
        return done, self._taken()

    def refill_budget(self, interval_s: float) -> int:
        """Lists to backfill per tick so that each waits about ``REFILL_WITHIN_S``."""
        per_tick = math.ceil(len(self.lists.refill) * interval_s / REFILL_WITHIN_S)
        return min(per_tick, REFILL_MAX_PER_TICK)

    def sweep(self, budget: int) -> tuple[int, list[Change]]:
        """Re-rank up to ``budget`` seekers whose list is older than the horizon or was
        ranked under an older model, oldest first."""
        done = 0
        horizon = self.config.sweep_horizon_seconds
        now = self._clock()
        version = self.model_version
        lists = self.lists
        while lists.ranked_at and done < budget:
            seeker_id, ranked_at = next(iter(lists.ranked_at.items()))
            if lists.version.get(seeker_id) == version and now - ranked_at < horizon:
                break  # ordered by ranking time: everything after is newer
            if self._inactive_for_ttl(seeker_id):
                # Let its keys expire: stop refreshing a seeker nobody has heard of.
                lists.drop(seeker_id)
                continue
            self._rerank(seeker_id, "sweep" if lists.version.get(seeker_id) == version else "model")
            done += 1
        return done, self._taken()

    def sweep_budget(self, interval_s: float) -> int:
        """Seekers to re-rank per tick so the whole set is covered within the horizon."""
        horizon = max(self.config.sweep_horizon_seconds, 1e-3)
        return max(1, math.ceil(len(self.lists.ranked_at) * interval_s / horizon))

    @property
    def pending_refill(self) -> int:
        """Seekers waiting for a backfill re-rank (lost postings, or a changed history)."""
        return len(self.lists.refill)

    @property
    def pending_sweep(self) -> int:
        version = self.model_version
        stale = sum(1 for v in self.lists.version.values() if v != version)
        return len(self.lists.unranked) + len(self.lists.refill) + stale

    def _inactive_for_ttl(self, seeker_id: str) -> bool:
        state = self.seekers.get(seeker_id)
        if state is None or not state.active:
            return True
        idle_ms = self.snapshot.created_at_ms - state.last_event_ms
        return idle_ms > self.config.seeker_ttl_seconds * 1000

    # -- rendering (asked by the sink when it writes) --------------------------------------

    def render_seeker(self, seeker_id: str) -> SeekerListView | None:
        """The list as written, with reasons; None to delete the seeker's keys."""
        return self.render_items(seeker_id, None)

    def render_items(
        self, seeker_id: str, posting_ids: Collection[str] | None
    ) -> SeekerListView | None:
        """The items of the list among ``posting_ids`` (all when None), with reasons; None
        when the seeker has no list."""
        state = self.seekers.get(seeker_id)
        current = self.lists.get(seeker_id)
        if state is None or state.profile is None or current is None:
            return None
        if posting_ids is not None and not any(p in current for p in posting_ids):
            # Only postings that left (a close the reserve could not fill): no row to
            # explain, so no features to build.
            items: list[tuple[str, float, Sequence[str]]] = []
            return SeekerListView(
                items=items,
                model_version=self.lists.version.get(seeker_id, self.model_version),
                ttl_seconds=self.config.seeker_ttl_seconds,
            )
        ctx = self.context()
        items = explained_items(
            state,
            current,
            self.catalog,
            self.snapshot.ranker,
            ctx,
            posting_ids,
            self.implicit(seeker_id, state, ctx.now_ms),
        )
        return SeekerListView(
            items=items,
            model_version=self.lists.version.get(seeker_id, self.model_version),
            ttl_seconds=self.config.seeker_ttl_seconds,
        )

    # -- statistics ------------------------------------------------------------------------

    def list_stats(self, *, by_group_exposure: bool = False) -> ListStats:
        """Coverage and list length by education level and age band (and, when asked,
        exposure); catalog and sweep sizes. In one go: :meth:`list_stats_steps` for the
        worker's timer."""
        for stats in self.list_stats_steps(by_group_exposure=by_group_exposure):
            if stats is not None:
                return stats
        raise AssertionError("list_stats_steps ends with the stats")  # pragma: no cover

    def list_stats_steps(self, *, by_group_exposure: bool = False) -> Iterator[ListStats | None]:
        """:meth:`list_stats` in steps of ``LIST_STATS_STEP`` seekers or postings: None
        between steps (the caller may hand the event loop on), then the stats.

        It walks every seeker (exposure: every list too), so at 100k seekers a worker would
        hold its loop for tens of milliseconds at each gauge tick in one go. Seekers who
        come or go between steps are counted as of their turn."""
        stats = ListStats()
        exposed_by: dict[Group, set[str]] = {}
        seeker_ids = list(self.seekers)
        for start in range(0, len(seeker_ids), LIST_STATS_STEP):
            for seeker_id in seeker_ids[start : start + LIST_STATS_STEP]:
                state = self.seekers.get(seeker_id)
                if state is None or state.profile is None:
                    continue
                group = (
                    state.profile.education_level or "unknown",
                    state.profile.age_band or "unknown",
                )
                stats.active[group] = stats.active.get(group, 0) + 1
                current = self.lists.get(seeker_id)
                size = len(current) if current is not None else 0
                stats.items[group] = stats.items.get(group, 0) + size
                if current is not None and size:
                    stats.with_list[group] = stats.with_list.get(group, 0) + 1
                    if by_group_exposure:
                        exposed_by.setdefault(group, set()).update(current.ids())
            yield None
        catalog = self.catalog
        n_open = len(catalog)
        if by_group_exposure:
            stats.exposure_by_group = {
                group: sum(1 for pid in exposed_by.get(group, ()) if pid in catalog) / (n_open or 1)
                for group in stats.active
            }
            yield None
        held = list(self.lists.held_postings())
        exposed = 0
        for start in range(0, len(held), LIST_STATS_STEP):
            exposed += sum(1 for pid in held[start : start + LIST_STATS_STEP] if pid in catalog)
            yield None
        stats.open_postings = n_open
        stats.exposed_postings = exposed
        stats.pending_sweep = self.pending_sweep
        yield stats

    def take_filter_stats(self) -> FilterStats:
        """The hard-filter vetoes counted since the last call."""
        taken, self.filter_stats = self.filter_stats, FilterStats()
        return taken


def _ranks_alike(state: SeekerState, scored: SeekerState) -> bool:
    """Whether ``state`` ranks as ``scored`` (the state a fan-out block was scored with)
    does: the same profile and history, as objects or by value. A changed state queued
    its own re-rank (which includes the posting); an equal one did not (a rebalance adopts
    equal states, a repeated click can leave the history as it was), and a fan-out that
    skipped it would never bring the posting to that seeker."""
    return (state.profile is scored.profile or state.profile == scored.profile) and (
        state.history is scored.history or state.history == scored.history
    )


@dataclass(slots=True)
class _Block:
    """One block of a fan-out: the seekers scored, their state and list then, the scores."""

    ids: list[str]
    states: list[SeekerState]
    lists: list[topk.TopKList]
    scores: npt.NDArray[np.float64]

    def touched(self, posting_id: str, low_exposure: bool, lists: SeekerLists) -> list[int]:
        """Positions of the seekers whose list the posting may change: those holding it,
        and those whose score is not below their list's cut.

        The cut is :meth:`online_model.topk.TopKList.entry_score`, the bound of the list's
        window (the list and its reserve): a posting scoring below it and not in the
        window leaves the list as it is, which is what :func:`online_model.topk.insert`
        would answer after building the window. A tie with the cut goes to ``insert``.
        """
        entry = np.array([lst.entry_score(low_exposure) for lst in self.lists], dtype=float)
        s = self.scores
        with np.errstate(invalid="ignore"):
            skip = (s < entry) | np.isnan(s)
        out = set(np.flatnonzero(~skip).tolist())
        holders = lists.holders(posting_id)
        if holders:
            out.update(j for j, sid in enumerate(self.ids) if sid in holders)
        return sorted(out)


@dataclass(slots=True)
class _BestSeekers:
    """The best scored seekers of a fan-out so far (score descending, then seeker id), with
    the state each was scored with; a margin beyond ``size`` stands in for seekers that
    leave before the end."""

    size: int
    entries: list[tuple[float, str, SeekerState]] = field(default_factory=list)

    def add(self, block: _Block) -> None:
        keep = self.size * 2
        s = block.scores
        valid = np.flatnonzero(~np.isnan(s))
        if len(valid) > keep:
            cut = np.partition(s[valid], len(valid) - keep)[len(valid) - keep]
            valid = valid[s[valid] >= cut]  # every tie at the cut: ids break them below
        self.entries += [(-float(s[j]), block.ids[j], block.states[j]) for j in valid.tolist()]
        self.entries.sort(key=lambda e: (e[0], e[1]))
        del self.entries[keep:]

    def valid(
        self,
        seekers: dict[str, SeekerState],
        rescore: Callable[[list[str]], dict[str, float]],
    ) -> list[tuple[str, float]]:
        """``(seeker_id, score)`` with the scores of seekers changed since their block
        computed again as they are now (a deactivated or vetoed one drops out)."""
        out: list[tuple[str, float]] = []
        changed: list[str] = []
        for neg, sid, scored in self.entries:
            state = seekers.get(sid)
            if state is not None and _ranks_alike(state, scored):
                out.append((sid, -neg))
            else:
                changed.append(sid)
        if changed:
            out += list(rescore(changed).items())
        return out
