"""The national day: the event mix of one worker's share of the national job board.

The closed-loop simulation (:mod:`simulator.simulation`) makes every seeker run sessions
and every posting live out its life, which is right for the evaluation but far from the
*mix* of a real day on the national board: at 1,000 events/s its stream carried about
23 % closes, some 400 times too many. The benchmarks need the real proportions, because
postings and closes reach every worker and cost far more than an impression. This module
draws events straight from the national rates (issue 14), on a market from
:class:`~simulator.market.Market` (real 고용24 occupation codes and 시군구 codes):

* per open posting per day 0.04 new postings and 0.04 closes, 60 % of the closes being
  deadline expiries that all come at 00:00 KST (the site's nightly batch), the rest
  (withdrawn, filled) through office hours;
* per seeker per day 0.062 profile updates and 6.5 interactions: clicks 4.6 %, applies
  0.8 %, saves 0.6 %, dismissals 0.3 %, hires 0.03 %, impressions the rest (93.67 %: the
  issue's "91.5 %" with the other shares does not add up to 100 %, and the state-changing
  shares are what cost);
* through the day by the simulator's hourly shapes (weekday): sessions peak at 09:00–10:00
  and 14:00–15:00 KST (1.66 x the day's mean), postings at 09:00–11:00 (2.8 x).

A seeker's interaction is with a posting of what they see: their live list when a
:class:`~simulator.sources.ListSource` is given (``source="reco"``, with the position),
otherwise the job board's search (``source="search"``); positions follow the simulator's
position bias. The *midnight burst* is the same day around midnight
(:func:`midnight_burst`): every expiry of the day in the first minute, with the normal
mix running.

Examples
--------
>>> from simulator import Market, MarketConfig
>>> market = Market.generate(MarketConfig(seekers=200, postings=400), seed=1)
>>> day = NationalDay(market, seed=1, start_ms=kst_ms(2026, 11, 3, 10))
>>> events = list(day.events(seconds=600))
>>> {family for family, _ in events} <= {"postings", "profiles", "interactions"}
True
>>> all(a[1].ts <= b[1].ts for a, b in zip(events, events[1:]))
True
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from schemas import Event
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import ProfileEvent
from simulator.behaviour import examine_probability
from simulator.entities import DAY_MS, KST, PostingState, SeekerState
from simulator.market import Market
from simulator.simulation import HOUR_MS, KST_OFFSET_MS, POSTING_HOURS, SESSION_HOURS
from simulator.sources import ListSource

SECOND_MS = 1000

# Non-impression actions and their share of interactions (issue 14); impressions the rest.
ACTION_SHARES: tuple[tuple[str, float], ...] = (
    ("click", 0.046),
    ("apply", 0.008),
    ("save", 0.006),
    ("dismiss", 0.003),
    ("hire", 0.0003),
)


def kst_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    """Epoch milliseconds of a wall-clock time in Korea.

    >>> kst_ms(2026, 11, 3) % DAY_MS == DAY_MS - KST_OFFSET_MS
    True
    """
    return int(datetime(year, month, day, hour, minute, tzinfo=KST).timestamp()) * 1000


def kst_hour(ms: int) -> int:
    """The hour of the day in Korea (0–23) at epoch milliseconds ``ms``."""
    return int(((ms + KST_OFFSET_MS) // HOUR_MS) % 24)


def next_kst_midnight(ms: int) -> int:
    """The first 00:00 KST at or after ``ms``."""
    day = -((-(ms + KST_OFFSET_MS)) // DAY_MS)  # ceiling division
    return day * DAY_MS - KST_OFFSET_MS


def _shape(hours: Sequence[float]) -> tuple[float, ...]:
    mean = sum(hours) / len(hours)
    return tuple(h / mean for h in hours)


@dataclass(frozen=True)
class NationalRates:
    """Rates of the national board (issue 14); per day, the hourly shapes have mean 1."""

    new_per_posting_day: float = 0.04
    close_per_posting_day: float = 0.04
    expiry_share: float = 0.6  # of closes: deadline expiries at 00:00 KST
    expiry_spread_s: float = 60.0  # the nightly batch sends them within this
    profile_per_seeker_day: float = 0.062
    interactions_per_seeker_day: float = 6.5
    actions: tuple[tuple[str, float], ...] = ACTION_SHARES
    session_shape: tuple[float, ...] = _shape(SESSION_HOURS)
    posting_shape: tuple[float, ...] = _shape(POSTING_HOURS)

    def __post_init__(self) -> None:
        if not 0.0 <= self.expiry_share <= 1.0:
            raise ValueError(f"expiry_share must be within [0, 1], got {self.expiry_share}")
        if sum(share for _, share in self.actions) >= 1.0:
            raise ValueError("the non-impression action shares must leave room for impressions")
        if len(self.session_shape) != 24 or len(self.posting_shape) != 24:
            raise ValueError("hourly shapes need 24 values")

    @property
    def impression_share(self) -> float:
        return 1.0 - sum(share for _, share in self.actions)

    def per_hour(
        self, seekers: int, open_postings: int, hour: int, *, steady: bool = False
    ) -> dict[str, float]:
        """Expected events in one hour (KST ``hour``) of a market of this size; expiries
        are not in it (they all come at midnight: :meth:`expiries`). ``steady``: the day's
        mean hour, expiries spread through it (every close a plain close).

        >>> NationalRates().per_hour(100_000, 200_000, 10, steady=True)["closes"]
        333.33...
        """
        if steady:
            s = p = 1 / 24
            close_share = 1.0
        else:
            s, p = self.session_shape[hour] / 24, self.posting_shape[hour] / 24
            close_share = 1 - self.expiry_share
        return {
            "interactions": self.interactions_per_seeker_day * seekers * s,
            "profiles": self.profile_per_seeker_day * seekers * s,
            "new_postings": self.new_per_posting_day * open_postings * p,
            "closes": close_share * self.close_per_posting_day * open_postings * p,
        }

    def expiries(self, open_postings: int) -> int:
        """Deadline expiries of one night."""
        return round(self.expiry_share * self.close_per_posting_day * open_postings)

    def peak_hour(self) -> int:
        """The hour (KST) with the most events of a seeker-heavy market."""
        return max(range(24), key=lambda h: self.session_shape[h])


class NationalDay:
    """The national mix drawn on ``market``, from ``start_ms`` on (default: its start).

    The market's state follows the events (postings added and closed, profiles edited),
    so a market feeds one run: either this or :meth:`Market.events`. ``burst_closes``
    replaces the number of deadline expiries at each midnight (default: the rates').
    ``posting_prefix`` names the postings opened during the run (``P`` as the market's
    own; another letter keeps them apart from a twin market's). ``steady``: the day's mean
    mix at every hour, with the expiries spread through the day instead of at midnight
    (the benchmarks' stationary "national mix": a time-compressed stream would otherwise
    cross a midnight every few seconds on a small market). ``search_shows_new=False``: a
    search never shows a posting opened during the run; in a time-compressed stream it
    would be a posting published milliseconds earlier, which no real seeker finds that
    fast (and a worker meets it before its catalog has read it: a read-your-writes wait).
    """

    def __init__(
        self,
        market: Market,
        *,
        seed: int = 0,
        rates: NationalRates | None = None,
        start_ms: int | None = None,
        list_source: ListSource | None = None,
        event_id_prefix: str = "nat",
        burst_closes: int | None = None,
        posting_prefix: str = "P",
        tick_seconds: float = 10.0,
        steady: bool = False,
        search_shows_new: bool = True,
    ) -> None:
        market.begin_run()
        self.market = market
        self.rates = rates or NationalRates()
        self.start_ms = market.config.start_ms if start_ms is None else start_ms
        self.list_source = list_source
        self.prefix = event_id_prefix
        self.burst_closes = burst_closes
        self.posting_prefix = posting_prefix
        self.tick_ms = max(1, int(tick_seconds * SECOND_MS))
        self.steady = steady
        self.search_shows_new = search_shows_new
        self._initial_rows = len(market.postings)
        self._rng = random.Random(f"{seed}:national")
        self._np = np.random.default_rng(random.Random(f"{seed}:counts").getrandbits(64))
        self._event_no = 0
        self._open: list[int] = [s.index for s in market.postings if s.open]
        self._open_pos = {row: i for i, row in enumerate(self._open)}
        self._rows = {s.posting.posting_id: s.index for s in market.postings}
        self._seen: dict[int, list[int]] = {}  # seeker index -> what a search showed
        self._actions = [a for a, _ in self.rates.actions] + ["impression"]
        self._action_cum = list(
            itertools.accumulate([w for _, w in self.rates.actions] + [self.rates.impression_share])
        )
        longest = max(market.config.list_size, market.config.search_page_size)
        self._position_cum = list(
            itertools.accumulate(examine_probability(k) for k in range(longest))
        )
        self.counts: dict[str, int] = {}  # what was emitted, by kind

    # -- the stream ---------------------------------------------------------------------

    def initial(self) -> Iterator[tuple[str, Event]]:
        """The market at the start: every open posting, then every active seeker's profile."""
        for state in self.market.postings:
            if state.open:
                yield "postings", self._upsert(self.start_ms, state)
        for seeker in self.market.seekers:
            if seeker.active:
                yield (
                    "profiles",
                    ProfileEvent(
                        self._event_id(), self.start_ms, "upsert", seeker.seeker_id, seeker.profile
                    ),
                )

    def events(self, *, seconds: float | None = None) -> Iterator[tuple[str, Event]]:
        """The activity from ``start_ms`` on, in time order (``seconds`` of it, or endless)."""
        t = self.start_ms
        end = None if seconds is None else self.start_ms + int(seconds * SECOND_MS)
        midnight = next_kst_midnight(t)
        expiring: list[tuple[int, int]] = []  # (ts, posting row), due at the coming midnight
        while end is None or t < end:
            tick_end = t + self.tick_ms if end is None else min(t + self.tick_ms, end)
            if t <= midnight < tick_end and not self.steady:
                expiring = self._expiries(midnight)
                midnight += DAY_MS
            batch = self._tick(t, tick_end)
            while expiring and expiring[0][0] < tick_end:
                ts, row = expiring.pop(0)
                batch.append((ts, 0, "expiry", row))
            batch.sort(key=lambda item: (item[0], item[1]))
            yield from self._emit(batch)
            t = tick_end

    def _tick(self, t: int, until: int) -> list[tuple[int, int, str, int]]:
        """What happens in [t, until), except the midnight expiries: (ts, order, kind, n)."""
        m, rng = self.market, self._rng
        hour = kst_hour(t)
        span = (until - t) / HOUR_MS
        expected = self.rates.per_hour(len(m.seekers), len(self._open), hour, steady=self.steady)
        batch: list[tuple[int, int, str, int]] = []
        for kind, mean in expected.items():
            for _ in range(int(self._np.poisson(mean * span))):
                batch.append((t + int(rng.random() * (until - t)), 1, kind, -1))
        return batch

    def _expiries(self, midnight: int) -> list[tuple[int, int]]:
        count = self.burst_closes
        if count is None:
            count = self.rates.expiries(len(self._open))
        rows = self._rng.sample(self._open, min(count, len(self._open)))
        spread = int(self.rates.expiry_spread_s * SECOND_MS)
        return sorted((midnight + int(self._rng.random() * spread), row) for row in rows)

    def expire(self, ts: int, count: int) -> list[PostingEvent]:
        """``count`` deadline expiries at ``ts`` now, outside the day's clock: a benchmark
        sends them at its own pace beside the mix (:func:`midnight_burst` keeps them in
        the day's stream instead)."""
        rows = self._rng.sample(self._open, min(count, len(self._open)))
        self.counts["expiry"] = self.counts.get("expiry", 0) + len(rows)
        return [self._close(ts, row) for row in rows]

    def _emit(self, batch: list[tuple[int, int, str, int]]) -> Iterator[tuple[str, Event]]:
        """Turn the tick's happenings into events; interactions read the lists once."""
        asked = [
            self.market.seekers[self._rng.randrange(len(self.market.seekers))]
            for ts, _, kind, _ in batch
            if kind == "interactions"
        ]
        lists: Mapping[str, Sequence[str]] = {}
        if asked and self.list_source is not None:
            lists = self.list_source.get_lists(sorted({s.seeker_id for s in asked}))
        seekers = iter(asked)
        for ts, _, kind, row in batch:
            if kind == "interactions":
                event = self._interaction(ts, next(seekers), lists)
                if event is not None:
                    self._count(event.action)
                    yield "interactions", event
            elif kind == "profiles":
                profile_event = self._profile(ts)
                if profile_event is not None:
                    self._count("profile")
                    yield "profiles", profile_event
            elif kind == "new_postings":
                self._count("new_posting")
                yield "postings", self._new_posting(ts)
            elif kind == "expiry":  # drawn at midnight; closed since by a withdrawal?
                if self.market.postings[row].open:
                    self._count("expiry")
                    yield "postings", self._close(ts, row)
            elif self._open:  # a withdrawal or a filled posting: any open one
                self._count("close")
                yield "postings", self._close(ts, self._open[self._rng.randrange(len(self._open))])

    def _count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    # -- each kind ----------------------------------------------------------------------

    def _interaction(
        self, ts: int, seeker: SeekerState, lists: Mapping[str, Sequence[str]]
    ) -> Interaction | None:
        rng, postings = self._rng, self.market.postings
        shown = [
            self._rows[pid]
            for pid in lists.get(seeker.seeker_id, ())
            if pid in self._rows and postings[self._rows[pid]].open
        ]
        source = "reco"
        if not shown:
            source = "search"
            shown = [r for r in self._seen.get(seeker.index, ()) if postings[r].open]
            if not shown:
                page = self.market.config.search_page_size
                shown = self.market.board.search(seeker.profile, limit=2 * page)
                if not self.search_shows_new:
                    shown = [r for r in shown if r < self._initial_rows]
                shown = shown[:page]
                self._seen[seeker.index] = shown
        if not shown:
            return None
        cum = self._position_cum[: len(shown)]
        position = bisect.bisect_right(cum, rng.random() * cum[-1])
        position = min(position, len(shown) - 1)
        action = self._actions[
            bisect.bisect_right(self._action_cum, rng.random() * self._action_cum[-1])
        ]
        return Interaction(
            self._event_id(),
            ts,
            seeker.seeker_id,
            postings[shown[position]].posting.posting_id,
            action,  # type: ignore[arg-type]
            source,  # type: ignore[arg-type]
            position,
        )

    def _profile(self, ts: int) -> ProfileEvent | None:
        m = self.market
        # An edit the generator cannot make for one seeker (no wage to change) is made by
        # another: the rate is of profile events, not of attempts.
        for _ in range(10):
            seeker = m.seekers[self._rng.randrange(len(m.seekers))]
            profile = m.generator.changed_profile(seeker) if seeker.active else None
            if profile is not None:
                break
        else:
            return None
        m.set_profile(seeker, profile)
        self._seen.pop(seeker.index, None)
        return ProfileEvent(self._event_id(), ts, "upsert", seeker.seeker_id, profile)

    def _new_posting(self, ts: int) -> PostingEvent:
        m = self.market
        state = m.new_posting(ts)
        if self.posting_prefix != "P":
            pid = f"{self.posting_prefix}{state.index + 1:06d}"
            state.posting = dataclasses.replace(state.posting, posting_id=pid)
        m.add_posting(state)
        self._rows[state.posting.posting_id] = state.index
        self._open_pos[state.index] = len(self._open)
        self._open.append(state.index)
        return self._upsert(ts, state)

    def _close(self, ts: int, row: int) -> PostingEvent:
        state = self.market.postings[row]
        self.market.close_posting(state, ts)
        pos = self._open_pos.pop(row)
        last = self._open.pop()
        if last != row:
            self._open[pos] = last
            self._open_pos[last] = pos
        return PostingEvent(self._event_id(), ts, "close", state.posting.posting_id)

    def _upsert(self, ts: int, state: PostingState) -> PostingEvent:
        p = state.posting
        return PostingEvent(self._event_id(), ts, "upsert", p.posting_id, p)

    def _event_id(self) -> str:
        self._event_no += 1
        return f"{self.prefix}-{self._event_no}"


def midnight_burst(
    market: Market,
    *,
    seed: int = 0,
    closes: int | None = None,
    before_s: float = 60.0,
    list_source: ListSource | None = None,
    event_id_prefix: str = "burst",
    posting_prefix: str = "P",
    day_ms: int | None = None,
) -> tuple[NationalDay, int]:
    """The midnight expiry burst: the national day from ``before_s`` before 00:00 KST,
    with ``closes`` expiries (default: the night's share of the open postings) in the
    first minute after it. Returns the day (iterate ``events(seconds=...)``) and the
    midnight's epoch ms."""
    midnight = next_kst_midnight(market.config.start_ms if day_ms is None else day_ms)
    day = NationalDay(
        market,
        seed=seed,
        start_ms=midnight - int(before_s * SECOND_MS),
        list_source=list_source,
        event_id_prefix=event_id_prefix,
        burst_closes=closes,
        posting_prefix=posting_prefix,
    )
    return day, midnight
