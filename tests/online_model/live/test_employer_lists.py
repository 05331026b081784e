"""Employer lists kept with the cached weakest member equal those of the plain algorithm.

``EmployerLists.offer`` remembers the weakest member of each full employer list instead
of searching for it on every offer. A reference engine with the original search runs the
same events (rankings, new postings, closes, applies, deactivations, a new model that
re-scores everyone); both must end with the same employer lists, at every step, and
return the same changes.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from online_model.features import FEATURES
from online_model.live.changes import EmployerListChanged
from online_model.live.config import LiveConfig
from online_model.live.employer_lists import EmployerLists
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState, apply_interaction
from online_model.ranker import Ranker
from online_model.snapshot import Snapshot
from online_model.training import Trainer
from schemas.interactions import Interaction
from simulator import Market, MarketConfig

START_MS = 1_790_000_000_000


class PlainEmployerLists(EmployerLists):
    """The search for the weakest member as it was before the cache."""

    def offer(
        self, posting_id: str, seeker_id: str, score: float, *, expire_at: int
    ) -> EmployerListChanged | None:
        members = self._members.setdefault(posting_id, {})
        if members.get(seeker_id) == score:
            return None
        evicted: tuple[str, ...] = ()
        if seeker_id not in members and len(members) >= self.size:
            weakest = max(members, key=lambda sid: (-members[sid], sid))
            if (-score, seeker_id) >= (-members[weakest], weakest):
                return None
            del members[weakest]
            self._member_of.get(weakest, set()).discard(posting_id)
            evicted = (weakest,)
        members[seeker_id] = score
        self._member_of.setdefault(seeker_id, set()).add(posting_id)
        return EmployerListChanged(posting_id, {seeker_id: score}, evicted, expire_at)


def _engine(employers: type[EmployerLists]) -> LiveEngine:
    # Small employer lists, so that they fill and evict all the time.
    engine = LiveEngine(LiveConfig(posting_list_size=4))
    engine.employers = employers(4)
    engine.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    return engine


def test_cached_and_plain_employer_lists_agree_through_a_busy_market() -> None:
    config = MarketConfig(seekers=120, postings=60, start_ms=START_MS)
    market = Market.generate(config, seed=4)
    extra = Market.generate(dataclasses.replace(config, postings=10), seed=5)
    pairs = [_engine(EmployerLists), _engine(PlainEmployerLists)]
    rng = random.Random(9)

    def both(action: str, *args: Any, **kwargs: Any) -> None:
        cached, plain = pairs
        cached_changes = getattr(cached, action)(*args, **kwargs)
        plain_changes = getattr(plain, action)(*args, **kwargs)
        assert cached.employers._members == plain.employers._members, action
        assert cached_changes == plain_changes, action

    for state in market.postings:
        both("posting_upserted", state.posting, live=False)
    profiles = [s.profile for s in market.seekers]
    for profile in profiles:
        both("set_seeker", profile.seeker_id, SeekerState(profile=profile), reason="profile")
    for step in range(150):
        roll = rng.random()
        if roll < 0.2:
            posting = extra.postings[step % 10].posting
            both("posting_upserted", dataclasses.replace(posting, posting_id=f"X{step}"), live=True)
        elif roll < 0.35:
            both("posting_closed", rng.choice(market.postings).posting.posting_id, live=True)
        elif roll < 0.7:
            keeper = pairs[0]
            sid = rng.choice(profiles).seeker_id
            lst = keeper.lists.get(sid)
            if lst is None or not len(lst):
                continue
            event = Interaction(f"e{step}", START_MS, sid, lst.ids()[0], "apply", "reco", 0)
            state, _ = apply_interaction(
                keeper.seekers[sid], event, keeper.posting(event.posting_id)
            )
            both("record_interaction", sid, state, event)
        elif roll < 0.8:
            both("set_seeker", rng.choice(profiles).seeker_id, SeekerState(), reason="profile")
        else:
            # A new model reorders the scores: members are re-scored, not only added.
            weights = {name: rng.uniform(-1.0, 2.0) for name in FEATURES}
            snapshot = Snapshot(step + 2, START_MS + step * 3_600_000, Ranker(prior=weights))
            both("offer_snapshot", snapshot)
            for profile in rng.sample(profiles, 40):
                if pairs[0].seekers[profile.seeker_id].active:
                    both("rerank", profile.seeker_id, "model")
    full = [m for m in pairs[0].employers._members.values() if len(m) >= 4]
    assert full, "the employer lists never filled up: the test did not test the cache"
