"""A posting that leaves full lists leaves them at once, and the best reserve item of each
takes the freed place, so every list still equals a ranking from scratch; a list whose
reserve ran out is backfilled by one coalesced full re-rank later (pure logic: the live
engine and the in-memory sink, without Kafka or Redis)."""

from __future__ import annotations

import dataclasses
from collections import Counter

from online_model.live.changes import SeekerListChanged
from online_model.live.config import LiveConfig
from online_model.live.engine import REFILL_MAX_PER_TICK, LiveEngine
from online_model.live.seeker_lists import REFILL_SHORT_BY
from online_model.live.seeker_state import SeekerState, apply_interaction
from online_model.recommend import rank_seeker
from online_model.training import Trainer
from schemas.interactions import Interaction
from simulator import Market, MarketConfig
from streams.list_sink import MemorySink

START_MS = 1_790_000_000_000


def _market_keeper(reserve: int | None = None) -> tuple[LiveEngine, MemorySink, Market]:
    # Short lists over a big catalog: every list is full, so a removal is decided by the
    # reserve (``reserve``: its size, default LiveConfig's) or not at all (0).
    config = LiveConfig(seeker_list_size=12)
    if reserve is not None:
        config = dataclasses.replace(config, seeker_list_reserve=reserve)
    keeper = LiveEngine(config)
    writer = MemorySink(render_seeker=keeper.render_seeker, render_items=keeper.render_items)
    keeper.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    market = Market.generate(MarketConfig(seekers=80, postings=500, start_ms=START_MS), seed=7)
    for state in market.postings:
        writer.apply(keeper.posting_upserted(state.posting, live=False))
    for seeker in market.seekers:
        state = SeekerState(profile=seeker.profile)
        writer.apply(keeper.set_seeker(seeker.seeker_id, state, reason="profile"))
    return keeper, writer, market


def _from_scratch(keeper: LiveEngine, seeker_id: str) -> list[str]:
    state = keeper.seekers[seeker_id]
    assert state.profile is not None
    s = keeper.config
    ranked = rank_seeker(
        state.profile,
        state.history,
        keeper.catalog,
        keeper.snapshot.ranker,
        keeper.context(),
        k=s.seeker_list_size,
        max_per_employer=s.max_per_employer,
    )
    return ranked.topk.ids()


def _most_held(keeper: LiveEngine, n: int) -> list[str]:
    held = Counter(pid for _, lst in keeper.lists.items() for pid in lst.ids())
    return [pid for pid, _ in held.most_common(n)]


def _promoted(keeper: LiveEngine, before: dict[str, list[str]]) -> dict[str, set[str]]:
    return {sid: set(keeper.lists[sid].ids()) - set(ids) for sid, ids in before.items()}


def test_a_close_moves_the_best_reserve_item_up_with_no_re_rank() -> None:
    keeper, writer, _ = _market_keeper()
    writer.flush_now()
    closing = _most_held(keeper, 3)
    holders = {sid for sid, lst in keeper.lists.items() if set(closing) & set(lst.ids())}
    assert len(holders) > 3
    assert all(len(keeper.lists[sid]) == 12 for sid in holders), "lists must start full"
    before = {sid: keeper.lists[sid].ids() for sid in holders}
    reserves = {sid: set(keeper.lists[sid].reserve_ids()) for sid in holders}
    held = {sid: set(closing) & set(ids) for sid, ids in before.items()}

    for posting_id in closing:
        writer.apply(keeper.posting_closed(posting_id, live=True))
    promoted = _promoted(keeper, before)

    # Every place freed was taken from the seeker's reserve: no list is short, none waits
    # for a re-rank, and each equals a full ranking already.
    assert keeper.pending_refill == 0
    for sid in holders:
        assert len(keeper.lists[sid]) == 12, sid
        assert len(promoted[sid]) == len(held[sid]) and promoted[sid] <= reserves[sid], sid
    for sid, _ in keeper.lists.items():
        assert keeper.lists[sid].ids() == _from_scratch(keeper, sid), sid
    # In the sink: no list rewritten whole, only the closed ids out and the promoted in.
    assert not any(reason == "close" for _, reason in writer.marks)
    assert writer.touched == {sid: held[sid] | promoted[sid] for sid in holders}
    writer.flush_now()
    for sid in holders:
        written = writer.lists[sid]
        assert sorted(written) == sorted(keeper.lists[sid].ids()), sid
        # The promoted rows come with their reasons, rendered for them alone.
        assert all(written[p][1] for p in promoted[sid]), sid


