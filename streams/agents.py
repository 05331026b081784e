"""The three Faust agents: read an event, call pure functions, write state. Nothing more.

Each agent validates its message first (bad ones go to the dead-letter topic), counts the
outcome, updates its table (the durable state, recovered from its changelog after a
restart), tells the :class:`~online_model.live.engine.LiveEngine` what happened and hands
the changes it returns to the sink (the background Redis writer). ``concurrency=1``
everywhere: with more, Faust's at-least-once acknowledgement can skip a message.

Agents acknowledge events in small batches (see :func:`_consume`). The interactions agent
sends a batch's training examples as one message: a produce per event cost more than all
the rest of an interaction's work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import orjson
from faust import Stream
from faust.types import EventT

from online_model.live.seeker_state import SeekerState, apply_interaction, apply_profile_event
from online_model.neighbours import co_engagement
from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import ProfileEvent
from streams import metrics
from streams.neighbour_feed import publish as publish_co_engagement
from streams.offset_order import NO_GAP, MissedEvent
from streams.posting_display import PostingRecord
from streams.runtime import Runtime

log = logging.getLogger(__name__)

# A handler applies one parsed event; it may return a training example for the trainer.
Handler = Callable[[Any], Awaitable[dict[str, object] | None]]

# Handled events are acknowledged (and their training examples sent) in batches of at most
# BATCH_MAX events, at most BATCH_LINGER_S after the first: see _Batches.
BATCH_MAX = 500
BATCH_LINGER_S = 0.05
# On SIGTERM, how long the last batch may take to finish before the worker lets it go.
STOP_FINISH_TIMEOUT_S = 5.0
ExampleSender = Callable[[list[dict[str, object]]], Awaitable[None]]


def register_agents(rt: Runtime) -> None:
    app, channels, engine, sink = rt.app, rt.channels, rt.engine, rt.writer

    async def on_profile(event: ProfileEvent) -> None:
        sid = event.seeker_id
        state, outcome = apply_profile_event(engine.seekers.get(sid, SeekerState()), event)
        metrics.EVENTS.labels("profiles", outcome).inc()
        if outcome == "applied":
            rt.seekers_table[sid] = state.to_obj()
            sink.apply(engine.set_seeker(sid, state, reason="profile"))
            sink.note_event("profile", event.ts)

    async def on_interaction(event: Interaction) -> dict[str, object] | None:
        sid = event.seeker_id
        before = engine.seekers.get(sid, SeekerState())
        posting = engine.posting(event.posting_id)
        if posting is None and await rt.catalog_feed.tail.sync():
            # Published a moment ago, maybe: now the catalog has read it, if it exists.
            posting = engine.posting(event.posting_id)
        # Features of the pair as shown, from the history before this event.
        example = engine.training_example(event)
        state, outcome = apply_interaction(before, event, posting)
        metrics.EVENTS.labels("interactions", outcome).inc()
        if outcome != "applied":
            return None
        metrics.INTERACTIONS.labels(event.action, event.source).inc()
        if state is not before:
            rt.seekers_table[sid] = state.to_obj()
            # Sent before the batch is acknowledged (the commit flushes the producer), so a
            # crash redelivers the event and the record again: the index counts it once.
            record = co_engagement(before.history, event)
            if record is not None:
                await publish_co_engagement(channels.neighbours, record)
            changes = engine.record_interaction(sid, state, event)
            sink.apply(changes)
            if changes:
                sink.note_event("interaction", event.ts)
        return example

    async def send_examples(examples: list[dict[str, object]]) -> None:
        # One message per batch (a JSON array); the trainer reads them in order.
        await channels.training.send(key=b"examples", value=orjson.dumps(examples))

    async def on_posting(event: PostingEvent) -> None:
        # Every worker applies postings to its catalog through its own full read of the
        # topic (streams.feeds.CatalogFeed). This agent, one per posting partition, does
        # what must happen once: dead-lettering, and the posting's display fields.
        pid = event.posting_id
        stored = rt.postings_table.get(pid)
        version = (event.ts, event.event_id)
        outcome = "applied"
        if stored is not None:
            old = PostingRecord.from_obj(stored).version
            outcome = "duplicate" if old == version else "stale" if version < old else outcome
        metrics.EVENTS.labels("postings", outcome).inc()
        if outcome == "applied":
            record = PostingRecord.of(event.ts, event.event_id, event.posting)
            rt.postings_table[pid] = record.to_obj()
            sink.mark_posting(pid)

    @app.agent(channels.profiles, concurrency=1, name="profiles")
    async def profiles(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "profiles", stream, on_profile)

    @app.agent(channels.interactions, concurrency=1, name="interactions")
    async def interactions(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "interactions", stream, on_interaction, send_examples)

    @app.agent(channels.postings, concurrency=1, name="postings")
    async def postings(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "postings", stream, on_posting)


async def _consume(
    rt: Runtime,
    family: str,
    stream: Stream[bytes],
    handle: Handler,
    send_examples: ExampleSender | None = None,
) -> None:
    """Decode each message (or dead-letter it), handle it, account for it; acknowledge the
    handled events in batches (:class:`_Batches`)."""
    await rt.ready.wait()
    unacked = stream.noack()
    batches = _Batches(rt, unacked, send_examples)
    rt.open_batches.add(batches)
    flusher = asyncio.ensure_future(batches.flush_when_quiet())
    try:
        async for event in unacked.events():
            message = event.message
            gap = await rt.offset_order.admit(family, message.tp, message.offset)
            if gap is None:
                # Handled already: never acknowledged, so Faust's commit cannot cover it
                # again; marked so that Faust stops waiting for it at the next rebalance.
                message.acked = True
                continue
            for missed in gap.events:  # records the consumer skipped (streams.offset_order)
                batches.add(None, await _handle_one(rt, family, missed, handle))
            if gap is not NO_GAP:
                await rt.offset_order.covered(message.tp, gap)
            batches.add(event, await _handle_one(rt, family, event, handle))
            if batches.full:
                await batches.finish()
            if flusher.done():
                flusher.result()  # it failed: raise its error here
    except Exception as exc:
        # Faust would restart just this agent, but the events it had read and not
        # acknowledged would stay pending for good: their partition would never commit
        # again and every rebalance would wait for them. Stop the worker instead; Kafka
        # hands the uncommitted events to its successor (at least once).
        log.critical("%s agent failed; stopping the worker", family, exc_info=exc)
        await rt.app.crash(exc)
        raise
    except asyncio.CancelledError:
        # The worker is stopping (SIGTERM): acknowledge what was handled, so the commit
        # that follows covers it and the next owner does not handle it again.
        flusher.cancel()
        await _finish_on_the_way_out(family, batches)
        raise
    finally:
        flusher.cancel()
        rt.open_batches.discard(batches)


async def _handle_one(
    rt: Runtime, family: str, event: EventT | MissedEvent, handle: Handler
) -> dict[str, object] | None:
    """Handle one event and account for it; its training example, if any."""
    started = time.perf_counter()
    example = await _apply(rt, family, event, handle)
    metrics.PROCESSING.labels(family).observe(time.perf_counter() - started)
    metrics.LAST_EVENT.labels(family).set(time.time())
    rt.processed.done(event.message.tp, event.message.offset)
    return example


async def _finish_on_the_way_out(family: str, batches: _Batches) -> None:
    try:
        await asyncio.wait_for(asyncio.shield(batches.finish()), STOP_FINISH_TIMEOUT_S)
    except Exception as exc:  # the events stay unacknowledged: redelivered, not lost
        log.warning("%s: could not acknowledge the last batch on stop: %r", family, exc)


async def _apply(
    rt: Runtime, family: str, event: EventT | MissedEvent, handle: Handler
) -> dict[str, object] | None:
    """Decode and handle one message. A handler that raises dead-letters its event
    (``processing_error``) instead of stopping the agent: one message must never stop its
    partition. Returns the event's training example, if any."""
    parsed = await rt.dead_letters.decode(family, event)
    if parsed is None:
        return None
    partition = event.message.partition
    if family == "postings":
        rt.partition_of_posting[parsed.posting_id] = partition  # type: ignore[attr-defined]
    else:  # a seeker's profile and interactions share one partition
        rt.partition_of_seeker[parsed.seeker_id] = partition  # type: ignore[attr-defined]
    try:
        return await handle(parsed)
    except Exception as exc:
        await rt.dead_letters.reject_failed(family, event, exc)
        return None


