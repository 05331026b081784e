"""Dead letters: what a consumer writes to ``jobmatch.dlq`` instead of a message it cannot use.

Pure data and JSON, no Kafka: the stream agents call :func:`decode_or_dead_letter` on
every message and produce the record's :meth:`DeadLetter.to_json` to the DLQ topic, keyed
like the original. The record keeps the original bytes (as text when they are UTF-8,
base64 otherwise), where they came from and why they were rejected; docs/events.md
documents it and ``schemas/jsonschema/dlq.schema.json`` describes it.

A record must itself fit in a Kafka message: :meth:`DeadLetter.fit` cuts an oversized key
or value (the original stays in its topic at the recorded offset) and records the
original sizes, so that no message, however large, can stop its partition.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, replace
from typing import Any

import orjson

from schemas.codec import key_of
from schemas.errors import BAD_JSON, KEY_MISMATCH, REASONS, ValidationError
from schemas.fields import Enum, Int, Nullable, Prop, Str, describe
from schemas.spec import EPOCH_MS, MAX_MESSAGE_BYTES
from schemas.validate import Event, parse_event

DLQ_VERSION = 1
TEXT = Str(0, None, expected="a string")

# The record's properties, declared once for from_json and the JSON Schema. Exactly one
# of key/key_b64 and one of value/value_b64 is present (jsonschema_gen adds that rule).
DLQ_PROPS: tuple[Prop, ...] = (
    Prop("v", Int(DLQ_VERSION, DLQ_VERSION), True, "Version of the dead-letter record format."),
    Prop("rejected_at", EPOCH_MS, True, "When the consumer rejected the message, epoch ms."),
    Prop("topic", Str(1, 249), True, "The topic the message was read from."),
    Prop("partition", Int(0, 2**31 - 1), True, "Its partition."),
    Prop("offset", Int(0, 2**63 - 1), True, "Its offset."),
    Prop("key", Nullable(TEXT), False, "The original key as text; null if none."),
    Prop("key_b64", TEXT, False, "The original key, base64, when not UTF-8."),
    Prop("reason", Enum(REASONS), True, "Why it was rejected (also a metric label)."),
    Prop("error", TEXT, True, "The field path and the problem, for people."),
    Prop("value", TEXT, False, "The original value as text, when UTF-8."),
    Prop("value_b64", TEXT, False, "The original value, base64, when not UTF-8."),
    Prop("key_size", Int(0, 2**31 - 1), False, "The original key's size in bytes, when cut."),
    Prop("value_size", Int(0, 2**31 - 1), False, "The original value's size in bytes, when cut."),
)

# What :meth:`DeadLetter.fit` keeps of a rejected message. Contract keys are ids of at most
# a few dozen bytes; a value over the event limit (64 KiB by default) is rejected unread.
# Base64 adds a third, so a fitted record stays far below Kafka's default 1 MiB limit.
MAX_DEAD_KEY_BYTES = 1024
MAX_DEAD_VALUE_BYTES = 256 * 1024


def _text_or_b64(name: str, data: bytes, out: dict[str, Any]) -> None:
    try:
        out[name] = data.decode("utf-8")
    except UnicodeDecodeError:
        out[f"{name}_b64"] = base64.b64encode(data).decode("ascii")


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message, where it came from and why.

    Parameters
    ----------
    topic, partition, offset
        Where the message was read.
    key
        Its key (None if it had none).
    value
        Its value, byte for byte (empty for a Kafka tombstone).
    reason
        One of :data:`schemas.errors.REASONS`.
    error
        ``str()`` of the :class:`~schemas.errors.ValidationError`: field path and problem.
    rejected_at
        When it was rejected, epoch ms.

    Examples
    --------
    >>> dl = DeadLetter("jobmatch.postings", 2, 41, b"P1", b"\\xff", "bad_utf8",
    ...                 "not valid UTF-8: invalid start byte at byte 0", 1764230400000)
    >>> record = dl.to_obj()
    >>> record["key"], record["reason"], record["value_b64"]
    ('P1', 'bad_utf8', '/w==')
    >>> DeadLetter.from_json(dl.to_json()) == dl
    True
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    reason: str
    error: str
    rejected_at: int
    key_size: int | None = None  # the original sizes, set when fit() cut key or value
    value_size: int | None = None

    def fit(
        self,
        *,
        max_key_bytes: int = MAX_DEAD_KEY_BYTES,
        max_value_bytes: int = MAX_DEAD_VALUE_BYTES,
    ) -> DeadLetter:
        """This record with a key or value longer than the limits cut to them.

        The cut is noted in ``error`` and the original sizes in ``key_size`` /
        ``value_size``; the whole message stays in its topic at ``topic[partition]@offset``.

        Examples
        --------
        >>> dl = DeadLetter("t", 0, 9, b"k" * 5000, b"v" * 10, "key_mismatch", "key", 0)
        >>> cut = dl.fit(max_key_bytes=4)
        >>> cut.key, cut.key_size, cut.value_size, cut.value
        (b'kkkk', 5000, None, b'vvvvvvvvvv')
        >>> cut.error
        'key (key cut to its first 4 of 5000 bytes; the original is at t[0]@9)'
        >>> small = DeadLetter("t", 0, 9, b"P1", b"{}", "schema", "e", 0)
        >>> small.fit() is small
        True
        """
        key, value = self.key, self.value
        cut: list[str] = []
        key_size = value_size = None
        if key is not None and len(key) > max_key_bytes:
            key_size, key = len(key), key[:max_key_bytes]
            cut.append(f"key cut to its first {max_key_bytes} of {key_size} bytes")
        if len(value) > max_value_bytes:
            value_size, value = len(value), value[:max_value_bytes]
            cut.append(f"value cut to its first {max_value_bytes} of {value_size} bytes")
        if not cut:
            return self
        where = f"the original is at {self.topic}[{self.partition}]@{self.offset}"
        return replace(
            self,
            key=key,
            value=value,
            key_size=key_size,
            value_size=value_size,
            error=f"{self.error} ({'; '.join(cut)}; {where})",
        )

    def to_obj(self) -> dict[str, Any]:
        """The DLQ record as a JSON object (see docs/events.md)."""
        out: dict[str, Any] = {
            "v": DLQ_VERSION,
            "rejected_at": self.rejected_at,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
        }
        if self.key is None:
            out["key"] = None
        else:
            _text_or_b64("key", self.key, out)
        out["reason"] = self.reason
        out["error"] = self.error
        _text_or_b64("value", self.value, out)
        if self.key_size is not None:
            out["key_size"] = self.key_size
        if self.value_size is not None:
            out["value_size"] = self.value_size
        return out

    def to_json(self) -> bytes:
        """The DLQ record as the bytes to produce."""
        return orjson.dumps(self.to_obj())

    @classmethod
    def from_json(cls, raw: bytes) -> DeadLetter:
        """Read a DLQ record back (for tools and tests); raises ``ValidationError``.

        Parameters
        ----------
        raw
            A value read from the DLQ topic.
        """
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValidationError("", f"not valid JSON: {exc}", reason=BAD_JSON) from None
        if type(obj) is not dict:
            raise ValidationError("", f"expected a JSON object, got {describe(obj)}")
        fields: dict[str, Any] = {}
        for p in DLQ_PROPS:
            if p.name not in obj:
                if p.required:
                    raise ValidationError(p.name, "required field is missing")
                continue
            try:
                fields[p.name] = p.field.check(obj[p.name])
            except ValidationError as e:
                raise e.within(p.name) from None
        return cls(
            topic=fields["topic"],
            partition=fields["partition"],
            offset=fields["offset"],
            key=_bytes_of(fields, "key", nullable=True),
            value=_bytes_of(fields, "value", nullable=False) or b"",
            reason=fields["reason"],
            error=fields["error"],
            rejected_at=fields["rejected_at"],
            key_size=fields.get("key_size"),
            value_size=fields.get("value_size"),
        )


def _bytes_of(fields: dict[str, Any], name: str, *, nullable: bool) -> bytes | None:
    text, b64 = fields.get(name), fields.get(f"{name}_b64")
    if (name in fields) == (b64 is not None):
        raise ValidationError(name, f"expected exactly one of {name} and {name}_b64")
    if b64 is not None:
        try:
            return base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise ValidationError(f"{name}_b64", "expected base64 text") from None
    if text is None:
        if not nullable:
            raise ValidationError(name, "expected a string, got null")
        return None
    return str(text).encode("utf-8")


def decode_or_dead_letter(
    family: str,
    raw: bytes | None,
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None = None,
    max_bytes: int = MAX_MESSAGE_BYTES,
    now_ms: int | None = None,
) -> Event | DeadLetter:
    """The event in a consumed message, or the dead letter to write in its place.

    Parameters
    ----------
    family
        ``"postings"``, ``"profiles"`` or ``"interactions"``.
    raw
        The message value (None for a Kafka tombstone, which the contract does not use).
    topic, partition, offset, key
        Where the message was read, and its key, which must be the event's id
        (:func:`schemas.codec.key_of`; reason ``key_mismatch`` otherwise).
    max_bytes
        The largest accepted message.
    now_ms
        The rejection time to record; the wall clock when None.

    Examples
    --------
    >>> out = decode_or_dead_letter("interactions", b'{"v": 3}', topic="jobmatch.interactions",
    ...                             partition=0, offset=7, now_ms=1764230400000)
    >>> out.reason, out.error
    ('unsupported_version', 'v: expected schema version 1, got 3')
    """
    try:
        if raw is None:
            raise ValidationError(
                "",
                "message has no value (a Kafka tombstone); close or deactivate instead",
                reason=BAD_JSON,
            )
        event = parse_event(family, raw, max_bytes=max_bytes)
        _check_key(event, key)
        return event
    except ValidationError as e:
        return DeadLetter(
            topic=topic,
            partition=partition,
            offset=offset,
            key=key,
            value=bytes(raw) if raw is not None else b"",
            reason=e.reason,
            error=str(e),
            rejected_at=now_ms if now_ms is not None else wall_clock_ms(),
        )


def _check_key(event: Event, key: bytes | None) -> None:
    """The Kafka key must be the event's id: the partition it chose is the one that owns the
    seeker (or posting); any other key would apply the event on the wrong worker."""
    expected = key_of(event)
    if key == expected:
        return
    got = "no key" if key is None else _preview(key)
    raise ValidationError(
        "",
        f"Kafka key: expected {expected.decode()!r} (the event's id), got {got}",
        reason=KEY_MISMATCH,
    )


def _preview(data: bytes, limit: int = 40) -> str:
    """A short, printable description of some bytes for an error message."""
    text = repr(data[:limit].decode("utf-8", "replace"))
    return text if len(data) <= limit else f"{text}… ({len(data)} bytes)"
