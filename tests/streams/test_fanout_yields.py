"""The catalog feed hands the event loop back between the steps of a fan-out.

A new posting's fan-out runs in steps (``LiveEngine.posting_upserted_steps``); the feed
awaits between them, so another task (an agent handling a click) runs while a posting
reaches thousands of lists. Asserted as a condition, not a timing: a ticker task ran
between the steps, and the lists the steps wrote equal those of a one-step fan-out.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from online_model.live import engine as engine_module
from online_model.live.config import LiveConfig
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from online_model.training import Trainer
from schemas import encode
from schemas.postings import Posting, PostingEvent
from settings import Settings
from simulator import Market, MarketConfig
from streams.feeds import CatalogFeed
from streams.list_sink import MemorySink

START_MS = 1_790_000_000_000


def _keeper(market: Market) -> tuple[LiveEngine, MemorySink]:
    engine = LiveEngine(LiveConfig(seeker_list_size=12))
    sink = MemorySink(render_seeker=engine.render_seeker, render_items=engine.render_items)
    engine.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    for state in market.postings:
        engine.posting_upserted(state.posting, live=False)
    for seeker in market.seekers:
        sink.apply(
            engine.set_seeker(
                seeker.seeker_id, SeekerState(profile=seeker.profile), reason="profile"
            )
        )
    return engine, sink


def _record(posting: Posting, n: int) -> SimpleNamespace:
    event = PostingEvent(f"new-{n}", START_MS + n, "upsert", posting.posting_id, posting)
    return SimpleNamespace(value=encode(event))


async def test_the_feed_yields_between_the_steps_of_a_fan_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "FANOUT_BLOCK", 32)
    monkeypatch.setattr(engine_module, "FANOUT_TOUCHES", 4)
    market = Market.generate(MarketConfig(seekers=300, postings=600, start_ms=START_MS), 3)
    engine, sink = _keeper(market)
    reference, reference_sink = _keeper(market)
    new = [market.new_posting(START_MS) for _ in range(3)]
    feed = CatalogFeed(Settings(), engine, sink)

    ticks: list[int] = []  # feed steps done at each tick of the ticker

    async def ticker() -> None:
        while True:
            ticks.append(feed.steps)
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    await feed._handle([_record(s.posting, n) for n, s in enumerate(new)], True)  # type: ignore[list-item]
    task.cancel()
    for state in new:
        reference_sink.apply(reference.posting_upserted(state.posting, live=True))

    assert feed.steps > 10, "the fan-outs were not split into steps"
    # The ticker ran between steps: it saw many different step counts, not just 0 and all.
    assert len(set(ticks)) > feed.steps // 2
    await sink.flush()
    await reference_sink.flush()
    assert len(sink.lists) > 200
    assert sink.lists == reference_sink.lists
    assert sink.employer_lists == reference_sink.employer_lists
