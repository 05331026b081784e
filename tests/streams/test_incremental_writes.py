"""The keeper writes a list whole or only the postings that changed; either way what Redis
ends up with equals the list (pure logic: an in-memory mirror of what RedisWriter does,
without Kafka or Redis; the scripts themselves are tested on the real server in
test_redis_writer)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Collection
from typing import Any

from schemas.interactions import Interaction
from streams.list_keeper import ListKeeper
from streams.seeker_state import apply_interaction
from tests.streams.test_list_refill import START_MS, _market_keeper


class MirrorWriter:
    """Applies the keeper's marks as RedisWriter does, to a dict: seeker -> {posting: score}."""

    def __init__(self, keeper: ListKeeper) -> None:
        self.keeper = keeper
        self.lists: dict[str, dict[str, float]] = {}
        self.full: set[str] = set()
        self.touched: dict[str, set[str]] = {}
        self.member_writes = 0

    def mark_seeker(self, seeker_id: str, reason: str) -> None:
        self.touched.pop(seeker_id, None)
        self.full.add(seeker_id)

    def update_seeker(self, seeker_id: str, posting_ids: Collection[str], **_: Any) -> None:
        if seeker_id in self.full:
            return
        self.touched.setdefault(seeker_id, set()).update(posting_ids)

    def flush(self) -> None:
        for seeker_id in self.full:
            view = self.keeper.render_seeker(seeker_id)
            if view is None:
                self.lists.pop(seeker_id, None)
            else:
                self.lists[seeker_id] = {p: score for p, score, _ in view.items}
        for seeker_id, ids in self.touched.items():
            view = self.keeper.render_items(seeker_id, ids)
            assert view is not None
            written = self.lists[seeker_id]
            for posting_id in ids:
                written.pop(posting_id, None)
            written.update({p: score for p, score, _ in view.items})
            self.member_writes += 1
        self.full.clear()
        self.touched.clear()

    def update_employer_list(self, *_: Any, **__: Any) -> None: ...
    def drop_employer_list(self, *_: object) -> None: ...


def test_member_writes_keep_redis_equal_to_every_list_through_a_busy_market() -> None:
    keeper, _, market = _market_keeper()
    mirror = MirrorWriter(keeper)
    keeper.writer = mirror  # type: ignore[assignment]
    for seeker_id in keeper.lists:
        mirror.mark_seeker(seeker_id, "profile")
    mirror.flush()

    rng = random.Random(3)
    postings = [state.posting for state in market.postings]
    for step in range(300):
        roll = rng.random()
        if roll < 0.4:  # a new posting, scored against the seekers that may want it
            posting = dataclasses.replace(rng.choice(postings), posting_id=f"N{step}")
            keeper.posting_upserted(posting, live=True)
        elif roll < 0.6:  # a close
            keeper.posting_closed(rng.choice(sorted(keeper._holders)), live=True)
        elif roll < 0.9:  # an apply to something on a list
            seeker_id = rng.choice(sorted(keeper.lists))
            ids = keeper.lists[seeker_id].ids()
            if ids:
                event = Interaction(f"E{step}", START_MS + step, seeker_id, ids[0], "apply")
                state, _ = apply_interaction(
                    keeper.seekers[seeker_id], event, keeper.posting(ids[0])
                )
                keeper.record_interaction(seeker_id, state, event)
        else:  # the sweeper backfills a few
            keeper.refill(3)
        if rng.random() < 0.3:
            mirror.flush()
    mirror.flush()

    assert mirror.member_writes > 50, "too few member writes to test them"
    for seeker_id in keeper.lists:
        view = keeper.render_seeker(seeker_id)
        assert view is not None
        assert mirror.lists[seeker_id] == {p: score for p, score, _ in view.items}, seeker_id


def test_a_new_posting_changes_two_members_of_a_full_list_not_the_whole_list() -> None:
    keeper, writer, _ = _market_keeper()
    seeker_id, current = next((s, lst) for s, lst in sorted(keeper.lists.items()) if len(lst) == 12)
    # The seeker's own best posting, re-published under a new id: it enters their list.
    top = keeper.posting(current.ids()[0])
    assert top is not None
    keeper.posting_upserted(dataclasses.replace(top, posting_id="NEW1"), live=True)
    new = keeper.lists[seeker_id]
    assert "NEW1" in new and len(new) == 12
    evicted = set(current.ids()) - set(new.ids())
    assert writer.touched[seeker_id] == {"NEW1"} | evicted
    assert not writer.marks[(seeker_id, "posting")], "the list was rewritten whole"
