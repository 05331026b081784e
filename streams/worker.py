"""Wire one worker: the Faust app, its tables and agents, the feeds, the trainer, the
sweeper, the Redis writer and the web pages. ``jobmatch worker`` runs it."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import faust
import redis.asyncio as aioredis
from aiokafka import TopicPartition
from faust.types import TP

from online_model.live.config import LiveConfig
from online_model.live.engine import LiveEngine
from online_model.live.seeker_state import SeekerState
from settings import Settings
from streams import metrics
from streams.agents import register_agents
from streams.app import create_app
from streams.channels import create_channels
from streams.consumption_pause import ConsumptionPause
from streams.dead_letters import DeadLetterSink
from streams.feeds import CatalogFeed, ModelFeed
from streams.kafka_security import aiokafka_kwargs
from streams.lag import (
    STUCK_AFTER_S,
    KafkaProbe,
    ProcessedOffsets,
    commit_blocked,
    commit_processed,
)
from streams.neighbour_feed import NeighbourFeed
from streams.offset_order import MissedEvent, MissedMessage, OffsetOrder
from streams.posting_display import PostingRecord
from streams.redis_health import ADVICE, probe_redis
from streams.redis_keys import RedisKeys
from streams.redis_rebuild import CHECK_EVERY_S, MarkerWatch, Rebuild, worker_token
from streams.redis_writer import RedisWriter
from streams.runtime import Runtime
from streams.topic_tail import PartitionReader
from streams.trainer import TrainerService
from streams.web import register_pages

log = logging.getLogger(__name__)

SWEEP_TICK_S = 1.0
# While seekers wait for their first ranking (start-up, rebalance), rank this many per
# step and yield, so events keep flowing during a long recovery.
RECOVERY_CHUNK = 25
EXPIRY_CHECK_S = 30.0
GAUGES_S = 5.0
PAUSE_CHECK_S = 1.0  # pause or resume consumption as Redis refuses or takes writes
REBUILD_TICK_S = 1.0  # one chunk of a Redis rebuild per tick (streams.redis_rebuild)
# On a rebalance, how long the lists of the events handled so far may take to be written
# before the partitions are let go (Faust's whole revocation must fit in the session).
REVOKE_SETTLE_S = 3.0
GROUP_EXPOSURE_EVERY = 60  # gauge ticks: exposure by group every five minutes
# How long the first event of a partition after an assignment waits for the group's
# committed offset; without an answer its order is not checked (streams.offset_order).
COMMITTED_READ_TIMEOUT_S = 3.0


def live_config(settings: Settings) -> LiveConfig:
    """The live engine's sizes and horizons, from the worker's settings."""
    return LiveConfig(
        seeker_list_size=settings.seeker_list_size,
        posting_list_size=settings.posting_list_size,
        max_per_employer=settings.max_per_employer,
        seeker_list_reserve=settings.seeker_list_reserve,
        sweep_horizon_seconds=settings.sweep_horizon_seconds,
        seeker_ttl_seconds=settings.seeker_ttl_seconds,
    )


def connect_redis(settings: Settings) -> aioredis.Redis:
    """The worker's Redis client, as the ``jobmatch-worker`` ACL user. A ``rediss://`` URL
    is TLS: the URL carries the CA file as ``ssl_ca_certs`` (``Settings.redis_url_for``)."""
    url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
    return aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def build_worker(settings: Settings) -> Runtime:
    app = create_app(settings)
    channels = create_channels(app, settings)
    # Keys are ids; values JSON objects (SeekerState / PostingRecord .to_obj()).
    schema = faust.Schema(key_type=str, key_serializer="raw", value_serializer="json")
    seekers_table = app.Table("seekers", schema=schema, partitions=settings.seeker_partitions)
    postings_table = app.Table("postings", schema=schema, partitions=settings.posting_partitions)
    engine = LiveEngine(live_config(settings))

    def render_posting(posting_id: str):  # type: ignore[no-untyped-def]
        stored = postings_table.get(posting_id)
        return PostingRecord.from_obj(stored).view() if stored is not None else None

    client = connect_redis(settings)
    keys = RedisKeys(settings.key_prefix)
    writer = RedisWriter(
        client,
        keys,
        marker_key=keys.worker_marker(worker_token()),
        render_seeker=engine.render_seeker,
        render_items=engine.render_items,
        render_posting=render_posting,
    )
    model_feed = ModelFeed(settings, engine)
    families = _families_of(settings)
    processed = ProcessedOffsets()
    rt = Runtime(
        settings=settings,
        app=app,
        channels=channels,
        seekers_table=seekers_table,
        postings_table=postings_table,
        engine=engine,
        writer=writer,
        dead_letters=DeadLetterSink(channels.dlq, max_bytes=settings.max_message_bytes),
        catalog_feed=CatalogFeed(settings, engine, writer),
        model_feed=model_feed,
        neighbour_feed=NeighbourFeed(settings, engine, writer),
        trainer=TrainerService(settings, model_feed),
        redis_marker=MarkerWatch(writer),
        rebuild=Rebuild(lambda: rebuild_plan(rt)),
        pause=ConsumptionPause(app, families),
        processed=processed,
        offset_order=_offset_order(settings, app, processed),
    )
    register_agents(rt)
    kafka_probe = KafkaProbe(app, families, rt.processed)
    _register_background(rt, kafka_probe)
    register_pages(app, lambda: _health(rt, kafka_probe))
    return rt


def _offset_order(settings: Settings, app: faust.App, processed: ProcessedOffsets) -> OffsetOrder:
    """The offset-order guard (streams.offset_order) over this worker's Faust consumer.

    Committed offsets and skipped records are read outside the group
    (streams.topic_tail.PartitionReader). Handled, skipped records are entered in
    faust-streaming's gap bookkeeping (a private method: the one it uses itself for
    offsets it never receives), which counts them as acknowledged."""
    consumer = app.consumer
    reader = PartitionReader(settings.kafka_bootstrap, client_options=aiokafka_kwargs(settings))

    @app.on_before_shutdown.connect
    async def close_reader(app: faust.App, **_: object) -> None:
        await reader.close()

    async def read_committed(tp: TP) -> int | None:
        partition = TopicPartition(tp.topic, tp.partition)
        return await reader.committed(settings.app_id, partition, COMMITTED_READ_TIMEOUT_S)

    async def read_missed(tp: TP, first: int, end: int) -> list[MissedEvent]:
        records = await reader.read(TopicPartition(tp.topic, tp.partition), first, end)
        return [
            MissedEvent(MissedMessage(r.topic, r.partition, r.offset, r.key), r.value)
            for r in records
        ]

    async def mark_gap(tp: TP, first: int, last: int) -> None:
        await consumer._add_gap(tp, first, last)  # type: ignore[attr-defined]

    return OffsetOrder(processed, read_committed, read_missed, mark_gap)


def _register_background(rt: Runtime, kafka_probe: KafkaProbe) -> None:
    app, engine, sink = rt.app, rt.engine, rt.writer

    @app.on_partitions_revoked.connect
    async def hand_over(app: faust.App, revoked: set[TP], **_: object) -> None:
        # Every started event is handled and acknowledged by now (Faust waited for them).
        # Commit them, write their lists, then write nothing until the new assignment is
        # known: a list written for a seeker now another worker's could overwrite theirs.
        await commit_processed(app, revoked, rt.processed)
        if not await rt.writer.settle(REVOKE_SETTLE_S):
            log.warning("partitions revoked with Redis writes pending; the new owner rewrites")
        rt.writer.hold()

    @app.on_before_shutdown.connect
    async def let_go(app: faust.App, **_: object) -> None:
        # SIGTERM: the consumer has stopped fetching but not yet committed or left the
        # group. Acknowledge the handled events, commit them (commit_processed says why
        # not through Faust's own stop commit), write their lists, then nothing more: the
        # next owner writes from here on.
        for batch in list(rt.open_batches):
            await batch.finish()
        await app.producer.flush()
        await commit_processed(app, set(app.consumer.assignment()), rt.processed)
        if not await rt.writer.settle(REVOKE_SETTLE_S):
            log.warning("stopping with Redis writes pending; the next owner rewrites")
        rt.writer.hold()

    @rt.seekers_table.on_recover
    async def adopt_recovered_seekers() -> None:
        gone, changes = engine.adopt(owned_seekers(rt))
        sink.apply(changes)
        sink.release(gone=gone)

    @app.task
    async def catalog_feed() -> None:
        await rt.catalog_feed.tail.run()

    @app.task
    async def model_feed() -> None:
        await rt.model_feed.tail.run()

    @app.task
    async def neighbour_feed() -> None:
        await rt.neighbour_feed.tail.run()

    @app.task
    async def trainer() -> None:
        await rt.trainer.run()

    @app.task
    async def redis_writer() -> None:
        await rt.writer.run()

    @app.task
    async def become_ready() -> None:
        await rt.catalog_feed.tail.caught_up.wait()
        # First rankings see every posting's neighbours, as a recompute from the log would.
        await rt.neighbour_feed.tail.caught_up.wait()
        while not engine.has_model:
            await asyncio.sleep(0.1)
        log.info(
            "ready: %d open postings, model v%d, %d seekers owned",
            len(engine.catalog),
            engine.model_version,
            len(engine.seekers),
        )
        rt.ready.set()

    @app.task
    async def sweeper() -> None:
        await rt.ready.wait()
        batches_seen = rt.batches_handled
        while True:
            # First lists, lists many postings short, and, while no events arrive, every
            # backfill: in chunks, yielding to the agents between them, until none is left.
            # Then, once a tick, a few backfills, the horizon and a new model.
            idle = rt.batches_handled == batches_seen
            ranked, changes = engine.rank_unranked(RECOVERY_CHUNK)
            sink.apply(changes)
            refilled, changes = engine.refill(RECOVERY_CHUNK - ranked, short_only=not idle)
            sink.apply(changes)
            if ranked + refilled >= RECOVERY_CHUNK:
                await asyncio.sleep(0)
                continue
            batches_seen = rt.batches_handled
            sink.apply(engine.refill(engine.refill_budget(SWEEP_TICK_S))[1])
            sink.apply(engine.sweep(engine.sweep_budget(SWEEP_TICK_S))[1])
            # No posting sweep: re-fanning every posting within the horizon wrote 0.3-1
            # command per posting for 43 % of a core at 20k x 20k. Employer lists change
            # when their posting does and whenever one of their seekers is re-ranked
            # (docs/architecture.md, "Timers").
            await asyncio.sleep(SWEEP_TICK_S)

    @app.timer(EXPIRY_CHECK_S)
    async def expire_postings() -> None:
        if not rt.ready.is_set():
            return
        now_ms = int(time.time() * 1000)
        for posting_id in engine.expired_postings(now_ms):
            if posting_id not in engine.expired_postings_among((posting_id,), now_ms):
                continue  # re-opened or given a later deadline while the burst ran
            sink.apply(engine.posting_closed(posting_id, live=True))
            # Most deadlines end at midnight: thousands of closes in one tick. Let the
            # agents and the writer in between, so the burst never stalls other events.
            await asyncio.sleep(0)

    @app.timer(CHECK_EVERY_S)
    async def watch_redis_marker() -> None:
        if await rt.redis_marker.lost():
            rt.rebuild.start()

    @app.timer(PAUSE_CHECK_S)
    async def pause_while_redis_refuses() -> None:
        rt.pause.check(rt.writer.health.fault)

    @app.timer(REBUILD_TICK_S)
    async def rebuild_redis() -> None:
        if not rt.rebuild.active:
            return
        rt.rebuild.step(rt.writer.pending)
        if rt.rebuild.all_marked:
            await rt.writer.wait_idle()  # idle: everything marked so far is written
            rt.rebuild.finish()

    ticks = itertools.count()

    @app.timer(GAUGES_S)
    async def gauges() -> None:
        by_group = next(ticks) % GROUP_EXPOSURE_EVERY == 0
        for stats in engine.list_stats_steps(by_group_exposure=by_group):
            if stats is None:
                await asyncio.sleep(0)  # a step walked: let events through
                continue
            metrics.publish_list_stats(stats, engine.take_filter_stats().as_dict())
        await kafka_probe(watch_progress=rt.ready.is_set() and not rt.pause.paused)
        for partition, why in commit_blocked(app.consumer).items():
            log.warning("commit of %s cannot advance: %s", partition, why)


def rebuild_plan(rt: Runtime) -> Iterator[Callable[[], None]]:
    """One mark per key this worker owns in Redis (see streams.redis_rebuild): the display
    hash of every posting of its posting partitions (deleted for a closed one, which an
    older copy of Redis may still show), its members of every employer list, and the keys
    of each of its seekers (a list, or none for a seeker who has none now)."""
    engine, writer = rt.engine, rt.writer
    owned_postings = owned_keys(rt, rt.postings_table, "postings", rt.partition_of_posting)
    for posting_id, _ in list(owned_postings):
        yield functools.partial(writer.mark_posting, posting_id)
    # Lists and members as they are when their turn comes, not when the rebuild began.
    for posting_id in engine.employers.postings():

        def mark_employer(posting_id: str = posting_id) -> None:
            current = engine.employer_list(posting_id)
            if current is not None:
                members, expire_at = current
                writer.update_employer_list(posting_id, add=members, expire_at=expire_at)

        yield mark_employer
    for seeker_id in list(engine.seekers):

        def mark_seeker(seeker_id: str = seeker_id) -> None:
            # Only if still ours: a rebalance may have handed it over meanwhile, and
            # rendering a seeker we no longer hold would delete the new owner's list.
            if seeker_id in engine.seekers:
                writer.mark_seeker(seeker_id, "repair")

        yield mark_seeker


def owned_keys(
    rt: Runtime, table: faust.Table, family: str, partition_of: dict[str, int]
) -> Iterator[tuple[str, Any]]:
    """(key, value) of ``table`` for the partitions of ``family`` assigned to this worker now.

    Faust's memory store keeps the keys of revoked partitions that this worker wrote
    itself (it forgets only those it recovered from the changelog), so the table alone
    would have a worker go on writing the keys of seekers and postings it handed over."""
    topic = rt.settings.topic(family)
    assigned = {tp.partition for tp in rt.app.consumer.assignment() if tp.topic == topic}
    recovered: dict[str, int] = getattr(table.data, "_key_partition", {})
    for key, value in table.items():
        if partition_of.get(key, recovered.get(key)) in assigned:
            yield key, value


def owned_seekers(rt: Runtime) -> dict[str, SeekerState]:
    """The seekers of the profiles/interactions partitions assigned to this worker now."""
    return {
        seeker_id: SeekerState.from_obj(obj)
        for seeker_id, obj in owned_keys(rt, rt.seekers_table, "profiles", rt.partition_of_seeker)
    }


async def _health(rt: Runtime, kafka_probe: KafkaProbe) -> dict[str, object]:
    """Readiness, why not, and the numbers that say whether the worker has caught up.

    ``ready`` is false while the worker cannot do its job; ``not_ready`` then says why,
    in words an operator can act on (docs/operations.md has the runbook)."""
    engine = rt.engine
    started = rt.ready.is_set()
    kafka = await kafka_probe(watch_progress=started and not rt.pause.paused)
    not_ready: list[str] = []
    if not started:
        not_ready.append("starting: reading the catalog and the model")
    if not kafka.reachable:
        not_ready.append(f"{kafka.error}; the worker reconnects by itself")
    if kafka.stuck:
        not_ready.append(
            f"no progress for {STUCK_AFTER_S:.0f} s on partitions with lag: "
            f"{', '.join(kafka.stuck)}; see the worker log"
        )
    redis_status = await probe_redis(rt.writer.client)
    write_fault = rt.writer.health.fault
    if write_fault is not None:
        not_ready.append(
            f"Redis writes failing for {time.time() - write_fault.since:.0f} s "
            f"({write_fault.reason}: {write_fault.error}); {write_fault.advice}"
        )
    elif not redis_status.reachable:
        not_ready.append(f"Redis does not answer ({redis_status.error}); {ADVICE['unreachable']}")
    if rt.pause.paused:  # also for the moment between a fault's end and a rebalance's end
        not_ready.append(
            "consumption paused until Redis takes writes again: the events wait in Kafka"
        )
    if rt.rebuild.active:
        not_ready.append(
            f"rewriting every key after Redis lost them: {rt.rebuild.pending} of "
            f"{rt.rebuild.total} keys still to mark, {rt.writer.pending} writes pending"
        )
    rebalancing = bool(rt.app.rebalancing)
    return {
        "ready": not not_ready,
        "not_ready": not_ready,
        "kafka_reachable": kafka.reachable,
        "redis": redis_status.to_obj()
        | {
            "write_fault": write_fault.to_obj() if write_fault else None,
            "rebuild": rt.rebuild.to_obj(),
        },
        "consumption": rt.pause.to_obj(),
        "rebalancing": rebalancing,
        "stuck_partitions": kafka.stuck,
        "lag": kafka.lag if started else {},
        "partitions": kafka.partitions,
        "catalog_caught_up": rt.catalog_feed.tail.caught_up.is_set(),
        "catalog_records_read": rt.catalog_feed.tail.records_read,
        "neighbour_records_read": rt.neighbour_feed.tail.records_read,
        "neighbour_postings": len(engine.neighbours),
        "model_version": engine.model_version,
        "open_postings": len(engine.catalog),
        "seekers_owned": len(engine.seekers),
        "lists": len(engine.lists),
        "pending_sweep": engine.pending_sweep,
        "pending_refill": engine.pending_refill,
        "pending_writes": rt.writer.pending,
        "trainer_active": rt.trainer.trainer is not None,
    }


def _families_of(settings: Settings) -> dict[str, str]:
    """The event topics' names, with their family names."""
    return {settings.topic(f): f for f in ("postings", "profiles", "interactions")}


def run_worker(settings: Settings, *, loglevel: str = "info") -> None:
    """Run one worker in the foreground until SIGINT/SIGTERM."""
    rt = build_worker(settings)
    metrics.MODEL_VERSION.set(0)
    worker = faust.Worker(rt.app, loglevel=loglevel)
    # At a log level of WARN or above, Faust's start-up spinner sets the root logger to
    # DEBUG so that every record spins it: each debug call of aiokafka (several per
    # request) then builds a record only to drop it. A service has no use for a spinner.
    worker.spinner = None
    worker.execute_from_commandline()
