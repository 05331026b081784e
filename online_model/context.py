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
