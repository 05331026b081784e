"""Lists learn from what a seeker does, through the real broker and Redis (issue 13).

Two seekers publish the same empty profile, so nothing they stated tells them apart. One
clicks nursing jobs in Busan, the other accounting jobs in Seoul; each one's list must
move toward what that seeker clicked. Waits are conditions with deadlines (see
test_live_lists.py); how fast a click reaches the list is measured by ``make bench``.
"""

from __future__ import annotations

import time

import pytest
import redis

from client.producer import EventProducer
from schemas.interactions import Interaction
from schemas.postings import Posting, Wage
from schemas.profiles import Profile
from settings import Settings
from streams.redis_keys import RedisKeys
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_live_lists import WAIT_S, list_of
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PER_KIND = 15
TOP = 10
KINDS = {
    # kind: (title, occupation, region code, region name, employer prefix)
    "nurse": ("요양병원 간호사", "042", "26350", "부산 해운대구", "EN"),
    "accounting": ("회계 경리 사무원", "018", "11680", "서울 강남구", "EA"),
}


def _posting(kind: str, i: int, now_ms: int) -> Posting:
    title, occupation, region, region_name, employer = KINDS[kind]
    return Posting(
        posting_id=f"{kind[:1].upper()}{i:03d}",
        employer_id=f"{employer}{i}",  # one per employer: the diversity cap stays out of it
        employer_name=f"{region_name} {kind} {i}",
        title=title,
        posted_at=now_ms - i * 60_000,
        occupation_code=occupation,
        region_code=region,
        region_name=region_name,
        wage=Wage("monthly", 2_600_000, 3_000_000),
        deadline="2099-12-31",
    )


def _kind_of(posting_id: str) -> str:
    return "nurse" if posting_id.startswith("N") else "accounting"


def _share(reader: redis.Redis, keys: RedisKeys, seeker_id: str, kind: str) -> float:
    top = list_of(reader, keys, seeker_id)[:TOP]
    return sum(_kind_of(p) == kind for p in top) / TOP if len(top) == TOP else 0.0


def test_clicks_move_an_empty_profile_seekers_list_toward_what_was_clicked(
    start_worker: StartWorker, kafka_topics: Settings, producer: EventProducer, reader: redis.Redis
) -> None:
    start_worker()
    keys = RedisKeys(kafka_topics.key_prefix)
    now = int(time.time() * 1000)
    for kind in KINDS:
        for i in range(PER_KIND):
            producer.send_posting(_posting(kind, i, now))
    for sid in ("S-nurse", "S-books"):
        producer.send_profile(Profile(sid))
    producer.flush()
    # Before any click both get the same cold-start list (nothing tells them apart).
    wait_for(
        lambda: all(len(list_of(reader, keys, s)) >= TOP for s in ("S-nurse", "S-books")),
        timeout=WAIT_S,
        what="cold-start lists for both seekers",
    )
    assert list_of(reader, keys, "S-nurse") == list_of(reader, keys, "S-books")

    clicks = {"S-nurse": ("N001", "N004", "N007"), "S-books": ("A002", "A005", "A009")}
    for sid, postings in clicks.items():
        for j, pid in enumerate(postings):
            producer.send_interaction(
                Interaction(f"{sid}-c{j}", now + 1 + j, sid, pid, "click", "reco", j)
            )
    producer.flush()
    wait_for(
        lambda: (
            _share(reader, keys, "S-nurse", "nurse") >= 0.8
            and _share(reader, keys, "S-books", "accounting") >= 0.8
        ),
        timeout=WAIT_S,
        what="each seeker's top 10 led by the kind of posting it clicked",
    )
    assert list_of(reader, keys, "S-nurse")[:TOP] != list_of(reader, keys, "S-books")[:TOP]
