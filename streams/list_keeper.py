"""Every owned seeker's ranked list, kept current as postings, profiles and the model change.

A worker owns the seekers of its profile/interaction partitions and sees every posting.
The :class:`ListKeeper` holds what ranking needs (the posting catalog and candidate index,
the owned seekers' state, the current model snapshot) and each owned seeker's list, and
decides per event what to recompute:

* a profile update re-ranks that seeker fully; a deactivation deletes their keys;
* a new or changed posting is scored against the seekers that may want it (the reverse
  index) and inserted into their lists, a closed one removed from every list that holds
  it (reverse index posting -> lists); :func:`online_model.topk.insert` and ``remove`` say
  when the list alone cannot decide, and then the seeker is re-ranked fully. A posting
  leaving a full list is such a case (what moves up into its slot?): it leaves at once,
  and the sweeper backfills the list with a full re-rank later: at once when the list is
  :data:`REFILL_SHORT_BY` postings short, else within about :data:`REFILL_WITHIN_S`. In a
  busy market a closing posting sits on hundreds of lists, so re-ranking every holder at
  every close cost seconds per close; a list a few postings short still shows the rest in
  exact order;
* an apply or dismiss takes the posting out of that seeker's list at once; what it adds to
  the seeker's history (applied before in this occupation, to this employer: features) is
  ranked in by the same backfill re-rank, so an interaction costs a lookup, not a re-rank;
* a list that changed by a posting or two (one joined, left or was re-scored) is not
  rewritten in Redis: the writer changes only those members
  (:meth:`~streams.redis_writer.RedisWriter.update_seeker`);
* a new model is picked up by the sweeper, which re-ranks every active seeker within the
  horizon, oldest list first.

So at rest, every list equals a full ranking of its seeker under the model version in its
``:meta``. All ranking logic is in :mod:`online_model`; this class only routes and marks
what to write (:class:`streams.redis_writer.RedisWriter` renders it at write time).

Employer lists (``reco:posting:{id}``) hold, per worker, the best of its seekers for the
posting by the same pair score: computed when the posting arrives or changes and again by
the posting sweep within the horizon; a seeker who deactivates, applies or dismisses is
removed at once. Readers take the first ``posting_list_size`` members.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Collection

from online_model import topk
from online_model.candidates import FilterStats, SeekerIndex
from online_model.catalog import PostingCatalog
from online_model.context import RankContext
from online_model.explain import explain_rows
from online_model.features import feature_matrix
from online_model.recommend import rank_seeker, score_seekers_for_posting, topk_item
from online_model.snapshot import Snapshot, SnapshotStore
from online_model.training import make_example
from schemas.interactions import Interaction
from schemas.postings import Posting
from settings import Settings
from streams import metrics
from streams.redis_writer import RedisWriter, SeekerListView
from streams.seeker_state import SeekerState

log = logging.getLogger(__name__)

KST = dt.timezone(dt.timedelta(hours=9))
# Keys of a closed-by-deadline posting outlive the deadline by a day, so a late reader
# still finds the display fields of a posting it saw in a list.
DEADLINE_GRACE_S = 24 * 3600
# Postings remembered after they close, for the history of late interactions.
DIRECTORY_SIZE = 500_000
# A list that lost this many postings it could not backfill alone is re-ranked at once;
# one that lost fewer, or whose seeker's history changed, within about REFILL_WITHIN_S,
# at most REFILL_MAX_PER_TICK per tick.
REFILL_SHORT_BY = 10
REFILL_WITHIN_S = 60.0
REFILL_MAX_PER_TICK = 50
# A list with more postings changed than this is written whole rather than member by member.
MAX_TOUCHED = 16
# Interactions that put a posting in the seeker's applied or dismissed set (filtered out of
# their list, and the seeker out of the posting's employer list); "hire" implies applying.
LEAVING_ACTIONS = frozenset({"apply", "dismiss", "hire"})


def deadline_expire_at(posting: Posting) -> int:
    """Unix seconds after which a posting's keys may go (0: no deadline)."""
    return 0 if posting.deadline is None else _expire_at(posting.deadline)


