"""Hostile input straight to the topics (kcat, no validating producer): every bad message is
dead-lettered with a reason, the valid ones around it are applied, no offset is left behind,
and the consumer group still rebalances and stops promptly afterwards (issue 15).

Before the fix, one message with a 1 MB key stopped its partition for good: its dead letter
(key kept whole) was over the producer's 1 MiB limit, the commit that publishes it failed,
and every later rebalance waited for it.
"""

from __future__ import annotations

import dataclasses
import subprocess
import time
from collections import Counter

import orjson
import pytest
import redis

from schemas.codec import encode, key_of
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import ProfileEvent
from schemas.validate import Event
from settings import Settings
from streams.redis_keys import RedisKeys
from tests.cli.topic_records import read_all
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_live_lists import forklift_posting, forklift_seeker, list_of
from tests.streams.pipeline.topic_reader import committed_everything
from tests.streams.pipeline.worker_process import WorkerProcess, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# kcat reads "key<KEY>value<END>" records from stdin; no test payload contains either.
KEY_DELIMITER = "<<kcat-key>>"
END = "<<kcat-end>>"
MB = 1024 * 1024
LUA_TITLE = "지게차'); redis.call('FLUSHALL'); --"
RESP_FLUSHALL = "*1\r\n$8\r\nFLUSHALL\r\n"
FAMILY_OF = {PostingEvent: "postings", ProfileEvent: "profiles", Interaction: "interactions"}


def click(event_id: str, seeker_id: str, now: int) -> Interaction:
    return Interaction(event_id, now, seeker_id, "P1", "click", "reco")


def valid(event: Event) -> tuple[bytes, bytes]:
    return key_of(event), encode(event)


def posting_value(now: int, event_id: str, **changes: object) -> bytes:
    return encode(PostingEvent(event_id, now, "upsert", "PX", forklift_posting("PX", **changes)))


def hostile_messages(now: int) -> list[tuple[str, bytes | None, bytes, str]]:
    """(family, key, value, expected reason) of every kind of hostile message."""
    profile = encode(ProfileEvent("h-ok", now, "upsert", "S5", forklift_seeker("S5")))
    deep = b"[" * 5000 + b"]" * 5000
    return [
        ("profiles", b"S5", b"\xff\xfe{not utf-8", "bad_utf8"),
        ("profiles", b"K" * MB, profile, "key_mismatch"),  # the message that froze the group
        ("interactions", b"K" * (2 * MB), b"V" * (2 * MB), "oversized"),
        ("profiles", b"S5", b"{" * (MB + 10), "oversized"),
        ("postings", b"PX", deep, "bad_json"),
        ("profiles", b"S5", b'{"v":1,"event_id":"h-nan","ts":NaN}', "bad_json"),
        ("profiles", b"S5", b'{"v":1,"event_id":"h-inf","ts":1e400}', "bad_json"),
        ("profiles", b"S5", b'{"v":1,"event_id":"h-big","ts":' + b"9" * 400 + b"}", "bad_json"),
        ("postings", b"PX", posting_value(now, "h-ctl", title="지게차\x00\x07"), "schema"),
        ("postings", b"PX", posting_value(now, "h-resp", title=RESP_FLUSHALL), "schema"),
        ("postings", b"P{1}", posting_value(now, "h-id1").replace(b'"PX"', b'"P{1}"'), "schema"),
        ("postings", b"P*", posting_value(now, "h-id2").replace(b'"PX"', b'"P*"'), "schema"),
        ("postings", b"P:1", posting_value(now, "h-id3").replace(b'"PX"', b'"P:1"'), "schema"),
        ("profiles", b"WRONGKEY1", profile.replace(b'"S5"', b'"MKS1"'), "key_mismatch"),
        # Compacted topics refuse a message without a key; interactions take one.
        ("interactions", None, encode(click("h-nokey", "S5", now)), "key_mismatch"),
    ]


Record = tuple[bytes | None, bytes]


def kcat_produce(settings: Settings, family: str, records: list[Record]) -> None:
    """Write records in order with kcat (librdkafka), bypassing every jobmatch check."""
    keyed = [r for r in records if r[0] is not None]
    unkeyed = [value for key, value in records if key is None]
    common = ["kcat", "-P", "-b", settings.kafka_bootstrap, "-t", settings.topic(family),
              "-X", "message.max.bytes=8000000", "-D", END]  # fmt: skip
    if keyed:
        data = b"".join(bytes(k) + KEY_DELIMITER.encode() + v + END.encode() for k, v in keyed)
        subprocess.run([*common, "-K", KEY_DELIMITER], input=data, check=True, timeout=60)
    if unkeyed:
        data = b"".join(v + END.encode() for v in unkeyed)
        subprocess.run(common, input=data, check=True, timeout=60)


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    out = set()
    with open("/proc/net/tcp") as table:
        lines = table.read().splitlines()[1:]
    for line in lines:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
            octets = [str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)]
            out.add(".".join(octets))
    return out


