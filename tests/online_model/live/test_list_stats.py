"""The list gauges in steps (pure: the engine, no sink).

What must hold: walking the seekers in small steps gives the figures one walk does, and
seekers who go or come between the steps neither break the walk nor are counted twice.
"""

from __future__ import annotations

import pytest

from online_model.live import engine as engine_module
from online_model.live.config import LiveConfig
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from online_model.training import Trainer
from simulator import Market, MarketConfig

START_MS = 1_790_000_000_000


def _engine() -> tuple[LiveEngine, Market]:
    engine = LiveEngine(LiveConfig(seeker_list_size=12, posting_list_size=6))
    engine.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    market = Market.generate(MarketConfig(seekers=120, postings=300, start_ms=START_MS), 5)
    for state in market.postings:
        engine.posting_upserted(state.posting, live=False)
    for seeker in market.seekers[:100]:
        engine.set_seeker(seeker.seeker_id, SeekerState(profile=seeker.profile), reason="profile")
    return engine, market


def test_stepped_gauges_equal_one_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    engine, _ = _engine()
    whole = engine.list_stats(by_group_exposure=True)
    monkeypatch.setattr(engine_module, "LIST_STATS_STEP", 7)
    steps = list(engine.list_stats_steps(by_group_exposure=True))
    assert len(steps) > 100 // 7 and all(s is None for s in steps[:-1])
    assert steps[-1] == whole
    assert sum(whole.active.values()) == 100 and whole.exposed_postings > 0


def test_seekers_who_go_or_come_between_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    engine, market = _engine()
    monkeypatch.setattr(engine_module, "LIST_STATS_STEP", 10)
    walk = engine.list_stats_steps()
    next(walk)  # the first ten seekers counted
    gone = market.seekers[50].seeker_id
    engine.adopt(
        {sid: state for sid, state in engine.seekers.items() if sid != gone}
    )  # a rebalance
    newcomer = market.seekers[110]
    engine.set_seeker(newcomer.seeker_id, SeekerState(profile=newcomer.profile), reason="profile")
    stats = next(s for s in walk if s is not None)
    # The one who left before their turn is not counted; the newcomer joined after the
    # walk took its list of seekers: counted at the next tick.
    assert sum(stats.active.values()) == 99