@functools.lru_cache(maxsize=4096)  # asked for every item of every re-ranked list
def _expire_at(deadline: str) -> int:
    end = dt.datetime.fromisoformat(deadline).replace(tzinfo=KST) + dt.timedelta(days=1)
    return int(end.timestamp()) + DEADLINE_GRACE_S


class ListKeeper:
    """The recommender state of one worker (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = PostingCatalog()
        self.index = SeekerIndex()
        self.snapshots = SnapshotStore()
        self.filter_stats = FilterStats()
        self.writer: RedisWriter | None = None
        self.seekers: dict[str, SeekerState] = {}  # owned seekers, active or not
        self.lists: dict[str, topk.TopKList] = {}  # owned active seekers with a list
        self._list_version: dict[str, int] = {}
        self._ranked_at: OrderedDict[str, float] = OrderedDict()  # oldest ranking first
        self._priority: deque[str] = deque()  # owned seekers without a list yet
        # Seekers due a full re-rank, oldest first, with how many postings their list lost
        # that it could not backfill alone (topk.without); 0 when only their history
        # changed. Those REFILL_SHORT_BY short are also in _short. A list that lost
        # postings takes no incremental updates meanwhile.
        self._refill: dict[str, int] = {}
        self._short: dict[str, None] = {}
        self._holders: dict[str, set[str]] = {}  # posting -> owned seekers holding it
        self._employer: dict[str, dict[str, float]] = {}  # posting -> our members
        self._member_of: dict[str, set[str]] = {}  # seeker -> postings listing them
        # posting -> (-score, seeker_id) of the weakest member of its full employer list.
        # Every re-rank asks, for each of its 120 postings, whether the seeker beats that
        # member; finding it anew each time was most of a re-rank's cost in a full market.
        # Dropped on any change to the list other than a seeker entering it.
        self._weakest: dict[str, tuple[float, str]] = {}
        self._posting_swept: OrderedDict[str, float] = OrderedDict()
        # The latest version of every posting seen, open or closed (bounded, oldest out):
        # an apply's history entry (its occupation and employer) must not depend on
        # whether this worker has applied the posting's close yet.
        self._directory: OrderedDict[str, Posting] = OrderedDict()

    # -- model and context ---------------------------------------------------------------

    @property
    def snapshot(self) -> Snapshot:
        current = self.snapshots.current
        if current is None:
            raise RuntimeError("no model snapshot yet: wait for ListKeeper.has_model")
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
        """Score with ``snapshot`` from now on if it is newer; the sweeper re-ranks."""
        if not self.snapshots.offer(snapshot):
            return False
        metrics.MODEL_VERSION.set(snapshot.version)
        log.info("model version %d (created %d)", snapshot.version, snapshot.created_at_ms)
        return True

    # -- seekers ---------------------------------------------------------------------------

    def adopt(self, owned: dict[str, SeekerState]) -> set[str]:
        """Take ownership of exactly ``owned`` (after a recovery or rebalance); returns
        the seekers given up.

        Seekers we no longer own are forgotten without touching Redis (their new owner
        writes them); new ones are queued for a full ranking, and so are those we held
        all along whose stored state is not the one we hold: another worker owned them
        for a while (two rebalances in a row, the first never recovered here) and
        applied events we have not seen.
        """
        gone = set(self.seekers) - set(owned)
        for seeker_id in gone:
            self._forget(seeker_id)
        for seeker_id, state in owned.items():
            held = self.seekers.get(seeker_id)
            self.seekers[seeker_id] = state
            if state == held:
                continue
            if state.profile is None:
                if seeker_id in self.lists:
                    self._deactivate(seeker_id)
                continue
            self.index.upsert(state.profile)
            if seeker_id in self.lists:
                self._refill.setdefault(seeker_id, 0)  # a full re-rank, by the sweeper
            else:
                self._priority.append(seeker_id)
        log.info("owning %d seekers, %d queued for ranking", len(self.seekers), len(self._priority))
        return gone

    def set_seeker(self, seeker_id: str, state: SeekerState, *, reason: str) -> None:
        """A profile event was applied: re-rank, or delete the keys of a deactivated seeker."""
        self.seekers[seeker_id] = state
        if state.profile is None:
            self._deactivate(seeker_id)
            return
        self.index.upsert(state.profile)
        self.rerank(seeker_id, reason)

    def record_interaction(
        self, seeker_id: str, state: SeekerState, interaction: Interaction
    ) -> bool:
        """A state-changing interaction (apply, dismiss, save, hire) was applied.

        An applied or dismissed posting leaves the seeker's list at once, and the seeker
        leaves the posting's employer list. The history also feeds features (applied
        before in this occupation, to this employer): the seeker is queued for a full
        re-rank by the sweeper (see :meth:`refill`) instead of re-ranked here, which was
        most of an interaction's cost. True when the seeker's list changed now.
        """
        before = self.seekers.get(seeker_id)
        self.seekers[seeker_id] = state
        posting_id = interaction.posting_id
        leaves = interaction.action in LEAVING_ACTIONS
        members = self._employer.get(posting_id)
        if leaves and members and seeker_id in members:
            # Applied already, or not interested: no longer a candidate to show the employer.
            self._set_employer(posting_id, {k: v for k, v in members.items() if k != seeker_id})
        if state.profile is None or not self.has_model:
            return False
        current = self.lists.get(seeker_id)
        if current is None:  # no list yet, or dropped while the seeker was away
            self.rerank(seeker_id, "interaction")
            return True
        if leaves:
            self._take_out(seeker_id, posting_id, "interaction")
        if before is None or state.history != before.history:
            self._refill.setdefault(seeker_id, 0)
        return self.lists[seeker_id] is not current

    def training_example(self, interaction: Interaction) -> dict[str, object] | None:
        """The example for the trainer, with the features of the pair as it was shown;
        None when the seeker has no profile or the posting is unknown here."""
        state = self.seekers.get(interaction.seeker_id)
        posting = self.catalog.get(interaction.posting_id)
        if state is None or state.profile is None or posting is None or not self.has_model:
            return None
        ctx = RankContext(now_ms=interaction.ts, stats=self.snapshot.stats)
        return make_example(interaction, state.profile, state.history, posting, ctx)

    def rerank(self, seeker_id: str, reason: str) -> None:
        """Rank a seeker from scratch over the whole catalog."""
        state = self.seekers[seeker_id]
        assert state.profile is not None
        s = self.settings
        ranked = rank_seeker(
            state.profile,
            state.history,
            self.catalog,
            self.snapshot.ranker,
            self.context(),
            k=s.seeker_list_size,
            max_per_employer=s.max_per_employer,
            filter_stats=self.filter_stats,
        )
        self._refill.pop(seeker_id, None)
        self._short.pop(seeker_id, None)
        self._set_list(seeker_id, ranked.topk, reason)
        self._list_version[seeker_id] = self.model_version
        self._ranked_at[seeker_id] = time.monotonic()
        self._ranked_at.move_to_end(seeker_id)
        self._offer_to_employers(seeker_id, ranked.topk)

    def _offer_to_employers(self, seeker_id: str, ranked: topk.TopKList) -> None:
        """Put a freshly ranked seeker into the employer lists of the postings on their
        list where they now rank among our best ``posting_list_size`` (same pair score)."""
        size = self.settings.posting_list_size
        for item in ranked.items():
            posting_id, score = item.posting_id, item.score
            members = self._employer.setdefault(posting_id, {})
            if members.get(seeker_id) == score:
                continue
            evicted: list[str] = []
            if seeker_id in members:
                self._weakest.pop(posting_id, None)  # a member re-scored
            elif len(members) >= size:
                # Same order as _fan_out: score descending, then seeker id.
                weakest_key = self._weakest.get(posting_id)
                if weakest_key is None:
                    weakest = max(members, key=lambda sid: (-members[sid], sid))
                    weakest_key = self._weakest[posting_id] = (-members[weakest], weakest)
                if (-score, seeker_id) >= weakest_key:
                    continue
                weakest = weakest_key[1]
                del members[weakest]
                del self._weakest[posting_id]
                self._member_of.get(weakest, set()).discard(posting_id)
                evicted.append(weakest)
            members[seeker_id] = score
            self._member_of.setdefault(seeker_id, set()).add(posting_id)
            if self.writer is not None:
                posting = self.catalog.get(posting_id)
                self.writer.update_employer_list(
                    posting_id,
                    add={seeker_id: score},
                    remove=evicted,
                    expire_at=deadline_expire_at(posting) if posting is not None else 0,
                )

    def _insert(self, seeker_id: str, item: topk.TopKItem, reason: str) -> None:
        """A posting joins (or is re-scored on) a seeker's candidates."""
        if self._refill.get(seeker_id):
            return  # the list lost postings: the pending full re-rank places it
        new = topk.insert(self.lists[seeker_id], item)
        if new is None:
            self.rerank(seeker_id, reason)
        elif new is not self.lists[seeker_id]:
            self._set_list(seeker_id, new, reason, incremental=True)

    def _take_out(self, seeker_id: str, posting_id: str, reason: str) -> None:
        """A posting leaves a seeker's candidates; it leaves the list now, and when the
        list alone cannot say what moves up, the seeker is queued for a full re-rank."""
        current = self.lists[seeker_id]
        new = None if self._refill.get(seeker_id) else topk.remove(current, posting_id)
        if new is None:
            if posting_id not in current:
                return  # waiting for its re-rank, and the posting is not on the list
            new = topk.without(current, posting_id)
            lost = self._refill[seeker_id] = self._refill.get(seeker_id, 0) + 1
            if lost >= REFILL_SHORT_BY:
                self._short[seeker_id] = None
        if new is not current:
            self._set_list(seeker_id, new, reason, incremental=True)

    def _set_list(
        self, seeker_id: str, new: topk.TopKList, reason: str, *, incremental: bool = False
    ) -> None:
        """Make ``new`` the seeker's list and have it written: whole, or (``incremental``:
        a posting joined, left or was re-scored) only the postings that changed."""
        old = self.lists.get(seeker_id)
        old_ids = set(old.ids()) if old is not None else set()
        new_ids = set(new.ids())
        dropped = old_ids - new_ids
        for posting_id in dropped:
            holders = self._holders.get(posting_id)
            if holders is not None:
                holders.discard(seeker_id)
                if not holders:
                    del self._holders[posting_id]
        for posting_id in new_ids - old_ids:
            self._holders.setdefault(posting_id, set()).add(seeker_id)
        self.lists[seeker_id] = new
        if incremental and old is not None and self.writer is not None:
            before = dict(zip(old.posting_ids.tolist(), old.scores.tolist(), strict=True))
            now = zip(new.posting_ids.tolist(), new.scores.tolist(), strict=True)
            touched = dropped | {p for p, score in now if before.get(p) != score}
            if len(touched) <= MAX_TOUCHED:
                if touched:
                    self.writer.update_seeker(seeker_id, touched, reason=reason)
                return
        self._mark(seeker_id, reason)

    def _deactivate(self, seeker_id: str) -> None:
        self._drop_list(seeker_id)
        self.index.remove(seeker_id)
        for posting_id in self._member_of.pop(seeker_id, set()):
            members = self._employer.get(posting_id)
            self._weakest.pop(posting_id, None)
            if members is not None and members.pop(seeker_id, None) is not None:
                assert self.writer is not None
                self.writer.update_employer_list(posting_id, remove=[seeker_id])
        self._mark(seeker_id, "deactivate")

    def _forget(self, seeker_id: str) -> None:
        """Stop owning a seeker: local state only, Redis is the new owner's business."""
        self._drop_list(seeker_id)
        self.index.remove(seeker_id)
        self.seekers.pop(seeker_id, None)
        for posting_id in self._member_of.pop(seeker_id, set()):
            self._employer.get(posting_id, {}).pop(seeker_id, None)
            self._weakest.pop(posting_id, None)

    def _drop_list(self, seeker_id: str) -> None:
        old = self.lists.pop(seeker_id, None)
        for posting_id in old.ids() if old is not None else ():
            holders = self._holders.get(posting_id)
            if holders is not None:
                holders.discard(seeker_id)
                if not holders:
                    del self._holders[posting_id]
        self._list_version.pop(seeker_id, None)
        self._ranked_at.pop(seeker_id, None)
        self._refill.pop(seeker_id, None)
        self._short.pop(seeker_id, None)

    def _mark(self, seeker_id: str, reason: str) -> None:
        if self.writer is not None:
            self.writer.mark_seeker(seeker_id, reason)

    # -- postings --------------------------------------------------------------------------

    def posting(self, posting_id: str) -> Posting | None:
        """The latest version of a posting this worker has seen, open or closed."""
        return self._directory.get(posting_id)

    def posting_upserted(self, posting: Posting, *, live: bool) -> None:
        """A posting opened or changed. While catching up (``live=False``) only the catalog
        changes: the full rankings that follow catch-up include it anyway."""
        self._directory[posting.posting_id] = posting
        self._directory.move_to_end(posting.posting_id)
        if len(self._directory) > DIRECTORY_SIZE:
            self._directory.popitem(last=False)
        self.catalog.upsert(posting)
        self._posting_swept.pop(posting.posting_id, None)
        self._posting_swept[posting.posting_id] = time.monotonic()
        if live and self.has_model:
            self._fan_out(posting, reason="posting")

    def posting_closed(self, posting_id: str, *, live: bool) -> None:
        """A posting closed or expired: it leaves every list that holds it."""
        self.catalog.remove(posting_id)
        self._posting_swept.pop(posting_id, None)
        self._weakest.pop(posting_id, None)
        for seeker_id in self._employer.pop(posting_id, {}):
            self._member_of.get(seeker_id, set()).discard(posting_id)
        if self.writer is not None:
            self.writer.drop_employer_list(posting_id)
        for seeker_id in sorted(self._holders.get(posting_id, ())):
            if seeker_id in self.lists and self.has_model:
                self._take_out(seeker_id, posting_id, "close")

    def _fan_out(self, posting: Posting, *, reason: str) -> None:
        """Score a posting against our seekers that may want it (and those whose list holds
        it); insert into or remove from their lists; refresh its employer list."""
        posting_id = posting.posting_id
        affected = sorted(
            (self.index.candidates_for(posting) | self._holders.get(posting_id, set()))
            & self.lists.keys()
        )
        pairs = []
        for seeker_id in affected:
            state = self.seekers[seeker_id]
            assert state.profile is not None
            pairs.append((state.profile, state.history))
        ctx = self.context()
        scores = score_seekers_for_posting(
            posting, pairs, self.snapshot.ranker, ctx, filter_stats=self.filter_stats
        )
        best: list[tuple[float, str]] = []
        for seeker_id, score in zip(affected, scores.tolist(), strict=True):
            if math.isnan(score):
                self._take_out(seeker_id, posting_id, reason)
            else:
                self._insert(seeker_id, topk_item(posting, score, ctx), reason)
                best.append((score, seeker_id))
        best.sort(key=lambda pair: (-pair[0], pair[1]))
        top = {sid: score for score, sid in best[: self.settings.posting_list_size]}
        self._set_employer(posting_id, top, expire_at=deadline_expire_at(posting))

    def _set_employer(
        self, posting_id: str, members: dict[str, float], *, expire_at: int = 0
    ) -> None:
        old = self._employer.get(posting_id, {})
        removed = [sid for sid in old if sid not in members]
        added = {sid: score for sid, score in members.items() if old.get(sid) != score}
        for sid in removed:
            self._member_of.get(sid, set()).discard(posting_id)
        for sid in added:
            self._member_of.setdefault(sid, set()).add(posting_id)
        self._employer[posting_id] = members
        self._weakest.pop(posting_id, None)
        if (removed or added) and self.writer is not None:
            self.writer.update_employer_list(
                posting_id, add=added, remove=removed, expire_at=expire_at
            )

    def employer_postings(self) -> list[str]:
        """The postings whose employer list holds seekers of this worker."""
        return [posting_id for posting_id, members in self._employer.items() if members]

    def employer_list(self, posting_id: str) -> tuple[dict[str, float], int] | None:
        """This worker's members of ``posting_id``'s employer list and the list's expiry."""
        members = self._employer.get(posting_id)
        posting = self.catalog.get(posting_id)
        if not members or posting is None:
            return None
        return dict(members), deadline_expire_at(posting)

    def expired_postings(self, now_ms: int) -> list[str]:
        """Open postings whose deadline (end of day, KST) has passed."""
        today = dt.datetime.fromtimestamp(now_ms / 1000, KST).date().isoformat()
        return [
            pid
            for pid in list(self._posting_swept)
            if (p := self.catalog.get(pid)) is not None
            and p.deadline is not None
            and p.deadline < today
        ]

    # -- sweeping --------------------------------------------------------------------------

    def rank_unranked(self, budget: int) -> int:
        """Rank up to ``budget`` owned seekers that have no list yet (after a start-up or a
        rebalance). Returns how many were ranked."""
        done = 0
        while self._priority and done < budget:
            seeker_id = self._priority.popleft()
            state = self.seekers.get(seeker_id)
            if state is not None and state.active and seeker_id not in self._list_version:
                self.rerank(seeker_id, "recovery")
                done += 1
        return done

    def refill(self, budget: int, *, short_only: bool = False) -> int:
        """Re-rank up to ``budget`` seekers whose list lost postings it could not backfill
        alone, or whose history changed: those ``REFILL_SHORT_BY`` short first, then
        (unless ``short_only``) the others, oldest first. Returns how many were re-ranked."""
        done = 0
        while done < budget and (self._short or (self._refill and not short_only)):
            seeker_id = next(iter(self._short or self._refill))
            self.rerank(seeker_id, "refill")  # takes it off both queues
            done += 1
        return done

    def refill_budget(self, interval_s: float) -> int:
        """Lists to backfill per tick so that each waits about ``REFILL_WITHIN_S``."""
        per_tick = math.ceil(len(self._refill) * interval_s / REFILL_WITHIN_S)
        return min(per_tick, REFILL_MAX_PER_TICK)

    def sweep(self, budget: int) -> int:
        """Re-rank up to ``budget`` seekers whose list is older than the horizon or was
        ranked under an older model, oldest first. Returns how many were re-ranked."""
        done = 0
        horizon = self.settings.sweep_horizon_seconds
        now = time.monotonic()
        version = self.model_version
        while self._ranked_at and done < budget:
            seeker_id, ranked_at = next(iter(self._ranked_at.items()))
            if self._list_version.get(seeker_id) == version and now - ranked_at < horizon:
                break  # ordered by ranking time: everything after is newer
            if self._inactive_for_ttl(seeker_id):
                # Let its keys expire: stop refreshing a seeker nobody has heard of.
                self._drop_list(seeker_id)
                continue
            self.rerank(
                seeker_id, "sweep" if self._list_version.get(seeker_id) == version else "model"
            )
            done += 1
        return done

    def sweep_postings(self, budget: int) -> int:
        """Refresh the employer lists of up to ``budget`` postings, oldest refresh first."""
        horizon = self.settings.sweep_horizon_seconds
        now = time.monotonic()
        done = 0
        while self._posting_swept and done < budget and self.has_model:
            posting_id, swept_at = next(iter(self._posting_swept.items()))
            if now - swept_at < horizon:
                break
            self._posting_swept.move_to_end(posting_id)
            self._posting_swept[posting_id] = now
            posting = self.catalog.get(posting_id)
            if posting is not None:
                self._fan_out(posting, reason="sweep")
            done += 1
        return done

    def sweep_budget(self, interval_s: float) -> int:
        """Seekers to re-rank per tick so the whole set is covered within the horizon."""
        per_tick = (
            len(self._ranked_at) * interval_s / max(self.settings.sweep_horizon_seconds, 1e-3)
        )
        return max(1, math.ceil(per_tick))

    @property
    def pending_refill(self) -> int:
        """Seekers waiting for a backfill re-rank (lost postings, or a changed history)."""
        return len(self._refill)

    @property
    def pending_sweep(self) -> int:
        version = self.model_version
        stale = sum(1 for sid, v in self._list_version.items() if v != version)
        return len(self._priority) + len(self._refill) + stale

    def _inactive_for_ttl(self, seeker_id: str) -> bool:
        state = self.seekers.get(seeker_id)
        if state is None or not state.active:
            return True
        idle_ms = self.snapshot.created_at_ms - state.last_event_ms
        return idle_ms > self.settings.seeker_ttl_seconds * 1000

    # -- rendering (called by the writer at write time) ------------------------------------

    def render_seeker(self, seeker_id: str) -> SeekerListView | None:
        """The list as written to Redis with reasons, or None to delete the keys."""
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
        pairs = zip(current.posting_ids.tolist(), current.scores.tolist(), strict=True)
        held = [(str(p), float(s)) for p, s in pairs if posting_ids is None or p in posting_ids]
        slots = self.catalog.slots_of([p for p, _ in held])
        rows = feature_matrix(state.profile, state.history, self.catalog, slots, self.context())
        explained = explain_rows(rows, self.snapshot.ranker.weight_vector)
        reasons = dict(zip(self.catalog.posting_ids[slots].tolist(), explained, strict=True))
        return SeekerListView(
            items=[(p, score, reasons.get(p, [])) for p, score in held],
            model_version=self._list_version.get(seeker_id, self.model_version),
            ttl_seconds=self.settings.seeker_ttl_seconds,
        )

    # -- gauges ----------------------------------------------------------------------------

    def update_gauges(self, *, by_group_exposure: bool = False) -> None:
        """Coverage, list length (and, when asked, exposure) by education level and age
        band, so a skew against 고졸 or older seekers shows; overall exposure, catalog and
        sweep sizes. Exposure by group walks every list: ask for it rarely."""
        active: dict[tuple[str, str], int] = {}
        with_list: dict[tuple[str, str], int] = {}
        items: dict[tuple[str, str], int] = {}
        exposed_by: dict[tuple[str, str], set[str]] = {}
        for seeker_id, state in self.seekers.items():
            if state.profile is None:
                continue
            group = (
                state.profile.education_level or "unknown",
                state.profile.age_band or "unknown",
            )
            active[group] = active.get(group, 0) + 1
            current = self.lists.get(seeker_id)
            size = len(current) if current is not None else 0
            items[group] = items.get(group, 0) + size
            if size:
                with_list[group] = with_list.get(group, 0) + 1
                if by_group_exposure:
                    exposed_by.setdefault(group, set()).update(current.ids())  # type: ignore[union-attr]
        metrics.ACTIVE_SEEKERS.clear()
        metrics.SEEKERS_WITH_LIST.clear()
        metrics.LIST_ITEMS.clear()
        for group, count in active.items():
            metrics.ACTIVE_SEEKERS.labels(*group).set(count)
            metrics.SEEKERS_WITH_LIST.labels(*group).set(with_list.get(group, 0))
            metrics.LIST_ITEMS.labels(*group).set(items.get(group, 0))
        if by_group_exposure:
            metrics.EXPOSURE_BY_GROUP.clear()
            n_open = len(self.catalog) or 1
            for group in active:
                shown = sum(1 for pid in exposed_by.get(group, ()) if pid in self.catalog)
                metrics.EXPOSURE_BY_GROUP.labels(*group).set(shown / n_open)
        n_active = sum(active.values())
        metrics.COVERAGE.set(sum(with_list.values()) / n_active if n_active else 0.0)
        n_open = len(self.catalog)
        exposed = sum(1 for pid in self._holders if pid in self.catalog)
        metrics.OPEN_POSTINGS.set(n_open)
        metrics.EXPOSED_POSTINGS.set(exposed)
        metrics.EXPOSURE.set(exposed / n_open if n_open else 0.0)
        metrics.SWEEP_PENDING.set(self.pending_sweep)
        for reason, count in self.filter_stats.as_dict().items():
            metrics.FILTER_VETOES.labels(reason).inc(count)
        self.filter_stats = FilterStats()
