"""RedisWriter against the real Redis: atomic replacement, coalescing, TTLs, retries."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import orjson
import pytest
import redis
import redis.asyncio as aioredis

from online_model.live.views import SeekerListView
from settings import Settings
from streams import metrics, redis_writer
from streams.posting_display import PostingView
from streams.redis_keys import RedisKeys
from streams.redis_writer import RedisWriter

pytestmark = pytest.mark.integration


def worker_client(settings: Settings) -> aioredis.Redis:
    url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
    return aioredis.Redis.from_url(url, decode_responses=True)


def make_writer(settings: Settings, lists: dict, postings: dict, **kw) -> RedisWriter:
    kw.setdefault("render_seeker", lists.get)
    return RedisWriter(
        worker_client(settings),
        RedisKeys(settings.key_prefix),
        render_posting=postings.get,
        **kw,
    )


def recording_writer(
    settings: Settings, lists: dict[str, SeekerListView]
) -> tuple[RedisWriter, list[str]]:
    """A writer over ``lists`` that records, in order, which seekers it renders."""
    rendered: list[str] = []

    def render(seeker_id: str) -> SeekerListView | None:
        rendered.append(seeker_id)
        return lists.get(seeker_id)

    return make_writer(settings, {}, {}, render_seeker=render), rendered


def view(n: int, version: int = 1, ttl: int = 3600) -> SeekerListView:
    items = [(f"P{i}", float(n - i), ["희망 직종 일치"]) for i in range(n)]
    return SeekerListView(items=items, model_version=version, ttl_seconds=ttl)


async def test_a_list_with_meta_and_reasons_is_written(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(3, version=7)}
    writer = make_writer(test_settings, lists, {})
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    assert redis_worker.zrevrange(keys.seeker_list("S1"), 0, -1) == ["P0", "P1", "P2"]
    meta = redis_worker.hgetall(keys.seeker_meta("S1"))
    assert meta["model_version"] == "7" and meta["reason"] == "profile"
    assert int(meta["updated_at"]) > 1_700_000_000_000
    assert orjson.loads(redis_worker.hget(keys.seeker_why("S1"), "P1")) == ["희망 직종 일치"]
    ttl = redis_worker.ttl(keys.seeker_list("S1"))
    assert 3500 < ttl <= 3600
    assert keys.seeker_list("S1").endswith(":reco:seeker:{S1}")


async def test_none_from_the_renderer_deletes_the_seeker_keys(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(2)}
    writer = make_writer(test_settings, lists, {})
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    assert redis_worker.exists(keys.seeker_list("S1"), keys.seeker_meta("S1")) == 2
    del lists["S1"]
    writer.mark_seeker("S1", "deactivate")
    await writer.flush()
    all_keys = (keys.seeker_list("S1"), keys.seeker_meta("S1"), keys.seeker_why("S1"))
    assert redis_worker.exists(*all_keys) == 0


async def test_readers_never_see_a_half_written_list(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    # The writer alternates between a 120-item list and a disjoint 5-item list; a reader
    # polling meanwhile must always see exactly one of the two.
    keys = RedisKeys(test_settings.key_prefix)
    long = view(120)
    short = SeekerListView(
        items=[(f"Q{i}", 1.0, []) for i in range(5)], model_version=2, ttl_seconds=0
    )
    lists: dict[str, SeekerListView] = {}
    writer = make_writer(test_settings, lists, {})
    expected = [{p for p, _, _ in long.items}, {p for p, _, _ in short.items}]
    seen: list[set[str]] = []
    stop = asyncio.Event()
    reader = worker_client(test_settings)

    async def read() -> None:
        while not stop.is_set():
            members = await reader.zrange(keys.seeker_list("S1"), 0, -1)
            if members:
                seen.append(set(members))

    task = asyncio.create_task(read())
    for i in range(60):
        lists["S1"] = long if i % 2 == 0 else short
        writer.mark_seeker("S1", "sweep")
        await writer.flush()
    stop.set()
    await task
    await reader.aclose()
    assert seen, "the reader saw nothing"
    assert all(members in expected for members in seen)


async def test_marks_coalesce_into_one_write_of_the_latest_state(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(5)}
    writer = make_writer(test_settings, lists, {})
    writer.mark_seeker("S1", "posting")
    lists["S1"] = view(2, version=3)
    writer.mark_seeker("S1", "interaction")
    assert writer.pending == 1
    await writer.flush()
    assert redis_worker.zcard(keys.seeker_list("S1")) == 2
    assert redis_worker.hget(keys.seeker_meta("S1"), "reason") == "interaction"


async def test_employer_list_updates_and_display_fields(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    display = {"title": "지게차 운전원", "wage_min": "2800000"}
    postings = {"P1": PostingView(display, expire_at=4102444800)}
    writer = make_writer(test_settings, {}, postings)
    writer.mark_posting("P1")
    writer.update_employer_list("P1", add={"S1": 0.9, "S2": 0.5, "S3": 0.1}, expire_at=4102444800)
    await writer.flush()
    assert redis_worker.hgetall(keys.posting_display("P1")) == postings["P1"].display
    assert redis_worker.zrevrange(keys.posting_list("P1"), 0, -1) == ["S1", "S2", "S3"]
    assert redis_worker.ttl(keys.posting_list("P1")) > 0

    # A later removal wins over an earlier add of the same seeker in one batch.
    writer.update_employer_list("P1", add={"S4": 0.7}, remove={"S2"})
    writer.update_employer_list("P1", remove={"S4", "S3"})
    await writer.flush()
    assert redis_worker.zrevrange(keys.posting_list("P1"), 0, -1) == ["S1"]

    # Closing: the renderer says None, both keys go.
    del postings["P1"]
    writer.mark_posting("P1")
    await writer.flush()
    assert redis_worker.exists(keys.posting_display("P1"), keys.posting_list("P1")) == 0


async def test_a_failed_write_keeps_the_marks_for_a_retry(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(3)}
    broken = dataclasses.replace(test_settings, redis_url="redis://127.0.0.1:1/0")
    writer = make_writer(broken, lists, {})
    writer.mark_seeker("S1", "profile")
    with pytest.raises((redis.exceptions.ConnectionError, OSError)):
        await writer.flush()
    assert writer.pending == 1

    # Same marks, now against the real server.
    writer._client = worker_client(test_settings)
    await writer.flush()
    assert writer.pending == 0
    assert redis_worker.zcard(keys.seeker_list("S1")) == 3


async def test_scores_are_stored_as_integer_billionths(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    items = [(f"P{i:06d}", 0.9 - i / 997, ["희망 직종 일치"]) for i in range(120)]
    writer = make_writer(test_settings, {"S1": SeekerListView(items, 1, 3600)}, {})
    writer.mark_seeker("S1", "profile")
    writer.update_employer_list("P1", add={"S1": 0.123456789012})
    await writer.flush()
    stored = redis_worker.zrange(keys.seeker_list("S1"), 0, -1, desc=True, withscores=True)
    assert stored == [(pid, float(round(score * 1e9))) for pid, score, _ in items]
    assert redis_worker.zscore(keys.posting_list("P1"), "S1") == 123456789.0
    # The reason for integers: a listpack keeps them in a few bytes, not a 17-digit string.
    as_floats = f"{keys.seeker_list('S1')}:floats"
    redis_worker.zadd(as_floats, {pid: score for pid, score, _ in items})
    integer_bytes = redis_worker.memory_usage(keys.seeker_list("S1"), samples=0)
    assert integer_bytes < 0.6 * redis_worker.memory_usage(as_floats, samples=0)
    assert integer_bytes < 3000


async def test_event_driven_lists_are_written_before_a_burst_of_background_re_ranks(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    background = [f"SB{i:03d}" for i in range(250)]
    writer, rendered = recording_writer(
        test_settings, {seeker_id: view(2) for seeker_id in [*background, "SU"]}
    )
    for seeker_id in background:
        writer.mark_seeker(seeker_id, "refill")
    writer.mark_seeker("SB007", "profile")  # an event re-ranked one of them meanwhile
    writer.mark_seeker("SU", "interaction")
    writer.mark_seeker("SU", "sweep")  # stays urgent, with the latest reason
    writer.note_event("interaction", int(time.time() * 1000))
    await writer.flush()

    assert rendered[:2] == ["SB007", "SU"]
    assert sorted(rendered) == sorted([*background, "SU"])  # everything, each once
    assert writer.pending == 0
    assert redis_worker.hget(keys.seeker_meta("SU"), "reason") == "sweep"
    assert redis_worker.hget(keys.seeker_meta("SB007"), "reason") == "profile"
    assert redis_worker.hget(keys.seeker_meta("SB200"), "reason") == "refill"


async def test_a_member_update_changes_only_the_touched_postings(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(5, version=4, ttl=60)}
    writer = make_writer(test_settings, lists, {})
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    # P1 and P3 leave, P9 joins, P0 is re-scored; P2 and P4 are not touched.
    items = [
        ("P0", 9.5, ["거주지 인근"]),
        ("P9", 4.5, ["희망 임금 충족"]),
        ("P2", 3.0, []),
        ("P4", 1.0, []),
    ]
    lists["S1"] = SeekerListView(items, model_version=4, ttl_seconds=60)
    writer.update_seeker("S1", ["P1", "P9"], reason="posting")
    writer.update_seeker("S1", ["P3", "P0"], reason="interaction")
    assert writer.pending == 1
    await writer.flush()

    stored = redis_worker.zrevrange(keys.seeker_list("S1"), 0, -1, withscores=True)
    assert stored == [("P0", 9.5e9), ("P9", 4.5e9), ("P2", 3e9), ("P4", 1e9)]
    assert sorted(redis_worker.hkeys(keys.seeker_why("S1"))) == ["P0", "P2", "P4", "P9"]
    assert orjson.loads(redis_worker.hget(keys.seeker_why("S1"), "P9")) == ["희망 임금 충족"]
    meta = redis_worker.hgetall(keys.seeker_meta("S1"))
    assert meta["reason"] == "interaction" and meta["model_version"] == "4"
    assert 0 < redis_worker.ttl(keys.seeker_list("S1")) <= 60


async def test_a_member_update_of_a_list_redis_does_not_have_writes_it_whole(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(3), "S2": view(2)}
    writer = make_writer(test_settings, lists, {})
    writer.update_seeker("S1", ["P0"], reason="posting")  # never written: no list in Redis
    writer.update_seeker("S2", ["P7"], reason="close")  # only a removal: nothing to do
    await writer.flush()
    assert redis_worker.zrevrange(keys.seeker_list("S1"), 0, -1) == ["P0", "P1", "P2"]
    assert redis_worker.hget(keys.seeker_meta("S1"), "reason") == "posting"
    assert redis_worker.exists(keys.seeker_list("S2"), keys.seeker_meta("S2")) == 0
    assert writer.pending == 0


async def test_a_rewrite_supersedes_pending_member_updates(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(3)}
    writer, rendered = recording_writer(test_settings, lists)
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    writer.update_seeker("S1", ["P2"], reason="close")
    writer.mark_seeker("S1", "posting")
    assert writer.pending == 1
    await writer.flush()

    # A member update while a background rewrite waits makes that rewrite urgent.
    writer.mark_seeker("S1", "refill")
    writer.update_seeker("S1", ["P2"], reason="close")
    lists["S1"] = view(2)
    assert writer._seekers == {"S1": "close"} and not writer._background and not writer._touched
    rendered.clear()
    await writer.flush()
    assert rendered == ["S1"]
    assert redis_worker.zrevrange(keys.seeker_list("S1"), 0, -1) == ["P0", "P1"]


async def test_a_failed_member_update_is_kept_for_a_retry(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(4)}
    writer = make_writer(test_settings, lists, {})
    writer.mark_seeker("S1", "profile")
    await writer.flush()
    good = writer._client
    writer._client = worker_client(
        dataclasses.replace(test_settings, redis_url="redis://127.0.0.1:1/0")
    )
    lists["S1"] = SeekerListView(view(4).items[1:3], 1, 3600)
    writer.update_seeker("S1", ["P0"], reason="close")
    with pytest.raises((redis.exceptions.ConnectionError, OSError)):
        await writer.flush()
    writer.update_seeker("S1", ["P3"], reason="interaction")
    assert writer.pending == 1

    writer._client = good
    await writer.flush()
    assert redis_worker.zrevrange(keys.seeker_list("S1"), 0, -1) == ["P1", "P2"]
    assert redis_worker.hget(keys.seeker_meta("S1"), "reason") == "interaction"


async def test_pending_counts_writes_under_way_and_unobserved_events(
    test_settings: Settings, redis_worker: redis.Redis
) -> None:
    # "Nothing pending" must mean Redis holds everything marked: benchmarks and tests
    # wait on it, and a write under way is not in Redis yet.
    seen_while_rendering: list[int] = []
    writer: RedisWriter

    def render(seeker_id: str) -> SeekerListView:
        seen_while_rendering.append(writer.pending)
        return view(2)

    writer = RedisWriter(
        worker_client(test_settings),
        RedisKeys(test_settings.key_prefix),
        render_seeker=render,
        render_posting=lambda _: None,
    )
    writer.mark_seeker("S1", "profile")
    writer.note_event("profile", int(time.time() * 1000))
    await writer.flush()
    assert seen_while_rendering == [2], "the mark and the event, both under way"
    writer.note_event("posting", int(time.time() * 1000))  # an event that marked nothing
    assert writer.pending == 1
    await writer.flush()
    assert writer.pending == 0


def _round_trips() -> float:
    """Pipelines the writers of this process have sent so far."""
    (family,) = metrics.REDIS_WRITE.collect()
    return next(s.value for s in family.samples if s.name.endswith("_count"))


@pytest.mark.parametrize("budget_s, trips", [(60.0, 2), (0.0, 4)])
async def test_rendering_past_its_budget_leaves_the_rest_of_a_batch_to_the_next(
    test_settings: Settings,
    redis_worker: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    budget_s: float,
    trips: int,
) -> None:
    # One batch for the event-driven lists and one for the background, unless the budget
    # runs out: with none, each batch renders one list (never none: it always progresses)
    # and the rest goes back to its queue; everything is still written, each list once.
    monkeypatch.setattr(redis_writer, "RENDER_BUDGET_S", budget_s)
    keys = RedisKeys(test_settings.key_prefix)
    lists = {"S1": view(3), "S2": view(2), "S3": view(4)}
    writer, rendered = recording_writer(test_settings, lists)
    lists["SB1"] = view(1)
    lists["S0"] = view(1)
    writer.mark_seeker("S0", "profile")
    await writer.flush()  # the first write of a fresh Redis also loads the scripts
    rendered.clear()
    for seeker_id in ("S1", "S2", "S3"):
        writer.mark_seeker(seeker_id, "profile")
    writer.mark_seeker("SB1", "refill")  # background, rendered after the event-driven
    before = _round_trips()
    await writer.flush()

    assert _round_trips() - before == trips
    assert writer.pending == 0
    assert sorted(rendered) == ["S1", "S2", "S3", "SB1"]
    for seeker_id, want in lists.items():
        assert redis_worker.zcard(keys.seeker_list(seeker_id)) == len(want.items), seeker_id
