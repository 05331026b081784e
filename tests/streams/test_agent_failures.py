"""One message never stops an agent: a handler that raises dead-letters its event
(``processing_error``) and the agent goes on (pure logic with a recording DLQ topic; the
real-broker version of "nothing stops" is tests/streams/pipeline/test_hostile_input.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson

from schemas.codec import encode
from schemas.dead_letter import DeadLetter
from schemas.interactions import Interaction
from streams.agents import _apply
from streams.dead_letters import DeadLetterSink

CLICK = Interaction("e1", 1764230400000, "S1", "P1", "click", "reco")


@dataclass
class RecordingTopic:
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)

    async def send(self, *, key: bytes | None, value: bytes) -> None:
        self.sent.append((key, value))


def consumed(value: bytes, key: bytes | None = b"S1") -> Any:
    message = SimpleNamespace(topic="jobmatch.interactions", partition=1, offset=42, key=key)
    return SimpleNamespace(message=message, value=value)


def runtime(topic: RecordingTopic) -> Any:
    return SimpleNamespace(
        dead_letters=DeadLetterSink(topic, max_bytes=65536),  # type: ignore[arg-type]
        partition_of_seeker={},
        partition_of_posting={},
    )


async def test_a_handler_that_raises_dead_letters_its_event_and_returns() -> None:
    topic = RecordingTopic()

    async def broken(event: object) -> dict[str, object] | None:
        raise KeyError("no such posting")

    raw = encode(CLICK)
    assert await _apply(runtime(topic), "interactions", consumed(raw), broken) is None
    ((key, value),) = topic.sent
    letter = DeadLetter.from_json(value)
    assert (key, letter.key, letter.value) == (b"S1", b"S1", raw)
    assert (letter.topic, letter.partition, letter.offset) == ("jobmatch.interactions", 1, 42)
    assert letter.reason == "processing_error"
    assert letter.error == "the worker failed to apply it: KeyError: 'no such posting'"


async def test_a_handled_event_gives_its_example_and_no_dead_letter() -> None:
    topic = RecordingTopic()
    seen: list[object] = []

    async def handle(event: object) -> dict[str, object] | None:
        seen.append(event)
        return {"event_id": "e1"}

    rt = runtime(topic)
    out = await _apply(rt, "interactions", consumed(encode(CLICK)), handle)
    assert out == {"event_id": "e1"} and seen == [CLICK] and topic.sent == []
    # The seeker's partition is noted: after a rebalance it says whether we still own them.
    assert rt.partition_of_seeker == {"S1": 1} and rt.partition_of_posting == {}


async def test_an_invalid_event_never_reaches_the_handler() -> None:
    topic = RecordingTopic()

    async def handle(event: object) -> dict[str, object] | None:
        raise AssertionError("called with an invalid event")

    big_key = b"K" * 2_000_000
    assert (
        await _apply(runtime(topic), "interactions", consumed(encode(CLICK), big_key), handle)
        is None
    )
    ((key, value),) = topic.sent
    record = orjson.loads(value)
    assert record["reason"] == "key_mismatch" and record["key_size"] == 2_000_000
    assert key is not None and len(key) == 1024  # the record's own Kafka key is cut too
