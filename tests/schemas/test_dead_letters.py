"""decode_or_dead_letter: every kind of bad message becomes a DLQ record that keeps the bytes."""

from __future__ import annotations

import base64
import time
from typing import Any

import jsonschema
import orjson
import pytest

from schemas import ValidationError
from schemas.dead_letter import DeadLetter, decode_or_dead_letter
from schemas.postings import PostingEvent
from tests.schemas.schema_corpus import INTERACTION, POSTING_EVENT, posting

WHERE: dict[str, Any] = {"topic": "jobmatch.postings", "partition": 3, "offset": 1234}
NOW = 1764230400123

BAD_MESSAGES = [
    ("bad_utf8", b'{"v": 1, "title": "\xff\xfe"}', ""),
    ("bad_json", b'{"v": 1,', ""),
    ("bad_json", b"[1, 2]", ""),
    ("oversized", b" " * 65537, ""),
    ("unsupported_version", orjson.dumps(posting("v", 2)), "v"),
    ("schema", orjson.dumps(posting("posting.wage.min", "삼백만원")), "posting.wage.min"),
]


def test_a_valid_message_is_returned_as_its_event() -> None:
    out = decode_or_dead_letter("postings", orjson.dumps(POSTING_EVENT), key=b"P100", **WHERE)
    assert isinstance(out, PostingEvent) and out.posting_id == "P100"


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (b"WRONGKEY1", "'WRONGKEY1'"),
        (None, "no key"),
        (b"P100 ", "'P100 '"),
        (b"\xffP100", "'\ufffdP100'"),
        (b"P" * 1_000_000, "… (1000000 bytes)"),
    ],
    ids=["other-id", "missing", "trailing-space", "not-utf8", "1MB"],
)
def test_a_key_that_is_not_the_events_id_is_a_dead_letter(
    key: bytes | None, shown: str, json_validators: dict[str, Any]
) -> None:
    raw = orjson.dumps(POSTING_EVENT)
    out = decode_or_dead_letter("postings", raw, key=key, now_ms=NOW, **WHERE)
    assert isinstance(out, DeadLetter)
    assert out.reason == "key_mismatch"
    assert out.error.startswith("Kafka key: expected 'P100' (the event's id), got ")
    assert shown in out.error and len(out.error) < 200  # a 1 MB key is not copied into it
    json_validators["dlq"].validate(orjson.loads(out.fit().to_json()))


def test_fit_cuts_an_oversized_key_and_value_and_keeps_their_sizes(
    json_validators: dict[str, Any],
) -> None:
    big = DeadLetter("t", 2, 77, b"k" * 2_000_000, b"\xff" * 2_000_000, "oversized", "big", NOW)
    fitted = big.fit()
    assert (fitted.key_size, fitted.value_size) == (2_000_000, 2_000_000)
    assert len(fitted.key or b"") == 1024 and len(fitted.value) == 256 * 1024
    assert fitted.error.startswith("big (key cut to its first 1024 of 2000000 bytes; ")
    assert fitted.error.endswith("the original is at t[2]@77)")
    record = fitted.to_json()
    assert len(record) < 512 * 1024  # fits a Kafka message with room to spare
    json_validators["dlq"].validate(orjson.loads(record))
    assert DeadLetter.from_json(record) == fitted


@pytest.mark.parametrize(("reason", "raw", "path"), BAD_MESSAGES, ids=[b[0] for b in BAD_MESSAGES])
def test_each_reason_becomes_a_dead_letter(
    reason: str, raw: bytes, path: str, json_validators: dict[str, Any]
) -> None:
    out = decode_or_dead_letter("postings", raw, key=b"P100", now_ms=NOW, **WHERE)
    assert isinstance(out, DeadLetter)
    assert (out.reason, out.value, out.key, out.rejected_at) == (reason, raw, b"P100", NOW)
    assert (out.topic, out.partition, out.offset) == ("jobmatch.postings", 3, 1234)
    # The error is the ValidationError's text: it leads with the field path when there is one.
    assert out.error.startswith(f"{path}: ") if path else ": " not in out.error[:3]
    record = orjson.loads(out.to_json())
    json_validators["dlq"].validate(record)
    assert DeadLetter.from_json(out.to_json()) == out


def test_utf8_values_stay_readable_and_others_are_base64() -> None:
    text = decode_or_dead_letter(
        "interactions", '{"v": 1, "x": "가"}'.encode(), now_ms=NOW, **WHERE
    )
    binary = decode_or_dead_letter("interactions", b"\x80abc", key=b"\xff", now_ms=NOW, **WHERE)
    assert isinstance(text, DeadLetter) and isinstance(binary, DeadLetter)
    text_record = orjson.loads(text.to_json())
    assert text_record["value"] == '{"v": 1, "x": "가"}' and "value_b64" not in text_record
    assert text_record["key"] is None and "key_b64" not in text_record
    binary_record = orjson.loads(binary.to_json())
    assert (
        base64.b64decode(binary_record["value_b64"]) == b"\x80abc" and "value" not in binary_record
    )
    assert base64.b64decode(binary_record["key_b64"]) == b"\xff" and "key" not in binary_record
    assert DeadLetter.from_json(binary.to_json()) == binary


def test_record_fields_are_those_of_the_contract() -> None:
    out = decode_or_dead_letter("interactions", b"{}", key=b"S42", now_ms=NOW, **WHERE)
    assert isinstance(out, DeadLetter)
    assert list(orjson.loads(out.to_json())) == [
        "v", "rejected_at", "topic", "partition", "offset", "key", "reason", "error", "value",
    ]  # fmt: skip


def test_a_tombstone_is_a_dead_letter() -> None:
    out = decode_or_dead_letter("postings", None, key=b"P100", now_ms=NOW, **WHERE)
    assert isinstance(out, DeadLetter)
    assert (out.reason, out.value) == ("bad_json", b"")
    assert "tombstone" in out.error


def test_max_bytes_is_passed_through() -> None:
    raw = orjson.dumps(INTERACTION)
    out = decode_or_dead_letter("interactions", raw, max_bytes=len(raw) - 1, **WHERE)
    assert isinstance(out, DeadLetter) and out.reason == "oversized"


def test_rejected_at_defaults_to_the_wall_clock() -> None:
    before = time.time_ns() // 1_000_000
    out = decode_or_dead_letter("interactions", b"nope", **WHERE)
    after = time.time_ns() // 1_000_000
    assert isinstance(out, DeadLetter) and before <= out.rejected_at <= after


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"v": 1}, "rejected_at"),
        (
            {
                **orjson.loads(DeadLetter("t", 0, 0, None, b"x", "schema", "e", NOW).to_json()),
                "reason": "odd",
            },
            "reason",
        ),
        (
            {
                **orjson.loads(DeadLetter("t", 0, 0, None, b"x", "schema", "e", NOW).to_json()),
                "value_b64": "eA==",
            },
            "value",
        ),
        (
            {
                **orjson.loads(DeadLetter("t", 0, 0, b"k", b"x", "schema", "e", NOW).to_json()),
                "key_b64": "!!",
            },
            "key",
        ),
    ],
)
def test_from_json_rejects_malformed_records(
    record: dict[str, Any], path: str, json_validators: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as info:
        DeadLetter.from_json(orjson.dumps(record))
    assert info.value.path == path
    # The JSON Schema rejects them too.
    with pytest.raises(jsonschema.ValidationError):
        json_validators["dlq"].validate(record)