def test_a_reserve_item_that_closes_leaves_the_reserve_and_writes_nothing() -> None:
    keeper, _, _ = _market_keeper()
    shown = set(keeper.lists.held_postings())
    reserved = sorted({p for _, lst in keeper.lists.items() for p in lst.reserve_ids()} - shown)
    assert reserved, "no posting is only in reserves: the test would test nothing"
    posting_id = reserved[0]
    holders = set(keeper.lists.holders(posting_id))
    before = {sid: keeper.lists[sid].ids() for sid in holders}
    changes = keeper.posting_closed(posting_id, live=True)
    for sid in holders:
        assert posting_id not in keeper.lists[sid].reserve_ids()
        assert keeper.lists[sid].ids() == before[sid]
    # A reserve is never in Redis: only the posting's employer list goes.
    assert not [c for c in changes if isinstance(c, SeekerListChanged)]
    assert not keeper.lists.holders(posting_id)


def test_a_list_whose_reserve_ran_out_is_re_ranked_later_by_refill() -> None:
    keeper, writer, _ = _market_keeper(reserve=2)
    seeker_id = next(sid for sid, lst in sorted(keeper.lists.items()) if len(lst) == 12)
    # Close the seeker's postings one by one until a close finds the reserve empty.
    closed = 0
    while seeker_id not in keeper.lists.refill:
        writer.apply(keeper.posting_closed(keeper.lists[seeker_id].ids()[0], live=True))
        closed += 1
        assert closed <= 12, "the reserve never ran out"
    assert closed >= 2, "a reserve of two fills at least the first place"
    assert len(keeper.lists[seeker_id]) == 11, "the place stays empty until the re-rank"
    assert not writer.marks[(seeker_id, "close")], "no re-rank in the close's path"

    refilled, changes = keeper.refill(budget=len(keeper.lists.refill))
    writer.apply(changes)
    assert refilled >= 1 and seeker_id not in keeper.lists.refill
    assert keeper.lists[seeker_id].ids() == _from_scratch(keeper, seeker_id)
    assert len(keeper.lists[seeker_id].reserve_ids()) == 2, "the re-rank refills the reserve"
    assert writer.marks[(seeker_id, "refill")] == 1


def test_closed_postings_leave_at_once_and_the_slots_are_backfilled_once() -> None:
    # Without a reserve (JOBMATCH_SEEKER_LIST_RESERVE=0) every full list a close leaves
    # waits for a re-rank: one per seeker, however many of its postings closed.
    keeper, writer, _ = _market_keeper(reserve=0)
    closing = _most_held(keeper, 3)
    holders = {sid for sid, lst in keeper.lists.items() if set(closing) & set(lst.ids())}
    assert len(holders) > 3
    assert all(len(keeper.lists[sid]) == 12 for sid in holders), "lists must start full"
    held = {sid: set(closing) & set(keeper.lists[sid].ids()) for sid in holders}

    for posting_id in closing:
        writer.apply(keeper.posting_closed(posting_id, live=True))

    for _, lst in keeper.lists.items():
        assert not set(closing) & set(lst.ids())
    # Taken out of the lists in Redis, not rewritten.
    assert not any(reason == "close" for _, reason in writer.marks)
    assert writer.touched == held
    waiting = {sid for sid in holders if len(keeper.lists[sid]) < 12}
    assert waiting, "no list was left to backfill: the test did not test the refill"
    assert keeper.pending_sweep == len(waiting)

    refilled, changes = keeper.refill(budget=len(waiting))
    writer.apply(changes)
    assert refilled == len(waiting)
    assert keeper.pending_sweep == 0
    for sid, _ in keeper.lists.items():
        assert keeper.lists[sid].ids() == _from_scratch(keeper, sid), sid
    # One re-rank per seeker, however many of its postings closed.
    assert all(writer.marks[(sid, "refill")] == 1 for sid in waiting)


