"""EventProducer against the real broker: what it sends, how it keys it, and what it refuses."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from kafka import KafkaAdminClient

from client.producer import EventProducer, TopicUnavailable
from schemas import ValidationError, parse_event
from schemas.interactions import Interaction
from schemas.postings import Posting, PostingEvent, Wage
from schemas.profiles import Profile, ProfileEvent
from settings import Settings
from streams.kafka_admin import KafkaUnreachable
from tests.cli.topic_records import read_all

POSTING = {
    "posting_id": "P100",
    "employer_id": "E7",
    "employer_name": "(주)한빛물류",
    "title": "물류센터 지게차 운전원 채용",
    "region_code": "41590",
    "wage": {"type": "monthly", "min": 2800000, "max": 3200000},
    "posted_at": 1764230400000,
}
PROFILE = Profile("S42", desired_region_codes=("41590", "41"), skills=("지게차",))
TS = 1764230400000


def _counts(settings: Settings) -> dict[str, int]:
    return {f: len(read_all(settings, f)) for f in ("postings", "profiles", "interactions")}


@pytest.mark.integration
def test_every_method_sends_a_valid_keyed_event(kafka_topics: Settings) -> None:
    with EventProducer(kafka_topics) as producer:
        producer.send_posting(POSTING, event_id="ev-1", ts=TS)
        producer.close_posting("P100", event_id="ev-2", ts=TS + 1)
        producer.send_profile(PROFILE, event_id="ev-3", ts=TS)
        producer.deactivate_profile("S43", event_id="ev-4", ts=TS)
        # An interaction dict may leave out v, event_id and ts.
        producer.send_interaction(
            {"seeker_id": "S42", "posting_id": "P100", "action": "apply", "source": "reco"}
        )
        producer.send_event(
            "interactions", Interaction("ev-6", TS, "S43", "P100", "click", "search", 0)
        )
        raw = orjson.dumps({"v": 1, "event_id": "ev-7", "ts": TS, "seeker_id": "S42",
                            "posting_id": "P7", "action": "save", "source": "other"})  # fmt: skip
        producer.send_raw("interactions", raw).get(timeout=10)  # acknowledged by the broker
        producer.flush()

    postings = read_all(kafka_topics, "postings")
    assert [r.key for r in postings] == [b"P100", b"P100"]
    upsert, close = (parse_event("postings", r.value) for r in postings)
    assert isinstance(upsert, PostingEvent) and upsert.posting is not None
    assert (upsert.event_id, upsert.ts, upsert.op) == ("ev-1", TS, "upsert")
    assert upsert.posting.wage == Wage("monthly", 2800000, 3200000)
    assert (close.event_id, close.op, close.posting_id) == ("ev-2", "close", "P100")

    profile_records = read_all(kafka_topics, "profiles")
    profiles = {r.key: (r.partition, parse_event("profiles", r.value)) for r in profile_records}
    assert set(profiles) == {b"S42", b"S43"}
    assert profiles[b"S42"][1] == ProfileEvent("ev-3", TS, "upsert", "S42", PROFILE)
    assert profiles[b"S43"][1] == ProfileEvent("ev-4", TS, "deactivate", "S43")

    interactions = read_all(kafka_topics, "interactions")
    assert sorted(r.key for r in interactions) == [b"S42", b"S42", b"S43"]
    generated = next(parse_event("interactions", r.value) for r in interactions if r.key == b"S42")
    assert isinstance(generated, Interaction) and len(generated.event_id) == 32  # uuid4 hex
    # send_raw sends the bytes unchanged.
    assert raw in [r.value for r in interactions]
    # Co-partitioning: a seeker's profile and interactions land on the same partition number.
    for r in interactions:
        assert r.partition == profiles[r.key][0]


@pytest.mark.integration
def test_invalid_input_raises_and_sends_nothing(kafka_topics: Settings) -> None:
    small = dataclasses.replace(kafka_topics, max_message_bytes=300)
    bad_dataclass = Posting("P1", "E1", "한빛", "", TS)  # empty title
    mismatched = PostingEvent("ev", TS, "upsert", "P1", Posting("P2", "E1", "한빛", "t", TS))
    with EventProducer(small) as producer:
        cases = [
            (
                lambda: producer.send_posting(
                    {**POSTING, "wage": {"type": "monthly", "min": "삼백만원"}}
                ),
                "posting.wage.min",
            ),
            (lambda: producer.send_posting(bad_dataclass), "posting.title"),
            (lambda: producer.send_profile({"seeker_id": "S 42"}), "profile.seeker_id"),
            (lambda: producer.close_posting("P/1"), "posting.posting_id"),
            (lambda: producer.deactivate_profile(""), "profile.seeker_id"),
            (
                lambda: producer.send_interaction(
                    {"seeker_id": "S1", "posting_id": "P1", "action": "view", "source": "reco"}
                ),
                "action",
            ),
            (lambda: producer.send_event("postings", mismatched), "posting.posting_id"),
            (lambda: producer.send_raw("postings", b'{"v": 1, "event_id": "e"'), ""),
        ]
        for send, path in cases:
            with pytest.raises(ValidationError) as info:
                send()
            assert info.value.path == path, str(info.value)
        with pytest.raises(ValidationError) as info:
            producer.send_posting({**POSTING, "description": "가" * 200})  # over 300 bytes
        assert info.value.reason == "oversized"
        with pytest.raises(ValueError, match="belongs to 'interactions'"):
            producer.send_event("postings", Interaction("e", TS, "S1", "P1", "click", "reco"))
        producer.flush()
    assert _counts(kafka_topics) == {"postings": 0, "profiles": 0, "interactions": 0}


@pytest.mark.integration
def test_missing_topic_is_an_error_not_an_auto_created_topic(test_settings: Settings) -> None:
    # No kafka_topics fixture: the test prefix has no topics.
    admin = KafkaAdminClient(bootstrap_servers=test_settings.kafka_bootstrap)
    try:
        with (
            EventProducer(test_settings, max_block_ms=1500) as producer,
            pytest.raises(TopicUnavailable, match="jobmatch topics"),
        ):
            producer.close_posting("P1")
        # The broker allows auto-creation; the producer must not ask for it (it would
        # create the topic with broker defaults and break co-partitioning).
        assert not [t for t in admin.list_topics() if t.startswith(test_settings.topic_prefix)]
    finally:
        admin.close()


def test_unreachable_broker_gives_a_clear_error() -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1")
    with pytest.raises(KafkaUnreachable, match=r"127\.0\.0\.1:1: run `make up` first"):
        EventProducer(settings, bootstrap_timeout_ms=1000)


@pytest.mark.integration
def test_close_is_idempotent_and_flushes(kafka_topics: Settings) -> None:
    producer = EventProducer(kafka_topics, linger_ms=60_000)  # only flush/close sends
    producer.close_posting("P9", event_id="ev-9", ts=TS)
    producer.close()
    producer.close()
    assert [r.key for r in read_all(kafka_topics, "postings")] == [b"P9"]
