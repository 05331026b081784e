"""Acceptance of the streaming pipeline on the real broker and Redis (issue 5).

Each test starts real ``jobmatch worker`` processes on its own topics and keys, sends
events the way the job site would, and reads Redis the way a portal would. Waits are on
conditions with deadlines. A deadline only bounds a wait: it is no speed target (how fast
lists follow events is measured by ``make bench``), so a loaded machine makes a test slower,
never red. Each wait is for everything the assertions after it read: the keys come from
independent paths (a seeker's list and its :why and :meta from one write; display fields
from the postings agent; employer lists from their own writes).
"""

from __future__ import annotations

import subprocess
import time

import orjson
import pytest
import redis
from kafka import KafkaProducer

from client.producer import EventProducer
from schemas.interactions import Interaction
from schemas.postings import Posting, Wage
from schemas.profiles import DesiredWage, Profile
from settings import Settings
from streams.redis_keys import RedisKeys
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.topic_reader import read_topic
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The bound of one wait (see the module docstring): a worker on a busy two-core machine
# can take seconds for what takes milliseconds on an idle one.
WAIT_S = 60.0


def forklift_posting(posting_id: str = "P100", **changes: object) -> Posting:
    fields: dict[str, object] = dict(
        posting_id=posting_id,
        employer_id="E7",
        employer_name="(주)한빛물류",
        title="물류센터 지게차 운전원 채용",
        posted_at=int(time.time() * 1000),
        occupation_code="07C",
        region_code="41590",
        region_name="경기 화성시",
        wage=Wage("monthly", 2_800_000, 3_200_000),
        skills=("지게차",),
        certificates=("지게차운전기능사",),
        employment_types=("regular",),
        deadline="2099-12-31",
    )
    fields.update(changes)
    return Posting(**fields)  # type: ignore[arg-type]


def forklift_seeker(seeker_id: str = "S42") -> Profile:
    return Profile(
        seeker_id=seeker_id,
        desired_occupation_codes=("07C",),
        desired_titles=("지게차",),
        desired_region_codes=("41590", "41"),
        home_region_code="41590",
        desired_wage=DesiredWage("monthly", 2_500_000),
        education_level="03",
        career_years=2,
        skills=("지게차",),
        certificates=("지게차운전기능사",),
        employment_types=("regular", "contract"),
    )


def list_of(reader: redis.Redis, keys: RedisKeys, seeker_id: str) -> list[str]:
    return reader.zrange(keys.seeker_list(seeker_id), 0, -1, desc=True)


