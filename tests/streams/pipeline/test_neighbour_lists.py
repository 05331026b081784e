"""Item-to-item neighbours through the real broker and Redis (issue 13, item 1).

Several seekers click a forklift posting X and a barista posting Y, which share nothing
else (text, occupation, employer, place). A worker publishes their co-engagements to the
neighbour topic and is stopped; a second worker, which never handled those clicks, reads
the neighbours from the topic. A forklift seeker who then clicks X gets Y on their list,
with the neighbour reason. Waits are conditions with deadlines (see test_live_lists.py).
"""

from __future__ import annotations

import time

import orjson
import pytest
import redis

from client.producer import EventProducer
from online_model.explain import REASONS
from schemas.interactions import Interaction
from schemas.postings import Posting, Wage
from schemas.profiles import Profile
from settings import Settings
from streams.redis_keys import RedisKeys
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_live_lists import WAIT_S, list_of
from tests.streams.pipeline.test_recovery_and_scale_out import NO_TRAINING
from tests.streams.pipeline.topic_reader import end_offset
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CO_CLICKERS = 5
FORKLIFTS = 8


def _posting(pid: str, title: str, occupation: str, region: str, now_ms: int) -> Posting:
    return Posting(
        posting_id=pid,
        employer_id=f"E-{pid}",
        employer_name=f"{pid} 주식회사",
        title=title,
        posted_at=now_ms,
        occupation_code=occupation,
        region_code=region,
        wage=Wage("monthly", 2_600_000, 3_000_000),
        deadline="2099-12-31",
    )


def test_co_clicked_posting_reaches_a_seeker_who_clicked_one_through_the_topic(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    keys = RedisKeys(kafka_topics.key_prefix)
    now = int(time.time() * 1000)
    first = start_worker(**NO_TRAINING)
    producer.send_posting(_posting("X", "물류센터 지게차 운전원", "07C", "41590", now))
    producer.send_posting(_posting("Y", "카페 바리스타", "053", "11680", now))
    for i in range(FORKLIFTS):
        producer.send_posting(_posting(f"F{i}", "지게차 기사", "07C", "41590", now - i))
    for i in range(CO_CLICKERS):
        sid = f"C{i}"
        producer.send_profile(Profile(sid))
        for j, pid in enumerate(("X", "Y")):
            producer.send_interaction(
                Interaction(f"{sid}-{pid}", now + 10 * i + j, sid, pid, "click", "search")
            )
    producer.flush()
    # One record per first click: the second click of each co-clicker pairs Y with X.
    wait_for(
        lambda: end_offset(kafka_topics, "neighbours") >= 2 * CO_CLICKERS,
        timeout=WAIT_S,
        what="the co-engagement records in the neighbour topic",
    )
    first.stop()

    second = start_worker(**NO_TRAINING)
    health = wait_for(
        lambda: (h := second.health() or {}).get("neighbour_postings", 0) >= 2 and h,
        timeout=WAIT_S,
        what="the second worker's neighbours, read from the topic",
    )
    assert health["neighbour_records_read"] >= 2 * CO_CLICKERS
    # A forklift seeker: the stated profile alone never retrieves the barista posting.
    producer.send_profile(
        Profile("T", desired_titles=("지게차",), desired_occupation_codes=("07C",))
    )
    producer.flush()
    wait_for(lambda: "X" in list_of(reader, keys, "T"), timeout=WAIT_S, what="X in T's first list")
    assert "Y" not in list_of(reader, keys, "T")

    producer.send_interaction(Interaction("T-X", now + 1_000, "T", "X", "click", "reco", 0))
    producer.flush()
    wait_for(
        lambda: "Y" in list_of(reader, keys, "T"),
        timeout=WAIT_S,
        what="Y, X's neighbour, in T's list after T clicked X",
    )
    why = wait_for(
        lambda: reader.hget(keys.seeker_why("T"), "Y"), timeout=WAIT_S, what="Y's reasons"
    )
    assert REASONS["item_neighbour"] in orjson.loads(why)
