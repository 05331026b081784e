"""Limits of the machine: how fast a topic can be read and lists written, with no jobmatch.

* a bare aiokafka consumer (no group, no processing) reading a whole topic, and ``kcat``
  (librdkafka, C) doing the same, the broker's and the machine's own limit;
* a pass-through Faust agent with the worker's Faust settings (:mod:`bench.passthrough`),
  and one that forwards every message (one produce per event, as the interactions agent
  sends a training example);
* pipelined Redis ``ZADD`` of whole 120-member lists, against one round trip per list,
  and the worker's own list write (:class:`streams.redis_writer.RedisWriter`: one script
  per seeker replacing list, ``:meta`` and ``:why``) against pipelined ``ZADD``.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass

import orjson
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer

from bench.harness import BenchEnv, free_port, log, wait_for
from bench.worker import worker_env
from online_model.live.views import SeekerListView
from settings import Settings
from streams.redis_keys import RedisKeys
from streams.redis_writer import RedisWriter


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("nan")


def topic_size(settings: Settings, family: str) -> int:
    """Messages in a family's topic now (sum of end offsets; nothing is compacted yet)."""

    async def ends() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        await consumer.start()
        try:
            topic = settings.topic(family)
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()  # first use of the topic
                partitions = consumer.partitions_for_topic(topic) or set()
            from aiokafka import TopicPartition

            offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
            return sum(offsets.values())
        finally:
            await consumer.stop()

    return asyncio.run(ends())


def bare_consumer(settings: Settings, family: str, expect: int, *, repeats: int = 3) -> Rate:
    """Median of ``repeats`` reads of the whole topic by a group-less aiokafka consumer,
    timed from the first fetch (connected, partitions assigned) to the last message."""

    async def once() -> Rate:
        consumer = AIOKafkaConsumer(
            settings.topic(family),
            bootstrap_servers=settings.kafka_bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            seen = 0
            started = time.perf_counter()
            deadline = time.monotonic() + 300
            while seen < expect and time.monotonic() < deadline:
                batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                seen += sum(len(records) for records in batches.values())
            if seen < expect:
                raise RuntimeError(f"bare consumer read {seen} of {expect} messages")
            return Rate(seen, time.perf_counter() - started)
        finally:
            await consumer.stop()

    rates = sorted((asyncio.run(once()) for _ in range(repeats)), key=lambda r: r.per_s)
    return rates[(len(rates) - 1) // 2]  # the median (the lower one of an even count)


def kcat_consumer(settings: Settings, family: str, expect: int) -> Rate | None:
    """``kcat`` reading the whole topic (process start included); None without kcat."""
    kcat = shutil.which("kcat")
    if kcat is None:
        return None
    started = time.perf_counter()
    subprocess.run(
        [kcat, "-C", "-b", settings.kafka_bootstrap, "-t", settings.topic(family), "-o",
         "beginning", "-e", "-q", "-f", "%o\n", "-c", str(expect)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )  # fmt: skip
    return Rate(expect, time.perf_counter() - started)


def passthrough(env: BenchEnv, family: str, expect: int, *, forward: bool = False) -> Rate:
    """Run :mod:`bench.passthrough` as its own consumer group over the whole topic."""
    name = f"passthrough-{family}{'-fwd' if forward else ''}"
    out = env.workdir / f"{name}.json"
    out.unlink(missing_ok=True)
    app_id = f"{env.prefix}-{name}"
    env_vars = worker_env(env.settings)
    env_vars["JOBMATCH_APP_ID"] = app_id
    cmd = [sys.executable, "-m", "bench.passthrough", "--family", family, "--expect",
           str(expect), "--out", str(out), "--web-port", str(free_port()), "--data-dir",
           str(env.workdir / f"data-{name}")]  # fmt: skip
    if forward:
        cmd.append("--forward")
    import os

    log_path = env.workdir / f"{name}.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            cmd, env={**os.environ, **env_vars}, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:

        def finished() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {log_path.read_text()[-2000:]}")
            return out.exists()

        wait_for(finished, timeout=300, interval=0.1, what=f"{name} to read {expect} messages")
        result = orjson.loads(out.read_bytes())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return Rate(int(result["count"]) - 1, float(result["seconds"]))


def _list_members(i: int, size: int) -> dict[str, float]:
    return {f"P{(i * 7919 + j) % 1_000_000:06d}": 1.0 - j / size for j in range(size)}


def redis_zadd(
    env: BenchEnv, lists: int, *, size: int = 120, batch: int = 500
) -> tuple[Rate, Rate]:
    """(pipelined, one round trip each): whole lists written with ``ZADD``."""
    client = env.redis()
    prefix = f"{env.settings.key_prefix}:limits:zadd"
    try:
        members = [_list_members(i, size) for i in range(lists)]
        started = time.perf_counter()
        for lo in range(0, lists, batch):
            pipe = client.pipeline(transaction=False)
            for i in range(lo, min(lo + batch, lists)):
                pipe.zadd(f"{prefix}:{i}", members[i])
            pipe.execute()
        pipelined = Rate(lists, time.perf_counter() - started)
        single_n = max(lists // 5, 200)
        started = time.perf_counter()
        for i in range(single_n):
            client.zadd(f"{prefix}:s{i}", members[i])
        single = Rate(single_n, time.perf_counter() - started)
        return pipelined, single
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=5000))
        for lo in range(0, len(keys), 5000):
            client.unlink(*keys[lo : lo + 5000])
        client.close()


def writer_lists(env: BenchEnv, lists: int, *, size: int = 120) -> Rate:
    """The worker's RedisWriter writing ``lists`` seeker lists (list, :meta, :why)."""
    reasons = ["희망 직종 일치", "거주지 인근"]
    views = {
        f"W{i}": SeekerListView(
            items=[(pid, score, reasons) for pid, score in _list_members(i, size).items()],
            model_version=1,
            ttl_seconds=3600,
        )
        for i in range(lists)
    }
    keys = RedisKeys(f"{env.settings.key_prefix}:limits")

    async def write() -> float:
        settings = env.settings
        url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
        client = aioredis.Redis.from_url(url, decode_responses=False)
        writer = RedisWriter(client, keys, render_seeker=views.get, render_posting=lambda _: None)
        try:
            for seeker_id in views:
                writer.mark_seeker(seeker_id, "bench")
            started = time.perf_counter()
            await writer.flush()
            return time.perf_counter() - started
        finally:
            await client.aclose()

    seconds = asyncio.run(write())
    client = env.redis()
    try:
        for lo in range(0, lists, 2000):
            names = [f"W{i}" for i in range(lo, min(lo + 2000, lists))]
            client.unlink(
                *[k for n in names for k in (keys.seeker_list(n), keys.seeker_meta(n))],
                *[keys.seeker_why(n) for n in names],
            )
    finally:
        client.close()
    log(f"RedisWriter: {lists} lists in {seconds:.2f}s")
    return Rate(lists, seconds)
