"""A posting that leaves full lists leaves them at once; the freed slots are backfilled by
one coalesced full re-rank per seeker, after which every list equals a ranking from
scratch (pure logic: the ListKeeper without Kafka or Redis)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from online_model.recommend import rank_seeker
from online_model.training import Trainer
from schemas.interactions import Interaction
from settings import Settings
from simulator import Market, MarketConfig
from streams.list_keeper import REFILL_MAX_PER_TICK, REFILL_SHORT_BY, ListKeeper
from streams.seeker_state import SeekerState, apply_interaction

START_MS = 1_790_000_000_000


class MarkingWriter:
    """Just enough of RedisWriter for the keeper: counts list rewrites by reason, and
    remembers which postings of which lists changed without a rewrite."""

    def __init__(self) -> None:
        self.marks: Counter[tuple[str, str]] = Counter()
        self.touched: dict[str, set[str]] = {}

    def mark_seeker(self, seeker_id: str, reason: str) -> None:
        self.marks[(seeker_id, reason)] += 1

    def update_seeker(self, seeker_id: str, posting_ids: Any, **_: Any) -> None:
        self.touched.setdefault(seeker_id, set()).update(posting_ids)

    def update_employer_list(self, *_: Any, **__: Any) -> None: ...
    def drop_employer_list(self, *_: object) -> None: ...


def _market_keeper() -> tuple[ListKeeper, MarkingWriter, Market]:
    # Short lists over a big catalog: every list is full, so removals cannot decide alone.
    keeper = ListKeeper(dataclasses.replace(Settings(), seeker_list_size=12))
    writer = MarkingWriter()
    keeper.writer = writer  # type: ignore[assignment]
    keeper.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    market = Market.generate(MarketConfig(seekers=80, postings=500, start_ms=START_MS), seed=7)
    for state in market.postings:
        keeper.posting_upserted(state.posting, live=False)
    for seeker in market.seekers:
        keeper.set_seeker(seeker.seeker_id, SeekerState(profile=seeker.profile), reason="profile")
    return keeper, writer, market


def _from_scratch(keeper: ListKeeper, seeker_id: str) -> list[str]:
    state = keeper.seekers[seeker_id]
    assert state.profile is not None
    s = keeper.settings
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


def _most_held(keeper: ListKeeper, n: int) -> list[str]:
    held = Counter(pid for lst in keeper.lists.values() for pid in lst.ids())
    return [pid for pid, _ in held.most_common(n)]


def test_closed_postings_leave_at_once_and_the_slots_are_backfilled_once() -> None:
    keeper, writer, _ = _market_keeper()
    closing = _most_held(keeper, 3)
    holders = {sid for sid, lst in keeper.lists.items() if set(closing) & set(lst.ids())}
    assert len(holders) > 3
    assert all(len(keeper.lists[sid]) == 12 for sid in holders), "lists must start full"
    held = {sid: set(closing) & set(keeper.lists[sid].ids()) for sid in holders}

    for posting_id in closing:
        keeper.posting_closed(posting_id, live=True)

    for lst in keeper.lists.values():
        assert not set(closing) & set(lst.ids())
    # Taken out of the lists in Redis, not rewritten.
    assert not any(reason == "close" for _, reason in writer.marks)
    assert writer.touched == held
    waiting = {sid for sid in holders if len(keeper.lists[sid]) < 12}
    assert waiting, "no list was left to backfill: the test did not test the refill"
    assert keeper.pending_sweep == len(waiting)

    assert keeper.refill(budget=len(waiting)) == len(waiting)
    assert keeper.pending_sweep == 0
    for sid in keeper.lists:
        assert keeper.lists[sid].ids() == _from_scratch(keeper, sid), sid
    # One re-rank per seeker, however many of its postings closed.
    assert all(writer.marks[(sid, "refill")] == 1 for sid in waiting)


def test_a_seeker_waiting_for_backfill_gets_new_postings_from_the_full_re_rank() -> None:
    keeper, _, market = _market_keeper()
    keeper.posting_closed(_most_held(keeper, 1)[0], live=True)
    assert keeper.pending_sweep > 0
    waiting = list(keeper._refill)
    for state in market.postings[:40]:
        # Re-published as new postings: scored against every candidate seeker.
        posting = dataclasses.replace(state.posting, posting_id=f"N{state.posting.posting_id}")
        keeper.posting_upserted(posting, live=True)
    assert list(keeper._refill) == waiting, "insertions must not bypass the pending re-rank"

    keeper.refill(budget=len(waiting))
    for sid in keeper.lists:
        assert keeper.lists[sid].ids() == _from_scratch(keeper, sid), sid


def test_lists_many_postings_short_are_backfilled_first() -> None:
    keeper, _, _ = _market_keeper()
    seeker_id = next(sid for sid, lst in sorted(keeper.lists.items()) if len(lst) == 12)
    for posting_id in keeper.lists[seeker_id].ids()[:REFILL_SHORT_BY]:
        keeper.posting_closed(posting_id, live=True)
    assert len(keeper.lists[seeker_id]) <= 12 - REFILL_SHORT_BY + 1
    few_short = {sid for sid in keeper._refill if sid not in keeper._short}
    assert seeker_id in keeper._short and few_short

    assert keeper.refill(budget=1000, short_only=True) >= 1
    assert seeker_id not in keeper._refill and not keeper._short
    assert keeper.lists[seeker_id].ids() == _from_scratch(keeper, seeker_id)
    assert few_short <= set(keeper._refill), "lists a few short wait for the slow lane"
    # The slow lane: every short list within REFILL_WITHIN_S, a bounded number per tick.
    assert 1 <= keeper.refill_budget(1.0) <= REFILL_MAX_PER_TICK


def test_an_apply_takes_the_posting_out_at_once_and_its_history_is_ranked_in_later() -> None:
    keeper, writer, _ = _market_keeper()
    seeker_id = sorted(keeper.lists)[0]
    applied = keeper.lists[seeker_id].ids()[0]
    event = Interaction("E1", START_MS + 1000, seeker_id, applied, "apply", "reco", 0)
    before = keeper.seekers[seeker_id]
    state, outcome = apply_interaction(before, event, keeper.posting(applied))
    assert outcome == "applied" and state.history != before.history

    assert keeper.record_interaction(seeker_id, state, event), "the list changed at once"
    assert applied not in keeper.lists[seeker_id]
    assert writer.touched[seeker_id] == {applied}
    assert not writer.marks[(seeker_id, "interaction")], "no re-rank in the agent's path"
    assert keeper.pending_sweep == 1

    assert keeper.refill(budget=1) == 1
    assert keeper.lists[seeker_id].ids() == _from_scratch(keeper, seeker_id)
    assert writer.marks[(seeker_id, "refill")] == 1
