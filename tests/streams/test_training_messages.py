"""What the trainer reads from the training topic, and when it publishes (pure logic; the
topics themselves are exercised by the pipeline tests, on a real broker)."""

from __future__ import annotations

import orjson

from settings import Settings
from streams.trainer import snapshot_due, training_examples

EXAMPLE = {"event_id": "e1", "ts": 1, "action": "click", "seeker_id": "S1", "posting_id": "P1"}


def test_a_batch_is_its_examples_in_order() -> None:
    second = EXAMPLE | {"event_id": "e2"}
    assert training_examples(orjson.dumps([EXAMPLE, second])) == [EXAMPLE, second]


def test_a_single_example_from_before_batching_is_still_read() -> None:
    assert training_examples(orjson.dumps(EXAMPLE)) == [EXAMPLE]


def test_anything_else_is_skipped_not_a_crash() -> None:
    for value in (b"{not json", b"42", b'"text"', b"[1, 2]", orjson.dumps([EXAMPLE, 3])):
        assert training_examples(value) == [], value


def test_snapshots_follow_examples_but_never_faster_than_the_minimum_interval() -> None:
    settings = Settings()  # 500 examples, 30 s interval, 5 s minimum
    assert not snapshot_due(settings, 5_000, 1.0), "many examples, but too soon"
    assert snapshot_due(settings, 500, 5.0)
    assert not snapshot_due(settings, 499, 29.0)
    assert snapshot_due(settings, 1, 30.0), "anything new after the interval"
    assert not snapshot_due(settings, 0, 30.0)
    assert snapshot_due(settings, 0, 30.0 * 20), "now and then, even with nothing new"
