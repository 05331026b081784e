"""The context of a ranking: the time, and per-posting statistics from the trainer.

Nothing in :mod:`online_model` reads the wall clock: time features use
``RankContext.now_ms``, so a replay of the same events gives the same rankings.
Per-posting statistics (exposure and applies, decayed in event time) are aggregated by the
trainer (:class:`online_model.training.PostingStatsAccumulator`) and shipped inside each
model snapshot; they feed the popularity feature and the exploration slots.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

DAY_MS = 86_400_000
# Statistics halve in weight every week: a posting popular a month ago is not now.
STATS_HALF_LIFE_MS = 7 * DAY_MS
# Beta prior of the apply rate: 0.5 applies in 10 impressions (5 %), so a posting with
# 1 apply in 2 impressions does not jump to the top.
PRIOR_APPLIES = 0.5
PRIOR_IMPRESSIONS = 10.0
# A posting shown fewer (decayed) times than this is "little exposed" and may take an
# exploration slot.
LOW_EXPOSURE_IMPRESSIONS = 20.0

# A cold start (no stated "what", no positive engagement) is ranked among this many of the
# most popular postings (PostingStats.popular) and the new ones near them not shown yet:
# a pool fixed by the snapshot, so a close or a new posting never changes which other
# postings a cold seeker is ranked among.
COLD_POOL_SIZE = 240
# "New": posted at most this long before the snapshot's latest statistics (a new posting
# gets exposure; one nobody was shown in a day does not come back).
COLD_POOL_NEW_MS = DAY_MS

_tokens = itertools.count(1)


class PostingStat(NamedTuple):
    """Decayed impression and apply counts of one posting as of ``updated_ms``."""

    impressions: float
    applies: float
    updated_ms: int


def decay_factor(age_ms: float, half_life_ms: float = STATS_HALF_LIFE_MS) -> float:
    """Weight of a count ``age_ms`` old: 1 now, 1/2 after one half-life.

    Examples
    --------
    >>> decay_factor(0), decay_factor(STATS_HALF_LIFE_MS)
    (1.0, 0.5)
    """
    return float(2.0 ** (-max(age_ms, 0.0) / half_life_ms))


def popularity_from(impressions: float, applies: float) -> float:
    """Popularity feature in [0, 1]: the smoothed apply rate, times 5, capped.

    Five times the rate puts a posting with a 20 % apply rate at the top of the scale; the
    prior alone (5 %) gives 0.25.

    Examples
    --------
    >>> popularity_from(0.0, 0.0)
    0.25
    >>> popularity_from(10.0, 5.0)
    1.0
    """
    rate = (applies + PRIOR_APPLIES) / (impressions + PRIOR_IMPRESSIONS)
    return min(1.0, 5.0 * rate)


@dataclass(frozen=True, slots=True, eq=False)
class PostingStats(Mapping[str, PostingStat]):
    """Immutable per-posting statistics, as shipped in a model snapshot.

    ``token`` identifies this set of statistics (a new one per instance), so the catalog
    can cache columns derived from it.

    Parameters
    ----------
    by_posting
        Posting id to :class:`PostingStat`; postings without any statistics are absent.
    half_life_ms
        Half-life of the decay applied to the counts.

    Examples
    --------
    >>> stats = PostingStats({"P1": PostingStat(40.0, 4.0, 0)})
    >>> stats.impressions("P1", now_ms=0), stats.impressions("P2", now_ms=0)
    (40.0, 0.0)
    >>> stats.is_low_exposure("P1", now_ms=0), stats.is_low_exposure("P2", now_ms=0)
    (False, True)
    >>> round(stats.popularity("P1", now_ms=0), 4)
    0.45
    """

    by_posting: Mapping[str, PostingStat] = field(default_factory=dict)
    half_life_ms: float = STATS_HALF_LIFE_MS
    token: int = field(default_factory=lambda: next(_tokens), compare=False)
    _popular: list[tuple[int, frozenset[str]]] = field(
        default_factory=list, compare=False, repr=False
    )

    def __getitem__(self, posting_id: str) -> PostingStat:
        return self.by_posting[posting_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_posting)

    def __len__(self) -> int:
        return len(self.by_posting)

    def _decayed(self, posting_id: str, now_ms: int) -> tuple[float, float]:
        stat = self.by_posting.get(posting_id)
        if stat is None:
            return 0.0, 0.0
        f = decay_factor(now_ms - stat.updated_ms, self.half_life_ms)
        return stat.impressions * f, stat.applies * f

    def impressions(self, posting_id: str, *, now_ms: int) -> float:
        """Decayed impressions of a posting at ``now_ms`` (0 when unknown)."""
        return self._decayed(posting_id, now_ms)[0]

    def popularity(self, posting_id: str, *, now_ms: int) -> float:
        """The popularity feature of a posting at ``now_ms`` (see :func:`popularity_from`)."""
        return popularity_from(*self._decayed(posting_id, now_ms))

    @property
    def latest_ms(self) -> int:
        """The latest update in these statistics (0 when empty): the snapshot's time."""
        return self._summary()[0]

    def popular(self) -> frozenset[str]:
        """The ``COLD_POOL_SIZE`` posting ids with the highest smoothed apply rate
        (uncapped) as of :attr:`latest_ms`, ties by id.

        Computed once per instance: the set depends on the snapshot alone, not on the time
        of a ranking nor on which postings are open.

        >>> stats = PostingStats({f"P{i}": PostingStat(50.0, i / 10, 0) for i in range(300)})
        >>> top = stats.popular()
        >>> len(top), "P299" in top, "P60" in top, "P59" in top
        (240, True, True, False)
        """
        return self._summary()[1]

    def _summary(self) -> tuple[int, frozenset[str]]:
        if not self._popular:
            latest = max((s.updated_ms for s in self.by_posting.values()), default=0)

            def rate(item: tuple[str, PostingStat]) -> tuple[float, str]:
                pid, stat = item
                f = decay_factor(latest - stat.updated_ms, self.half_life_ms)
                r = (stat.applies * f + PRIOR_APPLIES) / (stat.impressions * f + PRIOR_IMPRESSIONS)
                return -r, pid

            ranked = sorted(self.by_posting.items(), key=rate)[:COLD_POOL_SIZE]
            self._popular.append((latest, frozenset(pid for pid, _ in ranked)))
        return self._popular[0]

    def is_unseen_new(self, posting_id: str, posted_at_ms: float) -> bool:
        """Whether a posting was never shown and was posted at most ``COLD_POOL_NEW_MS``
        before :attr:`latest_ms`: a cold start near it is ranked with it, so a new posting
        gets exposure through the exploration slots. Without statistics (no snapshot yet)
        every posting is.

        >>> t = 3 * DAY_MS
        >>> stats = PostingStats({"P1": PostingStat(50.0, 1.0, t)})
        >>> stats.is_unseen_new("P1", t), stats.is_unseen_new("new", t)
        (False, True)
        >>> stats.is_unseen_new("unseen", t - 2 * DAY_MS), EMPTY_STATS.is_unseen_new("old", 0)
        (False, True)
        """
        if not self.by_posting:
            return True
        if posting_id in self.by_posting:
            return False
        return posted_at_ms >= self.latest_ms - COLD_POOL_NEW_MS

    def is_low_exposure(self, posting_id: str, *, now_ms: int) -> bool:
        """Whether the posting has been shown so little that it may take an exploration slot."""
        return self.impressions(posting_id, now_ms=now_ms) < LOW_EXPOSURE_IMPRESSIONS


EMPTY_STATS = PostingStats({})


@dataclass(frozen=True, slots=True)
class RankContext:
    """What a ranking depends on besides the seeker and the postings.

    Parameters
    ----------
    now_ms
        The time of the ranking, epoch milliseconds (event time, never the wall clock).
    stats
        Per-posting statistics of the current model snapshot.

    Examples
    --------
    >>> ctx = RankContext(now_ms=1764230400000)
    >>> ctx.stats.is_low_exposure("P1", now_ms=ctx.now_ms)
    True
    """

    now_ms: int
    stats: PostingStats = field(default_factory=lambda: EMPTY_STATS)


def days(ms: float) -> float:
    """Milliseconds as days.

    Examples
    --------
    >>> days(DAY_MS * 3)
    3.0
    """
    return ms / DAY_MS