def test_a_seeker_waiting_for_backfill_gets_new_postings_from_the_full_re_rank() -> None:
    keeper, _, market = _market_keeper(reserve=0)
    keeper.posting_closed(_most_held(keeper, 1)[0], live=True)
    assert keeper.pending_sweep > 0
    waiting = list(keeper.lists.refill)
    for state in market.postings[:40]:
        # Re-published as new postings: scored against every candidate seeker.
        posting = dataclasses.replace(state.posting, posting_id=f"N{state.posting.posting_id}")
        keeper.posting_upserted(posting, live=True)
    assert list(keeper.lists.refill) == waiting, "insertions must not bypass the pending re-rank"

    keeper.refill(budget=len(waiting))
    for sid, _ in keeper.lists.items():
        assert keeper.lists[sid].ids() == _from_scratch(keeper, sid), sid


def test_lists_many_postings_short_are_backfilled_first() -> None:
    keeper, _, _ = _market_keeper(reserve=0)
    seeker_id = next(sid for sid, lst in sorted(keeper.lists.items()) if len(lst) == 12)
    for posting_id in keeper.lists[seeker_id].ids()[:REFILL_SHORT_BY]:
        keeper.posting_closed(posting_id, live=True)
    assert len(keeper.lists[seeker_id]) <= 12 - REFILL_SHORT_BY + 1
    few_short = {sid for sid in keeper.lists.refill if sid not in keeper.lists.short}
    assert seeker_id in keeper.lists.short and few_short

    assert keeper.refill(budget=1000, short_only=True)[0] >= 1
    assert seeker_id not in keeper.lists.refill and not keeper.lists.short
    assert keeper.lists[seeker_id].ids() == _from_scratch(keeper, seeker_id)
    assert few_short <= set(keeper.lists.refill), "lists a few short wait for the slow lane"
    # The slow lane: every short list within REFILL_WITHIN_S, a bounded number per tick.
    assert 1 <= keeper.refill_budget(1.0) <= REFILL_MAX_PER_TICK


def test_an_apply_takes_the_posting_out_at_once_and_its_history_is_ranked_in_later() -> None:
    keeper, writer, _ = _market_keeper()
    seeker_id = min(sid for sid, _ in keeper.lists.items())
    before_ids = keeper.lists[seeker_id].ids()
    applied = before_ids[0]
    event = Interaction("E1", START_MS + 1000, seeker_id, applied, "apply", "reco", 0)
    before = keeper.seekers[seeker_id]
    state, outcome = apply_interaction(before, event, keeper.posting(applied))
    assert outcome == "applied" and state.history != before.history

    changes = keeper.record_interaction(seeker_id, state, event)
    writer.apply(changes)
    assert changes, "the list changed at once"
    assert applied not in keeper.lists[seeker_id]
    # The reserve's best fills the place at once; the re-rank for the history comes later.
    promoted = set(keeper.lists[seeker_id].ids()) - set(before_ids)
    assert len(promoted) == 1 and len(keeper.lists[seeker_id]) == 12
    assert writer.touched[seeker_id] == {applied} | promoted
    assert not writer.marks[(seeker_id, "interaction")], "no re-rank in the agent's path"
    assert keeper.pending_sweep == 1

    refilled, changes = keeper.refill(budget=1)
    writer.apply(changes)
    assert refilled == 1
    assert keeper.lists[seeker_id].ids() == _from_scratch(keeper, seeker_id)
    assert writer.marks[(seeker_id, "refill")] == 1
