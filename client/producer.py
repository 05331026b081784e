"""Publish contract events to Kafka: validated first, keyed per the contract, acks=all.

The job site's side of the contract, on kafka-python 3::

    with EventProducer() as producer:
        producer.send_posting({"posting_id": "P100", ...})
        producer.send_interaction({"seeker_id": "S42", "posting_id": "P100", ...})

Every send validates the event exactly as the workers will (``schemas``): an invalid event
raises :class:`schemas.errors.ValidationError` naming the field, and nothing is sent.
Sends are asynchronous; each returns kafka-python's future (``.get(timeout)`` waits for
the broker's acknowledgement) and :meth:`EventProducer.flush` waits for all of them.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError
from kafka.producer.future import FutureRecordMetadata

from schemas import (
    FAMILIES,
    Event,
    ValidationError,
    event_from_obj,
    family_of,
    interaction_from_obj,
    key_of,
    parse_event,
    posting_from_obj,
    profile_from_obj,
    to_obj,
)
from schemas.errors import OVERSIZED
from schemas.interactions import Interaction
from schemas.postings import Posting, PostingEvent
from schemas.profiles import Profile, ProfileEvent
from settings import Settings
from streams.kafka_admin import KafkaUnreachable, unreachable_message
from streams.kafka_security import kafka_python_kwargs

# Bounded waits, so that a missing broker or topic surfaces as an error within seconds.
DEFAULT_TIMEOUT_MS = 10_000


class TopicUnavailable(KafkaUnreachable):
    """The broker did not serve a topic's metadata in time (missing topic or broker down)."""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _new_event_id() -> str:
    return uuid.uuid4().hex


class EventProducer:
    """Validate, key and send postings, profiles and interactions.

    ``settings`` defaults to :meth:`Settings.from_env`; topic names come from
    ``settings.topic(...)`` and the size limit from ``settings.max_message_bytes``.
    ``producer_overrides`` go to :class:`kafka.KafkaProducer` as they are (for example
    ``linger_ms=50`` or ``bootstrap_timeout_ms=2000``).

    Raises :class:`~streams.kafka_admin.KafkaUnreachable` when no broker answers within
    ``bootstrap_timeout_ms`` (10 s by default).
    """

    def __init__(self, settings: Settings | None = None, **producer_overrides: Any) -> None:
        self.settings = settings or Settings.from_env()
        config: dict[str, Any] = {
            "bootstrap_servers": self.settings.kafka_bootstrap,
            "client_id": "jobmatch-producer",
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 5,
            "bootstrap_timeout_ms": DEFAULT_TIMEOUT_MS,
            "max_block_ms": DEFAULT_TIMEOUT_MS,
            # An auto-created topic would get the broker's defaults (one partition, no
            # compaction) and break co-partitioning; topics come from `jobmatch topics`.
            "allow_auto_create_topics": False,
            # TLS and the SASL login of JOBMATCH_KAFKA_SECURITY_PROTOCOL (none for PLAINTEXT).
            **kafka_python_kwargs(self.settings),
        }
        config.update(producer_overrides)
        self._max_block_ms = int(config["max_block_ms"])
        try:
            self._producer = KafkaProducer(**config)
        except KafkaTimeoutError as exc:
            raise KafkaUnreachable(
                unreachable_message(
                    self.settings.kafka_bootstrap, self.settings.kafka_security_protocol
                )
            ) from exc
        _forward_auto_create(self._producer, bool(config["allow_auto_create_topics"]))
        self._closed = False

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        # On the way out of an error, do not wait forever for a broker that may be gone.
        self.close(timeout=None if exc_type is None else DEFAULT_TIMEOUT_MS / 1000)

    # ------------------------------------------------------------------ postings
    def send_posting(
        self,
        posting: Posting | dict[str, Any],
        *,
        event_id: str | None = None,
        ts: int | None = None,
    ) -> FutureRecordMetadata:
        """Publish a new or changed posting (``op: upsert``), keyed by ``posting_id``."""
        checked = _payload(posting, Posting, posting_from_obj, "posting")
        event = PostingEvent(
            _or_new_id(event_id), _or_now(ts), "upsert", checked.posting_id, checked
        )
        return self.send_event("postings", event)

    def close_posting(
        self, posting_id: str, *, event_id: str | None = None, ts: int | None = None
    ) -> FutureRecordMetadata:
        """Publish that a posting closed (``op: close``): it leaves every list."""
        event = PostingEvent(_or_new_id(event_id), _or_now(ts), "close", posting_id)
        return self.send_event("postings", event)

    # ------------------------------------------------------------------ profiles
    def send_profile(
        self,
        profile: Profile | dict[str, Any],
        *,
        event_id: str | None = None,
        ts: int | None = None,
    ) -> FutureRecordMetadata:
        """Publish a new or changed seeker profile (``op: upsert``), keyed by ``seeker_id``."""
        checked = _payload(profile, Profile, profile_from_obj, "profile")
        event = ProfileEvent(
            _or_new_id(event_id), _or_now(ts), "upsert", checked.seeker_id, checked
        )
        return self.send_event("profiles", event)

    def deactivate_profile(
        self, seeker_id: str, *, event_id: str | None = None, ts: int | None = None
    ) -> FutureRecordMetadata:
        """Publish that a seeker left (``op: deactivate``): their list is dropped."""
        event = ProfileEvent(_or_new_id(event_id), _or_now(ts), "deactivate", seeker_id)
        return self.send_event("profiles", event)

    # ------------------------------------------------------------------ interactions
    def send_interaction(self, interaction: Interaction | dict[str, Any]) -> FutureRecordMetadata:
        """Publish what a seeker did, keyed by ``seeker_id``.

        A dict may leave out ``v``, ``event_id`` and ``ts``: they default to 1, a fresh
        id and now.
        """
        if isinstance(interaction, dict):
            defaults = {"v": 1, "event_id": _new_event_id(), "ts": _now_ms()}
            interaction = interaction_from_obj({**defaults, **interaction})
        return self.send_event("interactions", interaction)

    # ------------------------------------------------------------------ any event
    def send_event(self, family: str, event: Event) -> FutureRecordMetadata:
        """Validate an event dataclass of ``family`` and publish it."""
        if family not in FAMILIES:
            raise ValueError(f"unknown event family {family!r}; use one of {FAMILIES}")
        if not isinstance(event, PostingEvent | ProfileEvent | Interaction):
            raise TypeError(f"expected an event dataclass, got {type(event).__name__}")
        if family_of(event) != family:
            raise ValueError(
                f"a {type(event).__name__} belongs to {family_of(event)!r}, not {family!r}"
            )
        _check_ids_agree(event)
        obj = _encodable(event)
        checked = event_from_obj(family, obj)
        try:
            raw = orjson.dumps(obj)
        except orjson.JSONEncodeError as exc:  # e.g. a lone surrogate in a str
            raise ValidationError("", f"cannot be written as UTF-8 JSON: {exc}") from None
        self._check_size(raw)
        return self._send(family, key_of(checked), raw)

    def send_raw(self, family: str, raw: bytes) -> FutureRecordMetadata:
        """Validate a message value and publish its bytes unchanged, keyed by its id."""
        event = parse_event(family, raw, max_bytes=self.settings.max_message_bytes)
        return self._send(family, key_of(event), bytes(raw))

    # ------------------------------------------------------------------ lifecycle
    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record sent so far is acknowledged or failed."""
        try:
            self._producer.flush(timeout=timeout)
        except KafkaTimeoutError as exc:
            raise KafkaUnreachable(
                f"records were not acknowledged within {timeout} s by Kafka at "
                f"{self.settings.kafka_bootstrap}: is the broker still running? (`make status`)"
            ) from exc

    def close(self, timeout: float | None = None) -> None:
        """Flush and release the connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._producer.close(timeout=timeout)

    # ------------------------------------------------------------------ internals
    def _check_size(self, raw: bytes) -> None:
        limit = self.settings.max_message_bytes
        if len(raw) > limit:
            raise ValidationError(
                "",
                f"message is {len(raw)} bytes, over the limit of {limit} bytes",
                reason=OVERSIZED,
            )

    def _send(self, family: str, key: bytes, raw: bytes) -> FutureRecordMetadata:
        topic = self.settings.topic(family)
        try:
            future: FutureRecordMetadata = self._producer.send(topic, value=raw, key=key)
        except KafkaTimeoutError as exc:
            raise TopicUnavailable(
                f"topic {topic} is not available at {self.settings.kafka_bootstrap} after "
                f"{self._max_block_ms / 1000:g} s: create the topics with `jobmatch topics` "
                "(and check that Kafka runs: `make status`)"
            ) from exc
        return future


