"""The behaviour-only scenario: empty stated profiles, the same hidden preference."""

from __future__ import annotations

from schemas.profiles import Profile, ProfileEvent
from simulator import Market
from tests.simulator.conftest import run_market, small_config


def _stated(events: list[tuple[str, object]]) -> list[Profile]:
    return [
        e.profile
        for family, e in events
        if family == "profiles" and isinstance(e, ProfileEvent) and e.profile is not None
    ]


def test_behaviour_only_publishes_only_ids_but_keeps_hidden_preference() -> None:
    silent = run_market(small_config(empty_profile_share=1.0), seed=3, days=1.0)
    stated = run_market(small_config(), seed=3, days=1.0)
    profiles = _stated(silent.events)
    assert profiles, "the run published no profile"
    # Every published profile (the initial ones and later edits) is the bare id.
    assert all(p == Profile(p.seeker_id) for p in profiles)
    # ... while the stated run publishes real wishes for most seekers.
    assert sum(bool(p.desired_occupation_codes) for p in _stated(stated.events)) > 0.5 * len(
        _stated(stated.events)
    )
    # The hidden utility is the same market for the same seed: the scenario changes only
    # what is published.
    fresh_a = Market.generate(small_config(empty_profile_share=1.0), seed=3)
    fresh_b = Market.generate(small_config(), seed=3)
    ids = fresh_a.open_posting_ids()[:50]
    assert (fresh_a.utilities("S000002", ids) == fresh_b.utilities("S000002", ids)).all()
    assert fresh_a.profile("S000002").desired_region_codes == (
        fresh_b.profile("S000002").desired_region_codes
    )


def test_behaviour_only_seekers_still_act() -> None:
    # Without a list source every session searches with what the seeker has in mind, so the
    # silent seekers still click and apply: their behaviour is the signal.
    run = run_market(small_config(empty_profile_share=1.0), seed=4, days=1.0)
    actions = run.market.stats.actions
    assert actions.get("click", 0) > 0 and actions.get("apply", 0) > 0


def test_mixed_share_silences_about_that_share() -> None:
    run = run_market(small_config(empty_profile_share=0.5), seed=5, days=0.1)
    first = {p.seeker_id: p for p in _stated(run.events)}
    empty = sum(p == Profile(p.seeker_id) for p in first.values())
    assert 0.35 * len(first) < empty < 0.65 * len(first)
