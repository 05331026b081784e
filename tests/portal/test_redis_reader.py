"""PortalReader against the real Redis: lists written as jobmatch-worker, read as the portal."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import orjson
import pytest
import redis
import redis.asyncio as aioredis

from portal.redis_reader import (
    PortalReader,
    RedisUnavailable,
    posting_display_key,
    seeker_list_key,
)
from settings import Settings
from tests.portal.conftest import MISSING, Seeded, write_seeker_list

pytestmark = pytest.mark.integration


@pytest.fixture
async def reader(test_settings: Settings) -> AsyncIterator[PortalReader]:
    portal_reader = PortalReader.connect(test_settings)
    yield portal_reader
    await portal_reader.aclose()


async def test_seeker_list_has_scores_reasons_display_fields_and_meta(
    reader: PortalReader, seeded: Seeded
) -> None:
    seeker_list = await reader.seeker_list("S1")
    assert [i.posting_id for i in seeker_list.items] == seeded.ranked
    assert [i.rank for i in seeker_list.items] == list(range(1, len(seeded.ranked) + 1))
    scores = [i.score for i in seeker_list.items]
    assert scores == sorted(scores, reverse=True)
    first = seeker_list.items[0]
    fields = seeded.displays[first.posting_id]
    assert first.posting.title == fields["title"]
    assert first.posting.employer_name == fields["employer_name"]
    assert first.posting.wage_min == int(fields["wage_min"])
    assert first.reasons == tuple(seeded.reasons[first.posting_id])
    assert (seeker_list.model_version, seeker_list.reason) == ("7", "profile")
    assert seeker_list.updated_at is not None


async def test_missing_display_hash_shows_the_id(reader: PortalReader, seeded: Seeded) -> None:
    seeker_list = await reader.seeker_list("S1")
    missing = [i for i in seeker_list.items if i.posting_id == MISSING]
    assert len(missing) == 1
    assert not missing[0].posting.found
    assert missing[0].posting.title is None


async def test_unknown_seeker_has_an_empty_list(reader: PortalReader, seeded: Seeded) -> None:
    seeker_list = await reader.seeker_list("S-nobody")
    assert seeker_list.items == ()
    assert seeker_list.updated_at is None


async def test_posting_candidates_is_the_employers_view(
    reader: PortalReader, seeded: Seeded
) -> None:
    found = await reader.posting_candidates(seeded.ranked[0])
    assert found.posting.title == seeded.displays[seeded.ranked[0]]["title"]
    assert [(c.rank, c.seeker_id) for c in found.candidates] == [(1, "S1"), (2, "S2"), (3, "S3")]
    assert found.candidates[0].score == pytest.approx(0.91)
    limited = await reader.posting_candidates(seeded.ranked[0], limit=2)
    assert len(limited.candidates) == 2


async def test_samples_find_lists_but_not_meta_or_why_keys(
    reader: PortalReader, seeded: Seeded
) -> None:
    # A full scan (many calls): the shared server may hold a demo's keys as well.
    assert await reader.sample_seekers(limit=50, max_calls=100_000) == ["S1", "S2", "S3"]
    two = await reader.sample_seekers(limit=2, max_calls=100_000)  # a sample: any two
    assert len(two) == 2 and set(two) < {"S1", "S2", "S3"}
    assert await reader.sample_postings(limit=50, max_calls=100_000) == [seeded.ranked[0]]


async def test_the_readers_connection_cannot_write(reader: PortalReader, seeded: Seeded) -> None:
    prefix = seeded.settings.key_prefix
    key = seeker_list_key(prefix, "S1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        await reader.client.zadd(key, {"P-injected": 99.0})
    with pytest.raises(redis.exceptions.NoPermissionError):
        await reader.client.delete(posting_display_key(prefix, seeded.ranked[0]))
    with pytest.raises(redis.exceptions.NoPermissionError):
        await reader.client.set(f"{prefix}:portal-was-here", "1")
    # Nothing changed.
    seeker_list = await reader.seeker_list("S1")
    assert [i.posting_id for i in seeker_list.items] == seeded.ranked
    assert seeker_list.items[0].posting.found


async def test_redis_down_raises_what_to_do(redis_down_settings: Settings) -> None:
    reader = PortalReader.connect(redis_down_settings)
    try:
        with pytest.raises(RedisUnavailable, match=r"not reachable at 127\.0\.0\.1:\d+.*make up"):
            await reader.seeker_list("S1")
        with pytest.raises(RedisUnavailable, match="make up"):
            await reader.sample_seekers()
    finally:
        await reader.aclose()


async def test_wrong_password_names_the_variable(test_settings: Settings) -> None:
    settings = dataclasses.replace(test_settings, redis_portal_password="wrong")
    reader = PortalReader.connect(settings)
    try:
        with pytest.raises(RedisUnavailable, match="JOBMATCH_REDIS_PORTAL_PASSWORD"):
            await reader.ping()
    finally:
        await reader.aclose()


async def test_reads_never_mix_two_versions_of_a_list(
    reader: PortalReader, redis_worker: redis.Redis, test_settings: Settings
) -> None:
    # A writer replaces S9's list over and over with version n: every member, reason and
    # meta stamp says n. Each read must see one version only.
    prefix = test_settings.key_prefix
    writer = aioredis.Redis.from_url(
        test_settings.redis_url_for("jobmatch-worker", test_settings.redis_worker_password),
        decode_responses=True,
    )
    versions = 150

    async def replace_lists() -> None:
        for n in range(1, versions + 1):
            key = seeker_list_key(prefix, "S9")
            ids = [f"V{n}-{i}" for i in range(5)]
            pipe = writer.pipeline(transaction=True)
            pipe.delete(key, f"{key}:why")
            pipe.zadd(key, {pid: float(5 - i) for i, pid in enumerate(ids)})
            pipe.hset(f"{key}:why", mapping={pid: orjson.dumps([f"v{n}"]).decode() for pid in ids})
            pipe.hset(f"{key}:meta", mapping={"updated_at": n, "model_version": str(n)})
            await pipe.execute()

    write_seeker_list(redis_worker, prefix, "S9", {}, {}, updated_at=0)
    task = asyncio.create_task(replace_lists())
    reads = 0
    try:
        while not task.done():
            seeker_list = await reader.seeker_list("S9")
            reads += 1
            version = seeker_list.model_version
            if not seeker_list.items:  # the empty list written before the writer started
                continue
            assert {i.posting_id.split("-")[0] for i in seeker_list.items} == {f"V{version}"}
            assert {i.reasons for i in seeker_list.items} == {(f"v{version}",)}
        await task
    finally:
        await writer.aclose()
    assert reads > 0
