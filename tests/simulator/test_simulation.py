"""A run of the market: valid events in time order, a living market, sessions that behave."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from schemas import ValidationError, encode, parse_event
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import ProfileEvent
from simulator import Market, MarketConfig, StaticListSource
from simulator.behaviour import examine_probability
from simulator.config import OFFLINE_START_MS
from simulator.entities import DAY_MS
from tests.simulator.conftest import Run, run_market, small_config


def _floats(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def _interactions(run: Run) -> list[Interaction]:
    return [e for f, e in run.events if f == "interactions"]  # type: ignore[misc]


@pytest.mark.parametrize("which", ["search_run", "reco_run"])
def test_every_event_is_valid_under_the_contract(
    which: str, request: pytest.FixtureRequest
) -> None:
    run: Run = request.getfixturevalue(which)
    families = Counter()
    for family, event in run.events:
        raw = encode(event)  # type: ignore[arg-type]
        try:
            back = parse_event(family, raw)
        except ValidationError as exc:  # pragma: no cover - the message is the diagnosis
            pytest.fail(f"invalid {family} event {raw[:300]!r}: {exc}")
        assert back == event  # nothing lost or changed by the round trip
        # The contract has no fractional numbers: amounts and times are JSON integers
        # (a lenient parser would accept 13320.0; a strict consumer would not).
        assert not _floats(orjson.loads(raw)), raw
        families[family] += 1
    assert set(families) == {"postings", "profiles", "interactions"}


def test_the_run_starts_with_the_market_then_goes_forward_in_time(search_run: Run) -> None:
    market = search_run.market
    n_postings = market.config.postings
    n_seekers = market.config.seekers
    head = search_run.events[: n_postings + n_seekers]
    assert [f for f, _ in head] == ["postings"] * n_postings + ["profiles"] * n_seekers
    assert all(e.ts == OFFLINE_START_MS for _, e in head)  # type: ignore[attr-defined]
    stamps = [e.ts for _, e in search_run.events]  # type: ignore[attr-defined]
    assert stamps == sorted(stamps)
    assert stamps[-1] < OFFLINE_START_MS + 2 * DAY_MS
    ids = [e.event_id for _, e in search_run.events]  # type: ignore[attr-defined]
    assert len(set(ids)) == len(ids)


def test_postings_open_close_and_expire_and_the_market_stays_near_its_size(search_run: Run) -> None:
    market, stats = search_run.market, search_run.market.stats
    closes = [e for f, e in search_run.events if f == "postings" and e.op == "close"]  # type: ignore[attr-defined]
    assert stats.postings_opened > market.config.postings  # new ones arrived
    assert stats.postings_closed.get("expired", 0) > 0
    assert stats.postings_closed.get("withdrawn", 0) > 0
    assert len(closes) == sum(stats.postings_closed.values())
    open_now = len(market.open_posting_ids())
    assert 0.8 * market.config.postings <= open_now <= 1.25 * market.config.postings
    # New postings open during office hours more than at night (KST = UTC+9).
    new = [e for f, e in search_run.events if f == "postings" and e.op == "upsert"][
        market.config.postings :
    ]  # type: ignore[attr-defined]
    hours = Counter(((e.ts // 3_600_000) + 9) % 24 for e in new)  # type: ignore[attr-defined]
    assert sum(hours[h] for h in range(9, 18)) > 3 * sum(hours[h] for h in range(0, 6))


def test_no_interaction_with_a_posting_after_it_closed(search_run: Run) -> None:
    closed_at: dict[str, int] = {}
    for family, event in search_run.events:
        if family == "postings" and isinstance(event, PostingEvent) and event.op == "close":
            closed_at[event.posting_id] = event.ts
        elif family == "interactions":
            assert isinstance(event, Interaction)
            # Events come in time order: a posting closed earlier must not appear again.
            assert event.posting_id not in closed_at, event


def test_profiles_change_and_seekers_come_and_go(search_run: Run) -> None:
    stats = search_run.market.stats
    profiles = [e for f, e in search_run.events if f == "profiles"]
    later = profiles[search_run.market.config.seekers :]
    assert stats.profile_updates > 0 and stats.registrations > 0 and stats.deactivations > 0
    deactivated = {
        e.seeker_id for e in later if isinstance(e, ProfileEvent) and e.op == "deactivate"
    }
    assert len(deactivated) == stats.deactivations
    new_ids = (
        {e.seeker_id for e in later if e.op == "upsert"}
        - {  # type: ignore[attr-defined]
            s.seeker_id for s in search_run.market.seekers[: search_run.market.config.seekers]
        }
    )
    assert len(new_ids) == stats.registrations
    # A seeker who left does nothing afterwards.
    left_at = {e.seeker_id: e.ts for e in later if e.op == "deactivate"}  # type: ignore[attr-defined]
    for event in _interactions(search_run):
        assert event.ts < left_at.get(event.seeker_id, 1 << 62)


def test_search_sessions_show_newest_matching_postings_with_positions(search_run: Run) -> None:
    interactions = _interactions(search_run)
    assert {e.source for e in interactions} == {"search"}
    actions = Counter(e.action for e in interactions)
    # The funnel narrows: impressions > clicks > applies > hires, and all kinds happen.
    assert actions["impression"] > actions["click"] > actions["apply"] > 0
    assert actions["save"] > 0 and actions["dismiss"] > 0
    assert all(e.position is not None for e in interactions if e.action != "hire")
    stats = search_run.market.stats
    assert stats.search_sessions == stats.sessions and stats.reco_requests == 0


def test_reco_sessions_use_the_source_with_a_position_bias(reco_run: Run) -> None:
    interactions = _interactions(reco_run)
    stats = reco_run.market.stats
    assert stats.reco_requests == stats.sessions > 0
    assert stats.reco_found_share > 0.9
    impressions = Counter(
        e.position for e in interactions if e.action == "impression" and e.source == "reco"
    )
    # The top item is examined far more often than item 30 (about 20x by the curve).
    assert impressions[0] > 8 * max(impressions[29], 1)
    assert impressions[0] > impressions[5] > impressions[60]
    assert examine_probability(0) == 1.0 and examine_probability(29) < 0.06


def test_applies_follow_the_hidden_utility(reco_run: Run) -> None:
    market = reco_run.market
    shown: Counter[bool] = Counter()
    applied: Counter[bool] = Counter()
    for e in _interactions(reco_run):
        if e.source != "reco" or e.action not in ("impression", "apply"):
            continue
        wanted = market.would_apply(e.seeker_id, e.posting_id)
        (shown if e.action == "impression" else applied)[wanted] += 1
    rate_wanted = applied[True] / max(shown[True], 1)
    rate_other = applied[False] / max(shown[False], 1)
    # Noise lets some mediocre postings through, but wanted ones are applied to far more.
    assert shown[True] > 0 and rate_wanted > 4 * rate_other


def test_the_list_source_is_asked_in_batches_and_stale_entries_are_skipped() -> None:
    config = small_config(seekers=300, postings=100, reco_share=1.0)
    market = Market.generate(config, seed=3)
    lists = {
        s.seeker_id: ["P999999", "nonsense", "P000001", "P000001", "P000002"]
        for s in market.seekers[:150]
    }
    source = StaticListSource(lists)
    events = list(market.events(days=1, list_source=source))
    stats = market.stats
    # One call per tick with sessions at most, far fewer calls than sessions.
    assert 0 < source.calls < stats.sessions
    assert stats.stale_list_items >= 3 * stats.reco_found > 0  # unknown ids and duplicates
    reco = [e for f, e in events if f == "interactions" and e.source == "reco"]  # type: ignore[attr-defined]
    assert {e.posting_id for e in reco} <= {"P000001", "P000002"}
    assert {e.position for e in reco if e.action == "impression"} <= {0, 1}
    # Seekers without a list searched instead.
    assert stats.search_sessions >= stats.sessions - stats.reco_found > 0


def test_a_run_is_deterministic_under_its_seed() -> None:
    config = small_config(seekers=150, postings=80)
    a = run_market(config, seed=21, days=1).events
    b = run_market(config, seed=21, days=1).events
    c = run_market(config, seed=22, days=1).events
    assert a == b
    assert a != c


def test_a_market_runs_once() -> None:
    market = Market.generate(MarketConfig(seekers=5, postings=5), seed=1)
    market.events(days=0.1)
    with pytest.raises(RuntimeError, match="already run"):
        market.events(days=0.1)