def test_a_posting_and_a_matching_profile_make_a_list_with_display_fields_and_reasons(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    producer.send_posting(forklift_posting())
    producer.send_profile(forklift_seeker())
    producer.flush()
    wait_for(
        lambda: "P100" in list_of(reader, keys, "S42"), timeout=WAIT_S, what="P100 in S42's list"
    )
    # Display fields: the postings agent's write, not the list's.
    display = wait_for(
        lambda: reader.hgetall(keys.posting_display("P100")),
        timeout=WAIT_S,
        what="P100's display fields",
    )
    assert display["title"] == "물류센터 지게차 운전원 채용"
    assert display["employer_name"] == "(주)한빛물류"
    assert (display["wage_type"], display["wage_min"], display["wage_max"]) == (
        "monthly", "2800000", "3200000",
    )  # fmt: skip
    # :why and :meta are written with the list, in one script: no wait of their own.
    reasons = orjson.loads(reader.hget(keys.seeker_why("S42"), "P100"))
    assert "희망 직종 일치" in reasons
    meta = reader.hgetall(keys.seeker_meta("S42"))
    assert meta["model_version"] == "1" and int(meta["updated_at"]) > 0
    # The employer sees the seeker too (any score: 0.0 is a member as well).
    wait_for(
        lambda: reader.zscore(keys.posting_list("P100"), "S42") is not None,
        timeout=WAIT_S,
        what="S42 in P100's employer list",
    )


def test_a_non_python_client_writing_raw_json_gets_the_same_result(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    now = int(time.time() * 1000)
    # Written by hand, as another language's client would: no schemas code involved.
    posting = (
        f'{{"v":1,"event_id":"kcat-p1","ts":{now},"op":"upsert","posting":{{"posting_id":"P200",'
        '"employer_id":"E9","employer_name":"(주)한빛물류","title":"지게차 운전원",'
        f'"occupation_code":"07C","region_code":"41590","posted_at":{now}}}}}'
    )
    profile = (
        f'{{"v":1,"event_id":"kcat-s1","ts":{now},"op":"upsert","profile":{{"seeker_id":"S77",'
        '"desired_occupation_codes":["07C"],"desired_region_codes":["41"]}}'
    )
    for topic, key, value in [("postings", "P200", posting), ("profiles", "S77", profile)]:
        subprocess.run(
            ["kcat", "-P", "-b", kafka_topics.kafka_bootstrap, "-t", kafka_topics.topic(topic),
             "-K", "|"],
            input=f"{key}|{value}\n".encode(),
            check=True,
            timeout=30,
        )  # fmt: skip
    # The list and the display fields are written by different agents: wait for both.
    wait_for(
        lambda: (
            "P200" in list_of(reader, keys, "S77")
            and reader.hexists(keys.posting_display("P200"), "title")
        ),
        timeout=WAIT_S,
        what="P200 in S77's list and P200's display fields",
    )
    assert reader.hget(keys.posting_display("P200"), "title") == "지게차 운전원"


def test_a_close_leaves_every_list_and_the_employer_view(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    producer.send_posting(forklift_posting("P1"))
    producer.send_posting(forklift_posting("P2", employer_id="E8"))
    for sid in ("S1", "S2", "S3"):
        producer.send_profile(forklift_seeker(sid))
    producer.flush()
    # Everything the close must remove is there first, or its absence would prove nothing.
    wait_for(
        lambda: (
            all("P1" in list_of(reader, keys, s) for s in ("S1", "S2", "S3"))
            and reader.zcard(keys.posting_list("P1")) == 3
            and reader.exists(keys.posting_display("P1"))
        ),
        timeout=WAIT_S,
        what="P1 in three lists, its employer list and its display fields",
    )
    producer.close_posting("P1")
    producer.flush()
    wait_for(
        lambda: (
            all(list_of(reader, keys, s) == ["P2"] for s in ("S1", "S2", "S3"))
            and not reader.exists(keys.posting_list("P1"), keys.posting_display("P1"))
        ),
        timeout=WAIT_S,
        what="P1 gone from every list, its employer list and display fields",
    )


def test_a_malformed_message_is_dead_lettered_and_the_next_one_is_processed(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    worker = start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    raw = KafkaProducer(bootstrap_servers=kafka_topics.kafka_bootstrap)
    bad = (
        b'{"v":1,"event_id":"bad-1","ts":1764230400000,"op":"upsert",'
        b'"profile":{"seeker_id":"S9","career_years":"many"}}'
    )
    raw.send(kafka_topics.topic("profiles"), key=b"S9", value=bad).get(timeout=30)
    raw.send(kafka_topics.topic("profiles"), key=b"S9", value=b"\xff not json").get(timeout=30)
    raw.close()
    producer.send_posting(forklift_posting())
    producer.send_profile(forklift_seeker("S9"))
    producer.flush()
    # S9's good profile follows the two bad ones on its partition: once it is applied, both
    # were dead-lettered and counted (the counters move before the next event is handled).
    wait_for(lambda: "P100" in list_of(reader, keys, "S9"), timeout=WAIT_S, what="S9's list")

    letters = read_topic(kafka_topics, "dlq", count=2)
    records = [orjson.loads(value) for _, value in letters]
    by_reason = {r["reason"]: r for r in records}
    assert set(by_reason) == {"schema", "bad_utf8"}
    schema = by_reason["schema"]
    assert schema["error"].startswith("profile.career_years:")
    assert (schema["topic"], schema["value"]) == (kafka_topics.topic("profiles"), bad.decode())
    assert isinstance(schema["partition"], int) and isinstance(schema["offset"], int)
    assert by_reason["bad_utf8"]["value_b64"]
    assert worker.counter("jobmatch_dlq_writes_total", topic="profiles") == 2
    assert worker.counter("jobmatch_events_total", topic="profiles", outcome="rejected") == 2
    # A poller may ask for just the metrics it needs.
    only = worker.scrape("jobmatch_dlq_writes_total")
    assert {name for name, _ in only.samples} == {"jobmatch_dlq_writes_total"}
    assert only.total("jobmatch_dlq_writes_total", topic="profiles") == 2


def test_applies_favouring_one_feature_raise_the_model_version_and_re_rank_lists(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    # Twenty postings alike but for the deadline: ten close, ten far. The prior gives the
    # deadline no weight, so the order starts by posting id. Applies from other seekers go
    # to far-deadline postings only; an observer who never acts must see far ones rise.
    start_worker(snapshot_every_examples=100, snapshot_interval_seconds=1, sweep_horizon_seconds=2)
    keys = RedisKeys(kafka_topics.key_prefix)
    today = time.strftime("%Y-%m-%d", time.localtime(time.time() + 2 * 86400))
    near = [forklift_posting(f"PN{i:02d}", employer_id=f"EN{i}", deadline=today) for i in range(10)]
    far = [
        forklift_posting(f"PF{i:02d}", employer_id=f"EF{i}", deadline="2099-12-31")
        for i in range(10)
    ]
    for posting in near + far:
        producer.send_posting(posting)
    appliers = [f"SA{i:03d}" for i in range(50)]
    for sid in [*appliers, "SOBS"]:
        producer.send_profile(forklift_seeker(sid))
    producer.flush()
    wait_for(
        lambda: len(list_of(reader, keys, "SOBS")) == 20, timeout=WAIT_S, what="observer's list"
    )
    far_ids = {p.posting_id for p in far}

    def far_margin() -> float:
        """Lowest far-deadline score minus the highest close-deadline one."""
        scores = dict(reader.zrange(keys.seeker_list("SOBS"), 0, -1, withscores=True))
        return min(v for k, v in scores.items() if k in far_ids) - max(
            v for k, v in scores.items() if k not in far_ids
        )

    assert far_margin() <= 0  # the prior does not prefer far deadlines
    version_before = int(reader.hget(keys.seeker_meta("SOBS"), "model_version"))

    n = 0
    for sid in appliers:
        for posting in far:
            producer.send_interaction(
                Interaction(f"apply-{sid}-{posting.posting_id}", int(time.time() * 1000), sid,
                            posting.posting_id, "apply", "reco", 0)
            )  # fmt: skip
            n += 1
    producer.flush()
    assert n == 500

    def far_lead() -> bool:
        meta = reader.hgetall(keys.seeker_meta("SOBS"))
        return int(meta.get("model_version", 0)) > version_before and far_margin() > 0

    # Training, a snapshot and a sweep: the slowest path here, so twice the bound.
    wait_for(
        far_lead, timeout=2 * WAIT_S, interval=0.2, what="far-deadline postings leading SOBS's list"
    )
    meta = reader.hgetall(keys.seeker_meta("SOBS"))
    assert meta["reason"] in ("model", "sweep")  # re-ranked without a profile event