class _Batches:
    """Finishes handled events in batches: sends their training examples to the trainer
    in one message, waits for their table writes to reach the Kafka client, then
    acknowledges them. A batch ends at ``BATCH_MAX`` events, or ``BATCH_LINGER_S`` after
    its first. A crash redelivers every event whose effects may not be in Kafka yet (at
    least once; event ids make the repeat harmless).

    Faust's own ``Stream.take_events`` batching lost events across a kill -9 here
    (acknowledged, never applied), so batches are built on ``events()`` of a ``noack()``
    stream, acknowledged by hand."""

    def __init__(self, rt: Runtime, stream: Stream[bytes], send: ExampleSender | None):
        self._rt = rt
        self._stream = stream
        self._send = send
        self._events: list[EventT] = []
        self._examples: list[dict[str, object]] = []
        self._opened = 0.0
        self._finishing = asyncio.Lock()  # batches finish one at a time, in order

    def add(self, event: EventT | None, example: dict[str, object] | None) -> None:
        """A handled event (None: one read outside Faust's stream, acknowledged through the
        consumer's gap bookkeeping instead) and its training example."""
        if not self._events and not self._examples:
            self._opened = time.monotonic()
        if event is not None:
            self._events.append(event)
        if example is not None:
            self._examples.append(example)

    @property
    def full(self) -> bool:
        return len(self._events) + len(self._examples) >= BATCH_MAX

    async def flush_when_quiet(self) -> None:
        """Finish a batch that has waited ``BATCH_LINGER_S`` for more events."""
        while True:
            await asyncio.sleep(BATCH_LINGER_S)
            waiting = self._events or self._examples
            if waiting and time.monotonic() - self._opened >= BATCH_LINGER_S:
                await self.finish()

    async def finish(self) -> None:
        async with self._finishing:
            events, examples = self._events, self._examples
            self._events, self._examples = [], []
            if not events and not examples:
                return
            if examples and self._send is not None:
                await self._send(examples)
            await _hand_over_table_writes(self._rt.app)
            for event in events:
                await self._stream.ack(event)
            self._rt.batches_handled += 1


async def _hand_over_table_writes(app: faust.App) -> None:
    """Wait until the batch's table writes have left Faust's producer buffer.

    They wait there for a background task to hand them to the Kafka client. Before a commit
    Faust flushes that buffer, but gives up after 0.1 s without progress, so a busy worker
    could commit offsets whose changelog records were still buffered and lose them to a
    kill -9 (the restarted worker would recover an older state). Once handed over, the
    commit's flush of the Kafka client covers them."""
    buffer = app.producer.buffer
    while buffer.size:
        await buffer.flush()
