"""Compact employer lists with a cached weakest member equal those of the plain algorithm.

``EmployerLists`` keeps members as numbers in arrays and remembers the weakest member of
each full employer list instead of searching for it on every offer. A reference engine of
plain dicts and sets with the original search runs the same events (rankings, new
postings, closes, applies, deactivations and returns, a new model that re-scores
everyone); both must end with the same employer lists, at every step, and return the
same changes.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from online_model.features import FEATURES
from online_model.live.changes import EmployerListChanged, EmployerListDropped
from online_model.live.config import LiveConfig
from online_model.live.employer_lists import EmployerLists
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState, apply_interaction
from online_model.ranker import Ranker
from online_model.recommend import top_seekers
from online_model.snapshot import Snapshot
from online_model.training import Trainer
from schemas.interactions import Interaction
from simulator import Market, MarketConfig

START_MS = 1_790_000_000_000


class PlainEmployerLists:
    """The employer lists as plain dicts and sets, searching for the weakest member on
    every offer: the reference the compact, cached :class:`EmployerLists` must equal."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._members: dict[str, dict[str, float]] = {}
        self._member_of: dict[str, set[str]] = {}
        self._fresh: dict[str, dict[str, float]] = {}

    def members(self, posting_id: str) -> dict[str, float]:
        return dict(self._members.get(posting_id, {}))

    def postings(self) -> list[str]:
        return [pid for pid, members in self._members.items() if members]

    def offer(
        self, posting_id: str, seeker_id: str, score: float, *, expire_at: int
    ) -> EmployerListChanged | None:
        if posting_id in self._fresh:
            self._fresh[posting_id][seeker_id] = score
        members = self._members.setdefault(posting_id, {})
        if members.get(seeker_id) == score:
            return None
        evicted: tuple[str, ...] = ()
        if seeker_id not in members and len(members) >= self.size:
            weakest = max(members, key=lambda sid: (-members[sid], sid))
            if (-score, seeker_id) >= (-members[weakest], weakest):
                return None
            del members[weakest]
            self._member_of[weakest].discard(posting_id)
            evicted = (weakest,)
        members[seeker_id] = score
        self._member_of.setdefault(seeker_id, set()).add(posting_id)
        return EmployerListChanged(posting_id, {seeker_id: score}, evicted, expire_at)

    def replace(
        self, posting_id: str, members: Mapping[str, float], *, expire_at: int = 0
    ) -> EmployerListChanged | None:
        old = self._members.get(posting_id, {})
        removed = tuple(sorted(sid for sid in old if sid not in members))
        added = {sid: score for sid, score in members.items() if old.get(sid) != score}
        for sid in removed:
            self._member_of[sid].discard(posting_id)
        for sid in members:
            self._member_of.setdefault(sid, set()).add(posting_id)
        self._members[posting_id] = dict(members)
        if not (removed or added):
            return None
        return EmployerListChanged(posting_id, added, removed, expire_at)

    def begin(self, posting_id: str) -> None:
        self._fresh[posting_id] = {}

    def abandon(self, posting_id: str) -> None:
        self._fresh.pop(posting_id, None)

    def finish(
        self, posting_id: str, scored: list[tuple[str, float]], *, expire_at: int = 0
    ) -> EmployerListChanged | None:
        merged = dict(scored)
        merged.update(self._fresh.pop(posting_id, {}))
        top = top_seekers(merged.items(), self.size)
        return self.replace(posting_id, dict(top), expire_at=expire_at)

    def remove(self, posting_id: str, seeker_id: str) -> EmployerListChanged | None:
        self._fresh.get(posting_id, {}).pop(seeker_id, None)
        members = self._members.get(posting_id, {})
        if seeker_id not in members:
            return None
        return self.replace(posting_id, {k: v for k, v in members.items() if k != seeker_id})

    def withdraw(self, seeker_id: str) -> list[EmployerListChanged]:
        left = self.forget(seeker_id)
        return [EmployerListChanged(pid, remove=(seeker_id,)) for pid in left]

    def forget(self, seeker_id: str) -> list[str]:
        for fresh in self._fresh.values():
            fresh.pop(seeker_id, None)
        left = []
        for posting_id in sorted(self._member_of.pop(seeker_id, set())):
            if self._members.get(posting_id, {}).pop(seeker_id, None) is not None:
                left.append(posting_id)
        return left

    def drop(self, posting_id: str) -> EmployerListDropped:
        self._fresh.pop(posting_id, None)
        for seeker_id in self._members.pop(posting_id, {}):
            self._member_of[seeker_id].discard(posting_id)
        return EmployerListDropped(posting_id)


def _all_members(engine: LiveEngine) -> dict[str, dict[str, float]]:
    return {pid: engine.employers.members(pid) for pid in engine.employers.postings()}


def _engine(employers: type[EmployerLists | PlainEmployerLists]) -> LiveEngine:
    # Small employer lists, so that they fill and evict all the time.
    engine = LiveEngine(LiveConfig(posting_list_size=4))
    if employers is PlainEmployerLists:
        engine.employers = PlainEmployerLists(4)  # type: ignore[assignment]
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
        assert _all_members(cached) == _all_members(plain), action
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
        elif roll < 0.75:
            both("set_seeker", rng.choice(profiles).seeker_id, SeekerState(), reason="profile")
        elif roll < 0.8:
            # Back after a deactivation: the seeker is numbered again (perhaps with the
            # number another seeker released).
            profile = rng.choice(profiles)
            both("set_seeker", profile.seeker_id, SeekerState(profile=profile), reason="profile")
        else:
            # A new model reorders the scores: members are re-scored, not only added.
            weights = {name: rng.uniform(-1.0, 2.0) for name in FEATURES}
            snapshot = Snapshot(step + 2, START_MS + step * 3_600_000, Ranker(prior=weights))
            both("offer_snapshot", snapshot)
            for profile in rng.sample(profiles, 40):
                if pairs[0].seekers[profile.seeker_id].active:
                    both("rerank", profile.seeker_id, "model")
    full = [m for m in _all_members(pairs[0]).values() if len(m) >= 4]
    assert full, "the employer lists never filled up: the test did not test the cache"
