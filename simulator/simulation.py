"""The event schedule: a discrete-event simulation of the market over a virtual clock.

Happenings (a session starts, a posting arrives or closes, a profile is edited, a seeker
registers or leaves, an application turns into a hire) wait in a time-ordered queue. Time
advances in ticks of ``MarketConfig.tick_seconds``: the sessions of a tick ask the list
source for their lists in one batch, every happening of the tick runs in time order, and
the events they produce are released in timestamp order (a session's events spread over
the following minutes). An interaction whose posting closed, or whose seeker left, before
its timestamp is dropped, as the site would not show it.

Daily rhythms: sessions peak in office hours and evenings, postings arrive in office
hours, both less at weekends (Korean time). Pure: all randomness comes from the seed.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

import numpy as np

from schemas import Event
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import Profile, ProfileEvent
from simulator.behaviour import examine_probability, hire_probability, react
from simulator.config import MarketConfig, MarketStats
from simulator.entities import DAY_MS, Generator, PostingState, SeekerState
from simulator.scenarios import stated_profile, states_nothing
from simulator.search import JobBoard
from simulator.sources import ListSource

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
SECOND_MS = 1000
KST_OFFSET_MS = 9 * HOUR_MS

# Happenings.
SESSION, ARRIVAL, CLOSE, PROFILE_EDIT, REGISTER, CHURN, DEACTIVATE, HIRE = range(8)
# Outputs.
OUT_POSTING, OUT_CLOSE, OUT_PROFILE, OUT_DEACTIVATE, OUT_INTERACTION = range(5)
CLOSE_REASONS = ("expired", "withdrawn", "filled")
EXPIRED, WITHDRAWN, FILLED = range(3)
SOURCES = ("reco", "search")

NO_DEADLINE_LIFETIME_DAYS = 25.0  # 채용시까지 postings are withdrawn after this long on average
EARLY_WITHDRAWAL = 0.10  # share of postings with a deadline withdrawn before it

# Relative activity per hour of the day (KST), weekdays.
SESSION_HOURS = (
    0.25, 0.12, 0.06, 0.05, 0.08, 0.2, 0.5, 0.9, 1.3, 1.6, 1.6, 1.4,
    1.3, 1.5, 1.6, 1.5, 1.4, 1.3, 1.1, 1.2, 1.4, 1.3, 0.9, 0.5,
)  # fmt: skip
POSTING_HOURS = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.05, 0.2, 0.6, 1.6, 2.2, 2.2, 1.8,
    1.0, 1.8, 2.0, 1.8, 1.5, 1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03,
)  # fmt: skip


class Rhythm:
    """Activity by hour of the week (KST), normalised to a weekly mean of 1."""

    def __init__(self, hours: Sequence[float], weekend: float) -> None:
        week = [h * (weekend if day >= 5 else 1.0) for day in range(7) for h in hours]
        mean = sum(week) / len(week)
        self.table = [w / mean for w in week]
        self.peak = max(self.table)

    def weight(self, ms: int) -> float:
        hours = (ms + KST_OFFSET_MS) // HOUR_MS
        day = (hours // 24 + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        return self.table[day * 24 + hours % 24]


SESSION_RHYTHM = Rhythm(SESSION_HOURS, weekend=0.6)
POSTING_RHYTHM = Rhythm(POSTING_HOURS, weekend=0.2)


class SimulatedMarket(Protocol):
    """What the simulation reads and changes of a market (:class:`simulator.market.Market`)."""

    config: MarketConfig
    stats: MarketStats
    seed: int
    seekers: list[SeekerState]
    postings: list[PostingState]
    generator: Generator
    board: JobBoard

    def new_posting(self, posted_at: int) -> PostingState: ...

    def add_posting(self, state: PostingState) -> None: ...

    def close_posting(self, state: PostingState, ts: int) -> None: ...

    def set_profile(self, seeker: SeekerState, profile: Profile) -> None: ...

    def utilities_at(self, seeker: SeekerState, rows: np.ndarray) -> np.ndarray: ...


class Simulation:
    """One run of a market; iterate it for ``(topic family, event)`` pairs."""

    def __init__(
        self,
        market: SimulatedMarket,
        *,
        days: float | None,
        list_source: ListSource | None,
        event_id_prefix: str,
    ) -> None:
        self.market = market
        self.config = market.config
        self.stats = market.stats
        self.rng = random.Random(f"{market.seed}:behaviour")
        self.list_source = list_source
        self.prefix = event_id_prefix
        start = self.config.start_ms
        self.end_ms = None if days is None else start + int(days * DAY_MS)
        self._happenings: list[tuple] = []  # type: ignore[type-arg]
        self._outputs: list[tuple] = []  # type: ignore[type-arg]
        self._seq = 0
        self._event_no = 0
        self._active: list[int] = []
        self._active_pos: dict[int, int] = {}
        self._open = 0
        longest = max(self.config.list_size, self.config.search_page_size)
        self._examine = [examine_probability(k) for k in range(longest)]

    def __iter__(self) -> Iterator[tuple[str, Event]]:
        return self._run()

    # --- the main loop ---------------------------------------------------------------

    def _run(self) -> Iterator[tuple[str, Event]]:
        m, cfg = self.market, self.config
        start = cfg.start_ms
        for state in m.postings:
            self.stats.postings_opened += 1
            yield "postings", self._posting_event(start, state)
        for seeker in m.seekers:
            yield (
                "profiles",
                ProfileEvent(
                    self._event_id(), start, "upsert", seeker.seeker_id, self._stated(seeker)
                ),
            )
        for state in m.postings:
            self._open += 1
            self._schedule_close(state, start)
        for seeker in m.seekers:
            self._activate(seeker, start)
        self._next_arrival(start)
        self._next(PROFILE_EDIT, start, cfg.profile_change_rate * len(self._active))
        self._next(REGISTER, start, cfg.registration_rate * cfg.seekers)
        self._next(CHURN, start, cfg.deactivation_rate * len(self._active))

        tick = cfg.tick_seconds * SECOND_MS
        t = start
        while self.end_ms is None or t < self.end_ms:
            tick_end = t + tick if self.end_ms is None else min(t + tick, self.end_ms)
            self._process_until(tick_end)
            yield from self._release(tick_end)
            t = tick_end

    def _process_until(self, until: int) -> None:
        heap = self._happenings
        while heap and heap[0][0] < until:
            batch = []
            while heap and heap[0][0] < until:
                batch.append(heapq.heappop(heap))
            plans = self._plan_sessions(batch)
            asked = [
                self.market.seekers[h[3]].seeker_id
                for h, plan in zip(batch, plans, strict=True)
                if plan == 1
            ]
            lists: Mapping[str, Sequence[str]] = {}
            if asked and self.list_source is not None:
                lists = self.list_source.get_lists(asked)
            for h, plan in zip(batch, plans, strict=True):
                self._dispatch(h, plan, lists)

    def _plan_sessions(self, batch: list[tuple]) -> list[int]:  # type: ignore[type-arg]
        """Per happening: -1 not a session to run, 0 search session, 1 asks for its list."""
        plans = []
        rng = self.rng
        for h in batch:
            if h[2] != SESSION:
                plans.append(-1)
                continue
            seeker = self.market.seekers[h[3]]
            if not seeker.active:
                plans.append(-1)
                continue
            self._schedule_session(seeker, h[0])
            # Thinning: candidates come at the peak rate, kept by the hour's weight.
            if rng.random() * SESSION_RHYTHM.peak >= SESSION_RHYTHM.weight(h[0]):
                plans.append(-1)
                continue
            wants_list = self.list_source is not None and rng.random() < self.config.reco_share
            plans.append(1 if wants_list else 0)
        return plans

    def _dispatch(self, h: tuple, plan: int, lists: Mapping[str, Sequence[str]]) -> None:  # type: ignore[type-arg]
        t, _, kind, a, b, c = h
        m, rng, cfg = self.market, self.rng, self.config
        if kind == SESSION:
            if plan >= 0:
                seeker = m.seekers[a]
                self._session(
                    seeker, t, lists.get(seeker.seeker_id) if plan == 1 else None, plan == 1
                )
        elif kind == ARRIVAL:
            self._arrival(t)
        elif kind == CLOSE:
            state = m.postings[a]
            if state.open:
                m.close_posting(state, t)
                self._open -= 1
                reason = CLOSE_REASONS[b]
                self.stats.postings_closed[reason] = self.stats.postings_closed.get(reason, 0) + 1
                self._emit(t, OUT_CLOSE, a)
        elif kind == PROFILE_EDIT:
            if self._active:
                seeker = m.seekers[rng.choice(self._active)]
                profile = m.generator.changed_profile(seeker)
                if profile is not None:
                    m.set_profile(seeker, profile)
                    self.stats.profile_updates += 1
                    self._emit(t, OUT_PROFILE, seeker.index, profile)
            self._next(PROFILE_EDIT, t, cfg.profile_change_rate * len(self._active))
        elif kind == REGISTER:
            seeker = m.generator.seeker(len(m.seekers))
            m.seekers.append(seeker)
            self.stats.registrations += 1
            self._emit(t, OUT_PROFILE, seeker.index, seeker.profile)
            self._activate(seeker, t)
            self._next(REGISTER, t, cfg.registration_rate * cfg.seekers)
        elif kind == CHURN:
            if self._active:
                self._deactivate(m.seekers[rng.choice(self._active)], t)
            self._next(CHURN, t, cfg.deactivation_rate * len(self._active))
        elif kind == DEACTIVATE:
            seeker = m.seekers[a]
            if seeker.active:
                self._deactivate(seeker, t)
        elif kind == HIRE:
            self._hire(m.seekers[a], m.postings[b], t, SOURCES[c])

    def _release(self, until: int) -> Iterator[tuple[str, Event]]:
        m, out = self.market, self._outputs
        actions = self.stats.actions
        while out and out[0][0] < until:
            ts, _, kind, a, b, c, d = heapq.heappop(out)
            if kind == OUT_INTERACTION:
                posting, seeker = m.postings[b], m.seekers[a]
                if (posting.closed_at is not None and posting.closed_at <= ts) or (
                    seeker.deactivated_at is not None and seeker.deactivated_at <= ts
                ):
                    continue
                actions[c] = actions.get(c, 0) + 1
                source, position = d
                yield (
                    "interactions",
                    Interaction(
                        self._event_id(),
                        ts,
                        seeker.seeker_id,
                        posting.posting.posting_id,
                        c,
                        source,
                        position,
                    ),
                )
            elif kind == OUT_POSTING:
                yield "postings", self._posting_event(ts, m.postings[a])
            elif kind == OUT_CLOSE:
                pid = m.postings[a].posting.posting_id
                yield "postings", PostingEvent(self._event_id(), ts, "close", pid)
            elif kind == OUT_PROFILE:
                seeker = m.seekers[a]
                stated = self._stated(seeker, b)
                yield (
                    "profiles",
                    ProfileEvent(self._event_id(), ts, "upsert", seeker.seeker_id, stated),
                )
            elif kind == OUT_DEACTIVATE:
                sid = m.seekers[a].seeker_id
                yield "profiles", ProfileEvent(self._event_id(), ts, "deactivate", sid)

    def _stated(self, seeker: SeekerState, profile: Profile | None = None) -> Profile:
        # What the seeker publishes; the market keeps the full profile for the hidden
        # preference, the search box and hiring.
        empty = states_nothing(self.market.seed, seeker.index, self.config.empty_profile_share)
        return stated_profile(seeker.profile if profile is None else profile, empty=empty)

    # --- happenings ------------------------------------------------------------------

    def _session(
        self, seeker: SeekerState, t: int, reco: Sequence[str] | None, asked: bool
    ) -> None:
        m, cfg, rng, stats = self.market, self.config, self.rng, self.stats
        stats.sessions += 1
        rows: list[int] = []
        source = 0
        if asked:
            stats.reco_requests += 1
            if reco:
                rows = self._open_rows(reco)
            if rows:
                stats.reco_found += 1
        if not rows:
            source = 1
            stats.search_sessions += 1
            rows = m.board.search(seeker.profile, limit=cfg.search_page_size)
            if not rows:
                stats.empty_sessions += 1
                return
        utility = m.utilities_at(seeker, np.array(rows, dtype=np.intp)).tolist()
        taste = seeker.taste
        examine = self._examine
        label = SOURCES[source]
        now = t
        for position, row in enumerate(rows):
            if rng.random() >= examine[position]:
                now += 500 + int(rng.random() * 1500)  # scrolled past
                continue
            self._emit(now, OUT_INTERACTION, seeker.index, row, "impression", (label, position))
            r = react(
                rng,
                utility[position],
                taste.threshold,
                taste.noise,
                clicked_before=row in seeker.clicked,
                applied_before=row in seeker.applied,
                dismissed_before=row in seeker.dismissed,
            )
            if r.click:
                seeker.clicked.add(row)
                clicked_at = now + 3 * SECOND_MS + int(rng.random() * 12 * SECOND_MS)
                self._emit(
                    clicked_at, OUT_INTERACTION, seeker.index, row, "click", (label, position)
                )
                if r.apply:
                    seeker.applied.add(row)
                    applied_at = clicked_at + 30 * SECOND_MS + int(rng.random() * 210 * SECOND_MS)
                    self._emit(
                        applied_at, OUT_INTERACTION, seeker.index, row, "apply", (label, position)
                    )
                    state = m.postings[row]
                    if rng.random() < hire_probability(seeker.profile, state.posting):
                        hired_at = applied_at + DAY_MS // 2 + int(rng.random() * 3.5 * DAY_MS)
                        self._push(hired_at, HIRE, seeker.index, row, source)
                    now = applied_at
                elif r.save:
                    saved_at = clicked_at + 5 * SECOND_MS + int(rng.random() * 55 * SECOND_MS)
                    self._emit(
                        saved_at, OUT_INTERACTION, seeker.index, row, "save", (label, position)
                    )
                    now = saved_at
                else:
                    now = clicked_at + 20 * SECOND_MS + int(rng.random() * 100 * SECOND_MS)
            elif r.dismiss:
                seeker.dismissed.add(row)
                dismissed_at = now + SECOND_MS + int(rng.random() * 2 * SECOND_MS)
                self._emit(
                    dismissed_at, OUT_INTERACTION, seeker.index, row, "dismiss", (label, position)
                )
                now = dismissed_at
            now += 1500 + int(rng.random() * 3000)

    def _open_rows(self, posting_ids: Sequence[str]) -> list[int]:
        """The list as the site shows it: open postings it knows, once each, up to list_size."""
        postings = self.market.postings
        rows: list[int] = []
        seen: set[int] = set()
        stale = 0
        for pid in posting_ids:
            i = _index(pid)
            if i < 0 or i >= len(postings) or i in seen:
                stale += 1
                continue
            state = postings[i]
            if not state.open or state.posting.posting_id != pid:
                stale += 1
                continue
            seen.add(i)
            rows.append(i)
            if len(rows) >= self.config.list_size:
                break
        self.stats.stale_list_items += stale
        return rows

    def _arrival(self, t: int) -> None:
        cfg = self.config
        # Candidates come at twice the peak rate; the hour's weight and how far the market
        # is from its target size decide which become postings.
        base = cfg.postings / cfg.posting_lifetime_days
        pressure = min(2.0, max(0.5, cfg.postings / max(self._open, 1)))
        keep = POSTING_RHYTHM.weight(t) * pressure / (POSTING_RHYTHM.peak * 2.0)
        if self.rng.random() < keep:
            m = self.market
            state = m.new_posting(t)
            m.add_posting(state)
            self._open += 1
            self.stats.postings_opened += 1
            self._emit(t, OUT_POSTING, state.index)
            self._schedule_close(state, t)
        self._next_arrival(t, base)

    def _next_arrival(self, t: int, base: float | None = None) -> None:
        cfg = self.config
        if base is None:
            base = cfg.postings / cfg.posting_lifetime_days
        self._next(ARRIVAL, t, base * POSTING_RHYTHM.peak * 2.0)

    def _hire(self, seeker: SeekerState, state: PostingState, t: int, source: str) -> None:
        if not state.open or not seeker.active:
            return
        rng = self.rng
        state.hires += 1
        self._emit(t, OUT_INTERACTION, seeker.index, state.index, "hire", (source, None))
        if state.hires >= state.capacity:
            self._push(
                t + 10 * MINUTE_MS + int(rng.random() * 4 * HOUR_MS), CLOSE, state.index, FILLED
            )
        if rng.random() < self.config.deactivate_after_hire:
            self._push(t + 2 * HOUR_MS + int(rng.random() * 3 * DAY_MS), DEACTIVATE, seeker.index)

    # --- helpers ---------------------------------------------------------------------

    def _schedule_close(self, state: PostingState, now: int) -> None:
        rng = self.rng
        if state.expires_at is not None:
            when, reason = state.expires_at, EXPIRED
            if rng.random() < EARLY_WITHDRAWAL and state.expires_at > now:
                when, reason = now + int(rng.random() * (state.expires_at - now)), WITHDRAWN
        else:
            when = now + int(rng.expovariate(1.0 / NO_DEADLINE_LIFETIME_DAYS) * DAY_MS)
            reason = WITHDRAWN
        self._push(max(when, now), CLOSE, state.index, reason)

    def _schedule_session(self, seeker: SeekerState, t: int) -> None:
        rate = seeker.taste.sessions_per_day * SESSION_RHYTHM.peak / DAY_MS
        self._push(t + 1 + int(self.rng.expovariate(rate)), SESSION, seeker.index)

    def _next(self, kind: int, t: int, per_day: float) -> None:
        """Schedule the next happening of a Poisson process of ``per_day`` events a day."""
        if per_day <= 0:
            self._push(t + HOUR_MS, kind)  # look again later
            return
        self._push(t + 1 + int(self.rng.expovariate(per_day / DAY_MS)), kind)

    def _activate(self, seeker: SeekerState, t: int) -> None:
        self._active_pos[seeker.index] = len(self._active)
        self._active.append(seeker.index)
        self._schedule_session(seeker, t)

    def _deactivate(self, seeker: SeekerState, t: int) -> None:
        seeker.active = False
        seeker.deactivated_at = t
        pos = self._active_pos.pop(seeker.index)
        last = self._active.pop()
        if last != seeker.index:
            self._active[pos] = last
            self._active_pos[last] = pos
        self.stats.deactivations += 1
        self._emit(t, OUT_DEACTIVATE, seeker.index)

    def _push(self, t: int, kind: int, a: int = -1, b: int = -1, c: int = -1) -> None:
        self._seq += 1
        heapq.heappush(self._happenings, (t, self._seq, kind, a, b, c))

    def _emit(
        self, ts: int, kind: int, a: int, b: object = None, c: object = None, d: object = None
    ) -> None:
        self._seq += 1
        heapq.heappush(self._outputs, (ts, self._seq, kind, a, b, c, d))

    def _event_id(self) -> str:
        self._event_no += 1
        return f"{self.prefix}-{self._event_no}"

    def _posting_event(self, ts: int, state: PostingState) -> PostingEvent:
        p = state.posting
        return PostingEvent(self._event_id(), ts, "upsert", p.posting_id, p)


def _index(entity_id: str) -> int:
    digits = entity_id[1:]
    return int(digits) - 1 if digits.isdigit() and entity_id[:1] == "P" else -1
