"""Closes on the real broker and Redis: a closed posting leaves a seeker's list as a portal
reads it, and the next-best posting from the list's reserve (held in the worker's memory,
never in Redis) takes the freed place with its reasons, written by the close itself, not
by a re-rank; a list whose reserve ran out is backfilled by a re-rank later.

Waits are on conditions with deadlines (a deadline bounds a wait, it is no speed target:
``python -m bench.close_cost`` measures what a close costs).
"""

from __future__ import annotations

import orjson
import pytest
import redis

from client.producer import EventProducer
from settings import Settings
from streams.redis_keys import RedisKeys
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_live_lists import (
    WAIT_S,
    forklift_posting,
    forklift_seeker,
    list_of,
)
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Lists of six (four of them exploration slots: every posting here is new) over ten
# postings of ten employers, so every list is full and the other four are candidates.
LIST_SIZE = 6
POSTINGS = [f"P{i}" for i in range(10)]


def _market(producer: EventProducer, reader: redis.Redis, keys: RedisKeys) -> list[str]:
    """Ten alike postings and S42, who wants them; returns S42's full list as read."""
    for i, posting_id in enumerate(POSTINGS):
        producer.send_posting(forklift_posting(posting_id, employer_id=f"E{i}"))
    producer.send_profile(forklift_seeker("S42"))
    producer.flush()

    def full() -> list[str] | None:
        shown = list_of(reader, keys, "S42")
        return shown if len(shown) == LIST_SIZE else None

    return wait_for(full, timeout=WAIT_S, what=f"S42's list full ({LIST_SIZE} postings)")


def test_a_close_is_read_at_once_and_a_reserve_posting_takes_the_place_with_reasons(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    start_worker(seeker_list_size=LIST_SIZE, seeker_list_reserve=4)
    keys = RedisKeys(kafka_topics.key_prefix)
    shown = _market(producer, reader, keys)
    closing = shown[0]
    producer.close_posting(closing)
    producer.flush()

    def replaced() -> list[str] | None:
        now = list_of(reader, keys, "S42")
        return now if closing not in now and len(now) == LIST_SIZE else None

    after = wait_for(replaced, timeout=WAIT_S, what=f"{closing} replaced in S42's list")
    (promoted,) = set(after) - set(shown)
    assert promoted in POSTINGS and set(shown) - set(after) == {closing}
    # Written by the close in the same script as the list: the promoted posting's reasons
    # are there and the closed one's are gone, and the last refresh was the close.
    why = reader.hgetall(keys.seeker_why("S42"))
    assert closing not in why
    reasons = orjson.loads(why[promoted])
    assert reasons and all(isinstance(r, str) for r in reasons)
    assert "희망 직종 일치" in reasons
    assert reader.hget(keys.seeker_meta("S42"), "reason") == "close"


def test_a_list_whose_reserve_ran_out_is_backfilled_by_a_re_rank_later(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    start_worker(seeker_list_size=LIST_SIZE, seeker_list_reserve=1)
    keys = RedisKeys(kafka_topics.key_prefix)
    shown = _market(producer, reader, keys)
    # The first close takes the one reserve posting; the second finds the reserve empty.
    closing = shown[:2]
    for posting_id in closing:
        producer.close_posting(posting_id)
    producer.flush()

    def backfilled() -> list[str] | None:
        now = list_of(reader, keys, "S42")
        meta = reader.hget(keys.seeker_meta("S42"), "reason")
        gone = not set(closing) & set(now)
        return now if gone and len(now) == LIST_SIZE and meta == "refill" else None

    after = wait_for(backfilled, timeout=WAIT_S, what="S42's list backfilled by a refill")
    assert set(after) <= set(POSTINGS) - set(closing)
    why = reader.hgetall(keys.seeker_why("S42"))
    assert set(why) == set(after), "a re-rank writes the reasons of every posting shown"
