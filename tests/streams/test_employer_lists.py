"""Employer lists kept with the cached weakest member equal those of the plain algorithm.

``ListKeeper._offer_to_employers`` remembers the weakest member of each full employer
list instead of searching for it on every offer. A reference keeper with the original
search runs the same events (rankings, new postings, closes, applies, deactivations,
a new model that re-scores everyone); both must end with the same employer lists, at
every step, and the same Redis updates.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from online_model import topk
from online_model.features import FEATURES
from online_model.ranker import Ranker
from online_model.snapshot import Snapshot
from online_model.training import Trainer
from schemas.interactions import Interaction
from settings import Settings
from simulator import Market, MarketConfig
from streams.list_keeper import ListKeeper, deadline_expire_at
from streams.seeker_state import SeekerState, apply_interaction

START_MS = 1_790_000_000_000


class RecordingWriter:
    """Just enough of RedisWriter for the keeper: remembers employer-list updates."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, dict[str, float], list[str]]] = []

    def update_employer_list(
        self, posting_id: str, *, add: Any = None, remove: Any = (), expire_at: int = 0
    ) -> None:
        self.updates.append((posting_id, dict(add or {}), sorted(remove)))

    def mark_seeker(self, *_: object) -> None: ...
    def update_seeker(self, *_: object, **__: object) -> None: ...
    def drop_employer_list(self, *_: object) -> None: ...
    def note_event(self, *_: object) -> None: ...


class PlainKeeper(ListKeeper):
    """The search for the weakest member as it was before the cache."""

    def _offer_to_employers(self, seeker_id: str, ranked: topk.TopKList) -> None:
        size = self.settings.posting_list_size
        for item in ranked.items():
            posting_id, score = item.posting_id, item.score
            members = self._employer.setdefault(posting_id, {})
            if members.get(seeker_id) == score:
                continue
            evicted: list[str] = []
            if seeker_id not in members and len(members) >= size:
                weakest = max(members, key=lambda sid: (-members[sid], sid))
                if (-score, seeker_id) >= (-members[weakest], weakest):
                    continue
                del members[weakest]
                self._member_of.get(weakest, set()).discard(posting_id)
                evicted.append(weakest)
            members[seeker_id] = score
            self._member_of.setdefault(seeker_id, set()).add(posting_id)
            if self.writer is not None:
                posting = self.catalog.get(posting_id)
                self.writer.update_employer_list(
                    posting_id,
                    add={seeker_id: score},
                    remove=evicted,
                    expire_at=deadline_expire_at(posting) if posting is not None else 0,
                )


def _keeper(cls: type[ListKeeper]) -> tuple[ListKeeper, RecordingWriter]:
    # Small employer lists, so that they fill and evict all the time.
    keeper = cls(dataclasses.replace(Settings(), posting_list_size=4))
    writer = RecordingWriter()
    keeper.writer = writer  # type: ignore[assignment]
    keeper.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    return keeper, writer


def test_cached_and_plain_employer_lists_agree_through_a_busy_market() -> None:
    config = MarketConfig(seekers=120, postings=60, start_ms=START_MS)
    market = Market.generate(config, seed=4)
    extra = Market.generate(dataclasses.replace(config, postings=10), seed=5)
    pairs = [_keeper(ListKeeper), _keeper(PlainKeeper)]
    rng = random.Random(9)

    def both(action: str, *args: Any, **kwargs: Any) -> None:
        for keeper, _ in pairs:
            getattr(keeper, action)(*args, **kwargs)
        (cached, cached_w), (plain, plain_w) = pairs
        assert cached._employer == plain._employer, action
        assert cached_w.updates == plain_w.updates, action

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
            keeper = pairs[0][0]
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
                if pairs[0][0].seekers[profile.seeker_id].active:
                    both("rerank", profile.seeker_id, "model")
    full = [m for m in pairs[0][0]._employer.values() if len(m) >= 4]
    assert full, "the employer lists never filled up: the test did not test the cache"
