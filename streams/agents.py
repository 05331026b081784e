"""The three Faust agents: read an event, call pure functions, write state. Nothing more.

Each agent validates its message first (bad ones go to the dead-letter topic), counts the
outcome, updates its table (the durable state, recovered from its changelog after a
restart) and tells the :class:`~streams.list_keeper.ListKeeper` what changed. Redis
writes happen in the background writer. ``concurrency=1`` everywhere: with more, Faust's
at-least-once acknowledgement can skip a message.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from faust.types import StreamT

from schemas.interactions import Interaction
from schemas.postings import PostingEvent
from schemas.profiles import ProfileEvent
from streams import metrics
from streams.posting_display import PostingRecord
from streams.runtime import Runtime
from streams.seeker_state import SeekerState, apply_interaction, apply_profile_event

Handler = Callable[[Any], Awaitable[None]]


def register_agents(rt: Runtime) -> None:
    app, channels, keeper = rt.app, rt.channels, rt.keeper

    async def on_profile(event: ProfileEvent) -> None:
        sid = event.seeker_id
        state, outcome = apply_profile_event(keeper.seekers.get(sid, SeekerState()), event)
        metrics.EVENTS.labels("profiles", outcome).inc()
        if outcome == "applied":
            rt.seekers_table[sid] = state.to_obj()
            keeper.set_seeker(sid, state, reason="profile")
            rt.writer.note_event("profile", event.ts)

    async def on_interaction(event: Interaction) -> None:
        sid = event.seeker_id
        before = keeper.seekers.get(sid, SeekerState())
        posting = keeper.posting(event.posting_id)
        if posting is None and await rt.catalog_feed.tail.sync():
            # Published a moment ago, maybe: now the catalog has read it, if it exists.
            posting = keeper.posting(event.posting_id)
        # Features of the pair as shown, from the history before this event.
        example = keeper.training_example(event)
        state, outcome = apply_interaction(before, event, posting)
        metrics.EVENTS.labels("interactions", outcome).inc()
        if outcome != "applied":
            return
        metrics.INTERACTIONS.labels(event.action, event.source).inc()
        if state is not before:
            rt.seekers_table[sid] = state.to_obj()
            if keeper.record_interaction(sid, state, event):
                rt.writer.note_event("interaction", event.ts)
        if example is not None:
            await channels.training.send(key=sid.encode(), value=orjson.dumps(example))

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
            rt.writer.mark_posting(pid)

    @app.agent(channels.profiles, concurrency=1, name="profiles")
    async def profiles(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "profiles", stream, on_profile)

    @app.agent(channels.interactions, concurrency=1, name="interactions")
    async def interactions(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "interactions", stream, on_interaction)

    @app.agent(channels.postings, concurrency=1, name="postings")
    async def postings(stream):  # type: ignore[no-untyped-def]
        await _consume(rt, "postings", stream, on_posting)


async def _consume(rt: Runtime, family: str, stream: StreamT, handle: Handler) -> None:
    """Decode each message (or dead-letter it), handle it, account for it."""
    await rt.ready.wait()
    async for event in stream.events():
        started = time.perf_counter()
        parsed = await rt.dead_letters.decode(family, event)
        if parsed is not None:
            await handle(parsed)
        metrics.PROCESSING.labels(family).observe(time.perf_counter() - started)
        metrics.LAST_EVENT.labels(family).set(time.time())
        rt.processed.done(event.message.tp, event.message.offset)