def stop_within(worker: WorkerProcess, seconds: float) -> float:
    assert worker.proc is not None
    started = time.monotonic()
    worker.proc.terminate()
    worker.proc.wait(timeout=seconds)
    return time.monotonic() - started


def test_hostile_messages_are_dead_lettered_and_nothing_stops(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    first = start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    now = int(time.time() * 1000)
    hostile = hostile_messages(now)
    lua = forklift_posting("P2", title=LUA_TITLE)
    # Valid events before, between and after the hostile ones, on the same partitions.
    before = [PostingEvent("ok-p1", now, "upsert", "P1", forklift_posting("P1"))]
    between = [ProfileEvent(f"ok-{s}", now, "upsert", s, forklift_seeker(s)) for s in ("S1", "S5")]
    after = [
        PostingEvent("ok-p2", now, "upsert", "P2", lua),
        ProfileEvent("ok-S2", now, "upsert", "S2", forklift_seeker("S2")),
        click("ok-i1", "S1", now),
    ]
    by_family: dict[str, list[Record]] = {}
    for event in before:
        by_family.setdefault("postings", []).append(valid(event))
    for i, (family, key, value, _) in enumerate(hostile):
        by_family.setdefault(family, []).append((key, value))
        if i == len(hostile) // 2:
            for event in between:
                by_family.setdefault("profiles", []).append(valid(event))
    for event in after:
        by_family.setdefault(FAMILY_OF[type(event)], []).append(valid(event))
    started = time.monotonic()
    for family, records in by_family.items():
        kcat_produce(kafka_topics, family, records)

    # Every valid event is applied, including those after the hostile ones.
    wait_for(
        lambda: all(set(list_of(reader, keys, s)) == {"P1", "P2"} for s in ("S1", "S2", "S5")),
        timeout=60,
        what="P1 and P2 in the lists of S1, S2 and S5",
    )
    # An injection attempt in a free-text field is data: stored and shown verbatim. (Display
    # fields come from the postings agent, the lists from the catalog feed: a wait of its own.)
    wait_for(
        lambda: reader.hget(keys.posting_display("P2"), "title") == LUA_TITLE,
        timeout=60,
        what="P2's display title",
    )
    # No offset is left behind; the agents never restarted.
    group = dataclasses.replace(kafka_topics, app_id=kafka_topics.topic_prefix).app_id
    wait_for(
        lambda: committed_everything(kafka_topics, group),
        timeout=60,
        what="the group's offsets at the end of every partition",
    )
    healed = time.monotonic() - started
    log = first.log_path.read_text(errors="replace")
    assert "Crashed reason" not in log and "MessageSizeTooLarge" not in log
    # Every hostile message, and nothing else, is in the DLQ, each with its reason. With
    # every offset committed, every dead letter is in the topic (a worker flushes its
    # producer before it commits), so the topic read to its end is all there will be.
    letters = [orjson.loads(r.value) for r in read_all(kafka_topics, "dlq")]
    assert Counter(r["reason"] for r in letters) == Counter(h[3] for h in hostile)
    assert len(letters) == len(hostile)
    by_size = {r.get("key_size"): r for r in letters}
    assert by_size[MB]["reason"] == "key_mismatch" and len(by_size[MB]["key"]) == 1024
    assert by_size[2 * MB]["value_size"] == 2 * MB
    assert "the original is at" in by_size[2 * MB]["error"]
    assert all(r["error"] and len(r["error"]) < 2000 for r in letters)
    print(f"\n{len(hostile)} hostile messages dead-lettered, valid events applied, offsets")
    print(f"committed {healed:.1f} s after the first was sent")

    # The group still rebalances: a second worker joins, takes partitions, and lists keep
    # coming; then the first leaves on SIGTERM instead of waiting on a stuck partition (30 s:
    # a bound for a clean stop on a loaded machine, not a speed target).
    joined = time.monotonic()
    second = start_worker()
    wait_for(
        lambda: (second.health() or {}).get("seekers_owned", 0) > 0,
        timeout=60,
        what="the second worker owning seekers",
    )
    print(f"second worker ready and owning seekers in {time.monotonic() - joined:.1f} s")
    stopped_in = stop_within(first, 30)
    print(f"first worker stopped on SIGTERM in {stopped_in:.1f} s")
    s3 = ProfileEvent("ok-S3", now, "upsert", "S3", forklift_seeker("S3"))
    kcat_produce(kafka_topics, "profiles", [valid(s3)])
    try:
        wait_for(
            lambda: set(list_of(reader, keys, "S3")) == {"P1", "P2"},
            timeout=60,
            what="S3's list, after the rebalance",
        )
    except TimeoutError as exc:
        # Seen once in CI under load (2026-12-07), not reproduced alone: say where it stood.
        tail = second.log_path.read_text(errors="replace")[-4000:]
        raise AssertionError(
            f"{exc}; S3's list {list_of(reader, keys, 'S3')}; second worker's health "
            f"{second.health()}; its log ends:\n{tail}"
        ) from exc


def test_the_web_port_listens_on_loopback_only(start_worker: StartWorker) -> None:
    worker = start_worker()
    assert listening_addresses(worker.web_port) == {"127.0.0.1"}
