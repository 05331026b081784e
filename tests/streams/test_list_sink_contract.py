"""One contract for every ListSink: the in-memory sink and the Redis writer, driven by the
same live engine through the same busy market, must end up holding exactly the engine's
lists (seeker lists and employer lists), however the changes were coalesced between
flushes. The Redis case runs against the real server."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import redis
import redis.asyncio as aioredis

from online_model.live.config import LiveConfig
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState, apply_interaction
from online_model.training import Trainer
from schemas.interactions import Interaction
from settings import Settings
from simulator import Market, MarketConfig
from streams.list_sink import ListSink, MemorySink
from streams.redis_keys import RedisKeys, redis_score
from streams.redis_writer import RedisWriter

# Today: employer lists expire a day after their posting's deadline, and Redis drops a key
# whose expiry has passed at once.
START_MS = int(time.time() * 1000)


@dataclass
class SinkUnderTest:
    sink: ListSink
    # What the sink holds, read back: seeker -> {posting: integer score}, or None.
    seeker_list: Callable[[str], dict[str, int] | None]
    employer_list: Callable[[str], dict[str, int]]


def _engine() -> LiveEngine:
    engine = LiveEngine(LiveConfig(seeker_list_size=12, posting_list_size=5))
    engine.offer_snapshot(Trainer().snapshot(now_ms=START_MS))
    return engine


def _memory(engine: LiveEngine) -> SinkUnderTest:
    sink = MemorySink(render_seeker=engine.render_seeker, render_items=engine.render_items)

    def seeker_list(seeker_id: str) -> dict[str, int] | None:
        written = sink.lists.get(seeker_id)
        if written is None:
            return None
        # Redis deletes an empty sorted set: an empty list reads as none.
        return {p: redis_score(score) for p, (score, _) in written.items()} or None

    def employer_list(posting_id: str) -> dict[str, int]:
        return {s: redis_score(v) for s, v in sink.employer_lists.get(posting_id, {}).items()}

    return SinkUnderTest(sink, seeker_list, employer_list)


def _redis(engine: LiveEngine, settings: Settings, reader: redis.Redis) -> SinkUnderTest:
    url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
    keys = RedisKeys(settings.key_prefix)
    writer = RedisWriter(
        aioredis.Redis.from_url(url),
        keys,
        render_seeker=engine.render_seeker,
        render_items=engine.render_items,
        render_posting=lambda _: None,
    )

    def seeker_list(seeker_id: str) -> dict[str, int] | None:
        got = reader.zrange(keys.seeker_list(seeker_id), 0, -1, withscores=True)
        return {p: int(s) for p, s in got} if got else None

    def employer_list(posting_id: str) -> dict[str, int]:
        got = reader.zrange(keys.posting_list(posting_id), 0, -1, withscores=True)
        return {s: int(v) for s, v in got}

    return SinkUnderTest(writer, seeker_list, employer_list)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def under_test(
    request: pytest.FixtureRequest, test_settings: Settings
) -> AsyncIterator[tuple[LiveEngine, SinkUnderTest]]:
    engine = _engine()
    if request.param == "memory":
        yield engine, _memory(engine)
        return
    reader = request.getfixturevalue("redis_admin")
    sut = _redis(engine, test_settings, reader)
    yield engine, sut
    await sut.sink.client.aclose()  # type: ignore[attr-defined]


async def _open_market(engine: LiveEngine, sink: ListSink, market: Market) -> None:
    """The market's postings and seekers in the engine, their first lists written."""
    for state in market.postings:
        sink.apply(engine.posting_upserted(state.posting, live=False))
    for seeker in market.seekers:
        state = SeekerState(profile=seeker.profile)
        sink.apply(engine.set_seeker(seeker.seeker_id, state, reason="profile"))
    await sink.flush()


def _assert_holds_the_engine(engine: LiveEngine, sut: SinkUnderTest, seekers: list[str]) -> None:
    """Every seeker's list and every posting's employer list (closed ones too: empty)."""
    for seeker_id in seekers:
        view = engine.render_seeker(seeker_id)
        want = None if view is None else {p: redis_score(s) for p, s, _ in view.items}
        assert sut.seeker_list(seeker_id) == (want or None), seeker_id
    for posting_id in sorted(engine._directory):
        want = {s: redis_score(v) for s, v in engine.employers.members(posting_id).items()}
        assert sut.employer_list(posting_id) == want, posting_id


async def test_a_sink_holds_the_engines_lists_through_a_busy_market(
    under_test: tuple[LiveEngine, SinkUnderTest],
) -> None:
    engine, sut = under_test
    sink = sut.sink
    market = Market.generate(MarketConfig(seekers=60, postings=300, start_ms=START_MS), seed=11)
    await _open_market(engine, sink, market)
    seekers = [s.seeker_id for s in market.seekers]

    rng = random.Random(5)
    postings = [state.posting for state in market.postings]
    closed: list[str] = []
    for step in range(250):
        roll = rng.random()
        if roll < 0.3:  # a new posting
            posting = dataclasses.replace(rng.choice(postings), posting_id=f"N{step}")
            sink.apply(engine.posting_upserted(posting, live=True))
        elif roll < 0.45:  # a close
            closing = rng.choice(sorted(engine.lists.held_postings()))
            closed.append(closing)
            sink.apply(engine.posting_closed(closing, live=True))
        elif roll < 0.5 and closed:  # a closed posting opens again, maybe in the same flush
            reopened = engine.posting(closed.pop())
            assert reopened is not None
            sink.apply(engine.posting_upserted(reopened, live=True))
        elif roll < 0.8:  # an apply or a dismissal of something on a list
            seeker_id = rng.choice(sorted(sid for sid, _ in engine.lists.items()))
            ids = engine.lists[seeker_id].ids()
            if ids:
                action = rng.choice(["apply", "dismiss"])
                event = Interaction(f"E{step}", START_MS + step, seeker_id, ids[0], action)
                state, _ = apply_interaction(
                    engine.seekers[seeker_id], event, engine.posting(ids[0])
                )
                sink.apply(engine.record_interaction(seeker_id, state, event))
        elif roll < 0.85:  # a deactivation
            seeker_id = rng.choice(seekers)
            sink.apply(engine.set_seeker(seeker_id, SeekerState(), reason="profile"))
        else:  # the sweeper backfills a few
            sink.apply(engine.refill(3)[1])
        if rng.random() < 0.2:
            await sink.flush()
    await sink.flush()

    _assert_holds_the_engine(engine, sut, seekers)
    assert any(engine.employers.members(p) for p in engine.employers.postings())


async def test_a_posting_closed_and_opened_again_between_flushes_keeps_no_old_member(
    under_test: tuple[LiveEngine, SinkUnderTest],
) -> None:
    engine, sut = under_test
    sink = sut.sink
    market = Market.generate(MarketConfig(seekers=30, postings=40, start_ms=START_MS), seed=3)
    await _open_market(engine, sink, market)
    posting_id = max(engine.employers.postings(), key=lambda p: len(engine.employers.members(p)))
    posting = engine.posting(posting_id)
    assert posting is not None and sut.employer_list(posting_id)

    sink.apply(engine.posting_closed(posting_id, live=True))
    # Opened again with other requirements, before the close was written.
    changed = dataclasses.replace(posting, occupation_code="999999", title="다른 직무")
    sink.apply(engine.posting_upserted(changed, live=True))
    await sink.flush()

    _assert_holds_the_engine(engine, sut, [s.seeker_id for s in market.seekers])
