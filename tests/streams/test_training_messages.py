"""What the trainer reads from the training topic (pure logic; the topic itself is
exercised by the pipeline tests, where workers send batches to a real broker)."""

from __future__ import annotations

import orjson

from streams.trainer import training_examples

EXAMPLE = {"event_id": "e1", "ts": 1, "action": "click", "seeker_id": "S1", "posting_id": "P1"}


def test_a_batch_is_its_examples_in_order() -> None:
    second = EXAMPLE | {"event_id": "e2"}
    assert training_examples(orjson.dumps([EXAMPLE, second])) == [EXAMPLE, second]


def test_a_single_example_from_before_batching_is_still_read() -> None:
    assert training_examples(orjson.dumps(EXAMPLE)) == [EXAMPLE]


def test_anything_else_is_skipped_not_a_crash() -> None:
    for value in (b"{not json", b"42", b'"text"', b"[1, 2]", orjson.dumps([EXAMPLE, 3])):
        assert training_examples(value) == [], value
