"""The national mix: shares and rates of a seeded day, the midnight burst, valid events."""

from __future__ import annotations

import itertools

import pytest

from schemas import Event, encode, parse_event
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from simulator import Market, MarketConfig, StaticListSource
from simulator.national import (
    ACTION_SHARES,
    NationalDay,
    NationalRates,
    kst_hour,
    kst_ms,
    midnight_burst,
    next_kst_midnight,
)
from simulator.simulation import DAY_MS

SEEKERS, POSTINGS = 3000, 6000
DAY_START = kst_ms(2026, 11, 3)  # a Tuesday, 00:00 KST
Day = tuple[NationalDay, list[tuple[str, Event]]]


@pytest.fixture(scope="module")
def day() -> Day:
    """One whole national day (00:00 to 24:00 KST) on a market of 3k seekers x 6k postings."""
    market = Market.generate(
        MarketConfig(seekers=SEEKERS, postings=POSTINGS, start_ms=DAY_START), seed=5
    )
    national = NationalDay(market, seed=5)
    return national, list(national.events(seconds=DAY_MS / 1000))


def _kinds(events: list[tuple[str, Event]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, e in events:
        if isinstance(e, Interaction):
            kind = e.action
        elif isinstance(e, PostingEvent):
            kind = "close" if e.op == "close" else "new_posting"
        else:
            kind = "profile"
        out[kind] = out.get(kind, 0) + 1
    return out


def test_daily_rates_per_seeker_and_per_posting(day: Day) -> None:
    _, events = day
    kinds = _kinds(events)
    interactions = sum(n for k, n in kinds.items() if k not in ("close", "new_posting", "profile"))
    # About 6.5 interactions and 0.062 profile events per seeker, 0.04 new postings and
    # 0.04 closes per open posting: Poisson counts of a day, within a few percent.
    assert interactions / SEEKERS == pytest.approx(6.5, rel=0.04)
    assert kinds["profile"] / SEEKERS == pytest.approx(0.062, rel=0.25)
    assert kinds["new_posting"] / POSTINGS == pytest.approx(0.04, rel=0.12)
    assert kinds["close"] / POSTINGS == pytest.approx(0.04, rel=0.12)


def test_action_shares_of_interactions(day: Day) -> None:
    _, events = day
    actions = [e.action for _, e in events if isinstance(e, Interaction)]
    n = len(actions)
    # The shares, impressions the rest; the tolerance is about three standard
    # deviations of a binomial share over ~19,500 interactions.
    for action, share in ACTION_SHARES:
        sd = (share * (1 - share) / n) ** 0.5
        assert abs(actions.count(action) / n - share) <= 3 * sd + 1e-4, action
    impressions = actions.count("impression") / n
    assert impressions == pytest.approx(NationalRates().impression_share, abs=0.01)


def test_sixty_percent_of_closes_expire_at_midnight_kst(day: Day) -> None:
    national, events = day
    closes = [e for _, e in events if isinstance(e, PostingEvent) and e.op == "close"]
    at_midnight = [e for e in closes if e.ts - DAY_START < 60_000]
    assert len(at_midnight) / len(closes) == pytest.approx(0.6, abs=0.05)
    assert national.counts["expiry"] == len(at_midnight)


def test_the_day_has_its_peak_hour(day: Day) -> None:
    _, events = day
    per_hour = [0] * 24
    for _, e in events:
        if isinstance(e, Interaction):
            per_hour[kst_hour(e.ts)] += 1
    rates = NationalRates()
    peak = rates.peak_hour()
    assert max(range(24), key=per_hour.__getitem__) in (peak, peak + 1, peak - 1, 14)
    # Busiest hour against the night: the shape, not a flat stream.
    assert per_hour[peak] > 10 * per_hour[3]
    assert per_hour[peak] / (sum(per_hour) / 24) == pytest.approx(
        rates.session_shape[peak], rel=0.1
    )


def test_events_are_valid_contract_events_in_time_order(day: Day) -> None:
    _, events = day
    assert all(a[1].ts <= b[1].ts for a, b in itertools.pairwise(events))
    ids = [e.event_id for _, e in events]
    assert len(set(ids)) == len(ids)
    # Every event survives the contract's own parser unchanged (a sample keeps it fast).
    for family, event in events[::50]:
        assert parse_event(family, encode(event)) == event


def test_interactions_come_from_the_seekers_list_when_there_is_one() -> None:
    market = Market.generate(MarketConfig(seekers=50, postings=200, start_ms=DAY_START), seed=2)
    ids = [s.posting.posting_id for s in market.postings]
    source = StaticListSource({s.seeker_id: ids[:120] for s in market.seekers})
    national = NationalDay(market, seed=2, start_ms=kst_ms(2026, 11, 3, 10), list_source=source)
    shown = [e for _, e in national.events(seconds=3600) if isinstance(e, Interaction)]
    assert shown and all(e.source == "reco" and e.posting_id in ids[:120] for e in shown)
    # Position bias: the top of the list is seen far more often than its end.
    top = sum(e.position is not None and e.position < 10 for e in shown)
    assert top > len(shown) / 3


def test_midnight_burst_bunches_closes_in_the_first_minute_kst() -> None:
    market = Market.generate(MarketConfig(seekers=2000, postings=6000, start_ms=DAY_START), 4)
    burst, midnight = midnight_burst(market, seed=4, closes=1200, before_s=120)
    assert midnight == next_kst_midnight(DAY_START) and kst_hour(midnight) == 0
    events = list(burst.events(seconds=300))
    closes = [e for _, e in events if isinstance(e, PostingEvent) and e.op == "close"]
    in_minute = [e for e in closes if midnight <= e.ts < midnight + 60_000]
    # Every one of the 1,200 expiries within the minute after midnight; the rest of the
    # five minutes closes only the day's trickle of withdrawals (a handful at night).
    assert burst.counts["expiry"] == 1200
    assert len(in_minute) >= 1200 and len(closes) - len(in_minute) < 20
    # The normal mix runs before, during and after the burst (at night: few, but some).
    for lo, hi in ((midnight - 120_000, midnight), (midnight, midnight + 60_000)):
        assert any(isinstance(e, Interaction) and lo <= e.ts < hi for _, e in events)
    assert any(isinstance(e, Interaction) and e.ts >= midnight + 60_000 for _, e in events)
    assert len({e.posting_id for e in closes}) == len(closes)  # each posting closes once


def test_a_market_runs_once() -> None:
    market = Market.generate(MarketConfig(seekers=10, postings=10), seed=1)
    NationalDay(market)
    with pytest.raises(RuntimeError, match="already run"):
        market.events()


def test_renamed_new_postings_keep_apart_from_a_twin() -> None:
    market = Market.generate(MarketConfig(seekers=100, postings=2000, start_ms=DAY_START), 3)
    national = NationalDay(market, seed=3, start_ms=kst_ms(2026, 11, 3, 10), posting_prefix="Q")
    new = [
        e
        for _, e in national.events(seconds=3600)
        if isinstance(e, PostingEvent) and e.op == "upsert"
    ]
    assert new and all(e.posting_id.startswith("Q") for e in new)


def test_steady_mix_has_the_days_mean_shares_at_any_hour() -> None:
    market = Market.generate(MarketConfig(seekers=3000, postings=6000, start_ms=DAY_START), 6)
    # Three in the morning: the shaped day is nearly silent, the steady mix is not.
    steady = NationalDay(market, seed=6, start_ms=kst_ms(2026, 11, 3, 3), steady=True)
    kinds = _kinds(list(steady.events(seconds=4 * 3600)))
    per_day = {k: n * 6 for k, n in kinds.items()}  # four hours -> a day
    assert kinds.get("close", 0) and "expiry" not in steady.counts
    assert per_day["close"] / POSTINGS == pytest.approx(0.04, rel=0.25)
    assert per_day["new_posting"] / POSTINGS == pytest.approx(0.04, rel=0.25)
    impressions = per_day["impression"] / SEEKERS
    assert impressions == pytest.approx(6.5 * NationalRates().impression_share, rel=0.05)


def test_search_can_leave_out_postings_opened_during_the_run() -> None:
    market = Market.generate(MarketConfig(seekers=300, postings=1000, start_ms=DAY_START), 8)
    national = NationalDay(
        market, seed=8, start_ms=kst_ms(2026, 11, 3, 9), posting_prefix="Q",
        steady=True, search_shows_new=False,
    )  # fmt: skip
    events = list(national.events(seconds=6 * 3600))
    new = {e.posting_id for _, e in events if isinstance(e, PostingEvent) and e.op == "upsert"}
    shown = {e.posting_id for _, e in events if isinstance(e, Interaction)}
    # New postings there were, and searches ran; none of them showed a new one (a
    # time-compressed benchmark would send such a click before the posting reached it).
    assert new and shown and not (new & shown)
    assert all(e.source == "search" for _, e in events if isinstance(e, Interaction))
