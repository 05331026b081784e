"""From interactions to a learning ranker: examples, labels, statistics, the trainer.

The worker turns each interaction into an *example* (:func:`make_example`): the ids, the
action, and the features of the shown pair at the time. Examples go to one trainer, which:

1. drops a repeated ``event_id`` (counted once);
2. updates per-posting statistics (:class:`PostingStatsAccumulator`);
3. joins examples into labelled ones (:class:`LabelJoiner`);
4. scores each labelled example, updates ROC AUC and log loss, then learns from it
   (progressive validation: predict, then learn);
5. on request, writes a :class:`~online_model.snapshot.Snapshot` with the next version.

Labels and weights (``LABELS``), within ``WINDOW_MS`` (30 minutes of event time) after an
impression of the same (seeker, posting):

==========  =====  ======  ============================================================
action      y      weight  why
==========  =====  ======  ============================================================
apply/hire  1      3.0     what we optimise for
click       1      1.0     interest, weaker than an apply
save        1      0.5     mild interest
dismiss     0      3.0     an explicit "not for me"
(nothing)   0      1.0     shown, ignored for the whole window
==========  =====  ======  ============================================================

Stronger positives upgrade weaker ones: a click then an apply on the same impression
emits weight 1 and then 2 more, so the pair has weighed 3 in total, as a direct apply.
An action without a preceding impression (from search) is labelled with its own features.
Negatives can be down-sampled (``negative_rate``) deterministically by event id and seed,
with the kept ones up-weighted by ``1 / negative_rate``.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from river import metrics

from online_model.context import STATS_HALF_LIFE_MS, PostingStat, PostingStats, decay_factor
from online_model.features import pair_features
from online_model.history import SeekerHistory
from online_model.implicit import EMPTY_IMPLICIT, ImplicitProfile
from online_model.ranker import Ranker
from online_model.snapshot import Snapshot
from online_model.text import DEFAULT_TOKENIZER, Tokenizer
from schemas.interactions import Interaction
from schemas.postings import Posting
from schemas.profiles import Profile

WINDOW_MS = 30 * 60 * 1000
LABELS: Mapping[str, tuple[bool, float]] = {
    "apply": (True, 3.0),
    "hire": (True, 3.0),
    "click": (True, 1.0),
    "save": (True, 0.5),
    "dismiss": (False, 3.0),
}
IGNORED = (False, 1.0)


def make_example(
    interaction: Interaction,
    profile: Profile,
    history: SeekerHistory,
    posting: Posting,
    ctx: Any,
    *,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    implicit: ImplicitProfile = EMPTY_IMPLICIT,
) -> dict[str, Any]:
    """A JSON-able training example: ids, time, action, and the shown pair's features.

    ``history`` (and ``implicit``, derived from it) must be the seeker's *before* this
    interaction, so an apply's own features do not already count it.

    Examples
    --------
    >>> from schemas.interactions import Interaction
    >>> from schemas.postings import Posting
    >>> from schemas.profiles import Profile
    >>> from online_model.context import RankContext
    >>> ex = make_example(Interaction("ev1", 5, "S1", "P1", "click", "reco", 3), Profile("S1"),
    ...                   SeekerHistory(), Posting("P1", "E1", "x", "x", 0), RankContext(now_ms=5))
    >>> from online_model.features import FEATURES
    >>> ex["action"], ex["position"], len(ex["features"]) == len(FEATURES)
    ('click', 3, True)
    """
    return {
        "event_id": interaction.event_id,
        "ts": interaction.ts,
        "seeker_id": interaction.seeker_id,
        "posting_id": interaction.posting_id,
        "action": interaction.action,
        "source": interaction.source,
        "position": interaction.position,
        "features": pair_features(
            profile, history, posting, ctx, tokenizer=tokenizer, implicit=implicit
        ),
    }


class Labelled(NamedTuple):
    """A labelled example: features, label, weight, and where it came from."""

    x: dict[str, float]
    y: bool
    w: float
    seeker_id: str
    posting_id: str
    ts: int
    action: str


class RecentIds:
    """The last ``max_size`` ids seen, to drop repeated events (bounded memory).

    Examples
    --------
    >>> seen = RecentIds(max_size=2)
    >>> seen.add("a"), seen.add("a"), seen.add("b"), seen.add("c"), seen.add("a")
    (True, False, True, True, True)
    """

    def __init__(self, *, max_size: int = 200_000) -> None:
        self.max_size = max_size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, event_id: str) -> bool:
        """True when ``event_id`` is new (and remember it), False when seen before."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.max_size:
            self._ids.popitem(last=False)
        return True