def _forward_auto_create(producer: KafkaProducer, allow: bool) -> None:
    # kafka-python 3.0.12 does not pass allow_auto_create_topics on to the cluster
    # metadata that builds the metadata requests, so the broker auto-creates a missing
    # topic with its defaults (checked against Kafka 4.1). Set it where it is read.
    metadata = getattr(producer, "_metadata", None)
    config = getattr(metadata, "config", None)
    if isinstance(config, dict) and "allow_auto_create_topics" in config:
        config["allow_auto_create_topics"] = allow


def _or_new_id(event_id: str | None) -> str:
    return event_id if event_id is not None else _new_event_id()


def _or_now(ts: int | None) -> int:
    return ts if ts is not None else _now_ms()


def _payload(value: Any, cls: type[Any], from_obj: Any, name: str) -> Any:
    """A checked posting or profile from a dataclass or a dict; errors name ``name.field``."""
    try:
        if isinstance(value, cls):
            return from_obj(_encodable(value))
        return from_obj(value)
    except ValidationError as e:
        raise e.within(name) from None


def _encodable(value: Any) -> dict[str, Any]:
    """``to_obj(value)``, turning a dataclass that cannot even be encoded into a ValidationError."""
    try:
        return to_obj(value)
    except ValidationError:
        raise
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValidationError(
            "", f"cannot be written as contract JSON ({exc}); build it from the schemas types"
        ) from None


def _check_ids_agree(event: Event) -> None:
    # The envelope id is the Kafka key; the body's id is what workers store. They must match.
    body_id = None
    if isinstance(event, PostingEvent) and event.op == "upsert" and event.posting is not None:
        path, envelope_id, body_id = (
            "posting.posting_id",
            event.posting_id,
            event.posting.posting_id,
        )
    elif isinstance(event, ProfileEvent) and event.op == "upsert" and event.profile is not None:
        path, envelope_id, body_id = "profile.seeker_id", event.seeker_id, event.profile.seeker_id
    if body_id is not None and body_id != envelope_id:
        raise ValidationError(path, f"expected the event's id {envelope_id!r}, got {body_id!r}")
