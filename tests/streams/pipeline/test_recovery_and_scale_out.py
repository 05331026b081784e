"""Nothing lost, nothing counted twice: two workers instead of one.

The end state is compared with a fresh full recompute from the same event log
(``recompute.py``) under the model snapshot the workers scored with. Training is switched
off (no snapshot after the prior's version 1) so the one model version is known. The
kill -9 case, which shares these helpers, is in tests/faults/test_crash_recovery.py.
"""

from __future__ import annotations

import itertools
import time

import pytest
import redis
from kafka import KafkaProducer

from client.producer import EventProducer
from online_model.snapshot import loads
from settings import Settings
from simulator import Market, MarketConfig
from streams.redis_keys import RedisKeys, redis_score
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.recompute import Event, neighbour_records, recompute_lists
from tests.streams.pipeline.topic_reader import end_offset, read_topic
from tests.streams.pipeline.worker_process import WorkerProcess, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NO_TRAINING = {"snapshot_every_examples": 10**9, "snapshot_interval_seconds": 10**6}
INVALID = [b"{not json", b'{"v":2,"event_id":"x","ts":1}', b'{"v":1,"event_id":"y","ts":1}']


def market_events(n: int) -> list[tuple[str, Event]]:
    """The first ``n`` events of a small simulated market that starts now."""
    config = MarketConfig(seekers=800, postings=300, start_ms=int(time.time() * 1000))
    return list(itertools.islice(Market.generate(config, seed=7).events(), n))


def send(settings: Settings, events: list[tuple[str, Event]]) -> None:
    with EventProducer(settings) as producer:
        for family, event in events:
            producer.send_event(family, event)
        producer.flush()
    raw = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    for value in INVALID:
        raw.send(settings.topic("interactions"), key=b"S000001", value=value)
    raw.flush()
    raw.close()


def all_done(workers: list[WorkerProcess], n_postings: int, settings: Settings) -> bool:
    """Idle, the whole catalog read, and every neighbour record folded (read after idle:
    the records of the last interactions are in Kafka once their events are committed)."""
    if not all(w.idle() for w in workers):
        return False
    records = end_offset(settings, "neighbours")
    healths = [w.fresh_health() for w in workers]
    return all(
        h.get("catalog_records_read", 0) >= n_postings
        and h.get("neighbour_records_read", -1) >= records
        and h.get("pending_refill", 1) == 0
        for h in healths
    )


def assert_lists_equal_recompute(
    settings: Settings, reader: redis.Redis, events: list[tuple[str, Event]]
) -> int:
    ((_, snapshot_bytes),) = read_topic(settings, "models", count=1)
    snapshot = loads(snapshot_bytes)
    n_records = end_offset(settings, "neighbours")
    records = neighbour_records(
        v for _, v in read_topic(settings, "neighbours", count=n_records) if n_records
    )
    expected = recompute_lists(events, snapshot, settings, records)
    keys = RedisKeys(settings.key_prefix)
    seekers = {sid for family, e in events if family == "profiles" for sid in [e.seeker_id]}
    compared = 0
    for seeker_id in sorted(seekers):
        got = reader.zrange(keys.seeker_list(seeker_id), 0, -1, desc=True, withscores=True)
        # Stored as integers (billionths). Redis orders equal scores by member, descending
        # here; the ranking breaks ties by posting id ascending: compare both score-sorted,
        # ids breaking ties.
        want = [(p, redis_score(s)) for p, s in expected.get(seeker_id, [])]
        got_sorted = sorted(got, key=lambda pair: (-pair[1], pair[0]))
        assert got_sorted == sorted(want, key=lambda pair: (-pair[1], pair[0])), seeker_id
        if want:
            meta = reader.hgetall(keys.seeker_meta(seeker_id))
            assert meta["model_version"] == str(snapshot.version)
        compared += 1
    return compared


def test_two_workers_give_the_same_lists_as_one(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    events = market_events(6_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    first = start_worker(**NO_TRAINING)
    second = start_worker(**NO_TRAINING)
    send(kafka_topics, events)
    wait_for(
        lambda: all_done([first, second], n_postings, kafka_topics),
        timeout=180,
        interval=0.5,
        what="catch-up",
    )
    # Both worked: each owns some seekers.
    owned = [(w.health() or {}).get("seekers_owned", 0) for w in (first, second)]
    assert all(n > 0 for n in owned), owned
    assert assert_lists_equal_recompute(kafka_topics, reader, events) > 500