@dataclass(slots=True)
class _Pending:
    shown_ts: int
    event_id: str
    x: dict[str, float]
    positive: float = 0.0  # weight of positives already emitted
    resolved: bool = False  # any action came: no "ignored" negative
    dismissed: bool = False


def _keep(seed: int, event_id: str, rate: float) -> bool:
    if rate >= 1.0:
        return True
    digest = hashlib.blake2b(f"{seed}:{event_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64 < rate


class LabelJoiner:
    """Turns the example stream into labelled examples (table in the module docstring).

    Examples must arrive roughly in event-time order (one partition); an impression is
    labelled "ignored" once an event at least ``window_ms`` later has been seen, or at
    :meth:`flush`.

    Parameters
    ----------
    window_ms
        How long after an impression an action still counts for it.
    negative_rate
        Fraction of "ignored" negatives kept (by a hash of the event id and ``seed``).
    seed
        Seed of the negative sampling.
    max_seen
        How many recent event ids are remembered to drop repeats.

    Examples
    --------
    >>> j = LabelJoiner()
    >>> ex = {"event_id": "e1", "ts": 0, "seeker_id": "S1", "posting_id": "P1",
    ...       "action": "impression", "features": {"occ_middle": 1.0}}
    >>> j.observe(ex)
    []
    >>> [(l.y, l.w) for l in j.observe(ex | {"event_id": "e2", "ts": 60_000, "action": "click"})]
    [(True, 1.0)]
    >>> [(l.y, l.w) for l in j.observe(ex | {"event_id": "e3", "ts": 90_000, "action": "apply"})]
    [(True, 2.0)]
    >>> j.observe(ex | {"event_id": "e3", "ts": 90_000, "action": "apply"})  # repeated
    []
    """

    def __init__(
        self,
        *,
        window_ms: int = WINDOW_MS,
        negative_rate: float = 1.0,
        seed: int = 0,
        max_seen: int = 200_000,
    ) -> None:
        if not 0.0 < negative_rate <= 1.0:
            raise ValueError(f"negative_rate must be in (0, 1], got {negative_rate}")
        self.window_ms = window_ms
        self.negative_rate = negative_rate
        self.seed = seed
        self._seen = RecentIds(max_size=max_seen)
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._deadlines: list[tuple[int, str, str, int]] = []
        self._watermark = 0

    @property
    def pending(self) -> int:
        """Impressions waiting for their window to close."""
        return len(self._pending)

    def observe(self, example: Mapping[str, Any]) -> list[Labelled]:
        """Take one example; return the labelled examples it completes (maybe none)."""
        if not self._seen.add(str(example["event_id"])):
            return []
        ts = int(example["ts"])
        self._watermark = max(self._watermark, ts)
        out = self._expire(self._watermark - self.window_ms)
        action = str(example["action"])
        pair = (str(example["seeker_id"]), str(example["posting_id"]))
        x = {str(k): float(v) for k, v in example["features"].items()}
        pending = self._pending.get(pair)
        if action == "impression":
            if pending is None:
                self._open(pair, ts, str(example["event_id"]), x)
            return out
        label = LABELS.get(action)
        if label is None:
            return out
        y, weight = label
        if pending is None:
            pending = self._open(pair, ts, str(example["event_id"]), x)
        pending.resolved = True
        if y and weight > pending.positive:
            out.append(Labelled(pending.x, True, weight - pending.positive, *pair, ts, action))
            pending.positive = weight
        elif not y and not pending.dismissed:
            pending.dismissed = True
            out.append(Labelled(pending.x, False, weight, *pair, ts, action))
        return out

    def flush(self, until_ms: int | None = None) -> list[Labelled]:
        """Close the windows of impressions shown up to ``until_ms`` (all when None)."""
        return self._expire(until_ms if until_ms is not None else 2**62)

    def _open(self, pair: tuple[str, str], ts: int, event_id: str, x: dict[str, float]) -> _Pending:
        pending = self._pending[pair] = _Pending(ts, event_id, x)
        heapq.heappush(self._deadlines, (ts, pair[0], pair[1], ts))
        return pending

    def _expire(self, shown_before: int) -> list[Labelled]:
        out: list[Labelled] = []
        heap = self._deadlines
        while heap and heap[0][0] <= shown_before:
            _, sid, pid, shown = heapq.heappop(heap)
            pending = self._pending.get((sid, pid))
            if pending is None or pending.shown_ts != shown:
                continue
            del self._pending[(sid, pid)]
            if not pending.resolved and _keep(self.seed, pending.event_id, self.negative_rate):
                y, w = IGNORED
                out.append(
                    Labelled(pending.x, y, w / self.negative_rate, sid, pid, shown, "impression")
                )
        return out


class PostingStatsAccumulator:
    """Decayed impressions and applies per posting, in event time.

    Parameters
    ----------
    half_life_ms
        Counts halve every ``half_life_ms``.
    min_count
        :meth:`freeze` drops postings whose decayed counts are both below this, which keeps
        snapshots small.

    Examples
    --------
    >>> acc = PostingStatsAccumulator()
    >>> for ts in (0, 1, 2):
    ...     acc.update("P1", "impression", ts)
    >>> acc.update("P1", "apply", 3)
    >>> stats = acc.freeze(now_ms=3)
    >>> round(stats["P1"].impressions, 6), round(stats["P1"].applies, 6)
    (3.0, 1.0)
    """

    def __init__(self, *, half_life_ms: float = STATS_HALF_LIFE_MS, min_count: float = 0.01):
        self.half_life_ms = half_life_ms
        self.min_count = min_count
        self._stats: dict[str, list[float]] = {}  # posting -> [impressions, applies, updated]

    def __len__(self) -> int:
        return len(self._stats)

    def update(self, posting_id: str, action: str, ts: int) -> None:
        """Count an impression or an apply (other actions do not change statistics)."""
        if action == "impression":
            column = 0
        elif action in ("apply", "hire"):
            column = 1
        else:
            return
        entry = self._stats.get(posting_id)
        if entry is None:
            entry = self._stats[posting_id] = [0.0, 0.0, float(ts)]
        if ts >= entry[2]:
            f = decay_factor(ts - entry[2], self.half_life_ms)
            entry[0] *= f
            entry[1] *= f
            entry[2] = float(ts)
            entry[column] += 1.0
        else:  # late event: add it at its decayed weight
            entry[column] += decay_factor(entry[2] - ts, self.half_life_ms)

    def freeze(self, *, now_ms: int) -> PostingStats:
        """Immutable statistics for a snapshot; prunes postings that decayed to nothing."""
        out: dict[str, PostingStat] = {}
        for pid, (imp, app, updated) in list(self._stats.items()):
            f = decay_factor(now_ms - updated, self.half_life_ms)
            if imp * f < self.min_count and app * f < self.min_count:
                del self._stats[pid]
                continue
            out[pid] = PostingStat(imp, app, int(updated))
        return PostingStats(out, half_life_ms=self.half_life_ms)

    @classmethod
    def from_stats(cls, stats: PostingStats, *, min_count: float = 0.01) -> PostingStatsAccumulator:
        """Continue accumulating from a snapshot's statistics."""
        acc = cls(half_life_ms=stats.half_life_ms, min_count=min_count)
        for pid, stat in stats.by_posting.items():
            acc._stats[pid] = [stat.impressions, stat.applies, float(stat.updated_ms)]
        return acc


@dataclass
class _Progress:
    # River's metrics are untyped; Any keeps mypy --strict quiet about their calls.
    auc: Any = field(default_factory=metrics.ROCAUC)
    logloss: Any = field(default_factory=metrics.LogLoss)
    labelled: int = 0
    positives: int = 0


class Trainer:
    """Ranker + statistics + progressive validation; writes versioned snapshots.

    Parameters
    ----------
    ranker
        The model to train (default: a fresh :class:`~online_model.ranker.Ranker` with
        the prior).
    joiner
        The label joiner (default: :class:`LabelJoiner` with its defaults).
    stats
        The statistics accumulator (default: empty).
    version
        The version of the snapshot this trainer starts from (0: none).
    tokenizer
        Name of the tokenizer the features were computed with (recorded in snapshots).

    Examples
    --------
    >>> t = Trainer()
    >>> base = {"seeker_id": "S1", "posting_id": "P1", "features": {"occ_middle": 1.0}}
    >>> t.observe(base | {"event_id": "e1", "ts": 0, "action": "impression"})
    0
    >>> t.observe(base | {"event_id": "e2", "ts": 1000, "action": "apply"})
    1
    >>> t.metrics()["labelled"], t.snapshot(now_ms=2000).version
    (1.0, 1)
    """

    def __init__(
        self,
        *,
        ranker: Ranker | None = None,
        joiner: LabelJoiner | None = None,
        stats: PostingStatsAccumulator | None = None,
        version: int = 0,
        tokenizer: str = DEFAULT_TOKENIZER.name,
    ) -> None:
        self.ranker = ranker if ranker is not None else Ranker()
        self.joiner = joiner if joiner is not None else LabelJoiner()
        self.stats = stats if stats is not None else PostingStatsAccumulator()
        self.version = version
        self.tokenizer = tokenizer
        self._seen = RecentIds()
        self._progress = _Progress()
        self.examples = 0

    def observe(self, example: Mapping[str, Any]) -> int:
        """Take one example; return how many labelled examples were learned from."""
        if not self._seen.add(str(example["event_id"])):
            return 0
        self.examples += 1
        self.stats.update(str(example["posting_id"]), str(example["action"]), int(example["ts"]))
        return self._learn(self.joiner.observe(example))

    def flush(self, until_ms: int | None = None) -> int:
        """Label and learn the impressions whose window closed (all when ``until_ms`` is None)."""
        return self._learn(self.joiner.flush(until_ms))

    def _learn(self, labelled: list[Labelled]) -> int:
        progress = self._progress
        for ex in labelled:
            proba = self.ranker.predict_proba_one(ex.x)  # predict before learning
            progress.auc.update(ex.y, proba, ex.w)
            progress.logloss.update(ex.y, proba, ex.w)
            progress.labelled += 1
            progress.positives += int(ex.y)
            self.ranker.learn_one(ex.x, ex.y, w=ex.w)
        return len(labelled)

    def metrics(self) -> dict[str, float]:
        """Progressive ROC AUC and log loss, and counts, since this trainer started."""
        p = self._progress
        return {
            "auc": float(p.auc.get()),
            "logloss": float(p.logloss.get()),
            "examples": float(self.examples),
            "labelled": float(p.labelled),
            "positives": float(p.positives),
        }

    def snapshot(self, *, now_ms: int) -> Snapshot:
        """A snapshot of the ranker and statistics with the next version number."""
        self.version += 1
        return Snapshot(
            version=self.version,
            created_at_ms=int(now_ms),
            ranker=Ranker.from_state(self.ranker.get_state()),
            stats=self.stats.freeze(now_ms=now_ms),
            metrics=self.metrics(),
            tokenizer=self.tokenizer,
        )

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, *, joiner: LabelJoiner | None = None) -> Trainer:
        """Continue training from a snapshot (the label joiner's open windows start empty)."""
        return cls(
            ranker=Ranker.from_state(snapshot.ranker.get_state()),
            joiner=joiner,
            stats=PostingStatsAccumulator.from_stats(snapshot.stats),
            version=snapshot.version,
            tokenizer=snapshot.tokenizer,
        )
