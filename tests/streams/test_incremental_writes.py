"""The engine has a list written whole or only the postings that changed; either way what
the sink ends up with equals the list (pure logic: the in-memory sink, without Kafka or
Redis; the Redis writer is held to the same results by test_list_sink_contract)."""

from __future__ import annotations

import dataclasses
import random

from online_model.live.seeker_state import apply_interaction
from schemas.interactions import Interaction
from tests.streams.test_list_refill import START_MS, _market_keeper


def test_member_writes_keep_redis_equal_to_every_list_through_a_busy_market() -> None:
    keeper, mirror, market = _market_keeper()
    mirror.flush_now()

    rng = random.Random(3)
    postings = [state.posting for state in market.postings]
    for step in range(300):
        roll = rng.random()
        if roll < 0.4:  # a new posting, scored against the seekers that may want it
            posting = dataclasses.replace(rng.choice(postings), posting_id=f"N{step}")
            mirror.apply(keeper.posting_upserted(posting, live=True))
        elif roll < 0.6:  # a close
            closing = rng.choice(sorted(keeper.lists.held_postings()))
            mirror.apply(keeper.posting_closed(closing, live=True))
        elif roll < 0.9:  # an apply to something on a list
            seeker_id = rng.choice(sorted(sid for sid, _ in keeper.lists.items()))
            ids = keeper.lists[seeker_id].ids()
            if ids:
                event = Interaction(f"E{step}", START_MS + step, seeker_id, ids[0], "apply")
                state, _ = apply_interaction(
                    keeper.seekers[seeker_id], event, keeper.posting(ids[0])
                )
                mirror.apply(keeper.record_interaction(seeker_id, state, event))
        else:  # the sweeper backfills a few
            mirror.apply(keeper.refill(3)[1])
        if rng.random() < 0.3:
            mirror.flush_now()
    mirror.flush_now()

    assert mirror.member_writes > 50, "too few member writes to test them"
    for seeker_id, _ in keeper.lists.items():
        view = keeper.render_seeker(seeker_id)
        assert view is not None
        # Scores; the reasons of a posting written before an apply may name the history
        # as it was, until the seeker's backfill re-rank rewrites the list.
        written = {p: score for p, (score, _) in mirror.lists[seeker_id].items()}
        assert written == {p: score for p, score, _ in view.items}, seeker_id


def test_a_new_posting_changes_two_members_of_a_full_list_not_the_whole_list() -> None:
    keeper, writer, _ = _market_keeper()
    seeker_id, current = next((s, lst) for s, lst in sorted(keeper.lists.items()) if len(lst) == 12)
    # The seeker's own best posting, re-published under a new id: it enters their list.
    top = keeper.posting(current.ids()[0])
    assert top is not None
    writer.apply(keeper.posting_upserted(dataclasses.replace(top, posting_id="NEW1"), live=True))
    new = keeper.lists[seeker_id]
    assert "NEW1" in new and len(new) == 12
    evicted = set(current.ids()) - set(new.ids())
    assert writer.touched[seeker_id] == {"NEW1"} | evicted
    assert not writer.marks[(seeker_id, "posting")], "the list was rewritten whole"
