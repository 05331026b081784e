"""Connecting to Kafka with a clear error, and creating the contract's topics idempotently."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from settings import Settings
from streams.kafka_security import kafka_python_kwargs
from streams.topics import TopicSpec, topic_specs


class KafkaUnreachable(RuntimeError):
    """No broker answered at the configured bootstrap address."""


def unreachable_message(bootstrap: str, security_protocol: str = "PLAINTEXT") -> str:
    message = (
        f"Kafka is not reachable at {bootstrap}: run `make up` first "
        "(or set JOBMATCH_KAFKA_BOOTSTRAP to a running broker)"
    )
    if security_protocol == "PLAINTEXT":
        return message
    # kafka-python reports a refused login or an untrusted certificate as a timeout.
    checks = "JOBMATCH_KAFKA_SSL_CAFILE"
    if security_protocol == "SASL_SSL":
        checks += " and JOBMATCH_KAFKA_SASL_USERNAME / JOBMATCH_KAFKA_SASL_PASSWORD"
    return (
        f"{message}; with {security_protocol}, also check {checks} "
        "(the broker logs a refused login)"
    )


def connect_admin(settings: Settings, *, timeout_s: float = 10.0) -> KafkaAdminClient:
    """An admin client, or :class:`KafkaUnreachable` after ``timeout_s``."""
    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id="jobmatch-admin",
            bootstrap_timeout_ms=int(timeout_s * 1000),
            request_timeout_ms=int(timeout_s * 1000),
            **kafka_python_kwargs(settings),
        )
    except KafkaTimeoutError as exc:
        raise KafkaUnreachable(
            unreachable_message(settings.kafka_bootstrap, settings.kafka_security_protocol)
        ) from exc


@dataclass(frozen=True)
class TopicResult:
    spec: TopicSpec
    created: bool
    partitions: int  # what the broker has now


def _describe_when_ready(
    admin: KafkaAdminClient, names: list[str], *, timeout_s: float = 30.0
) -> dict[str, dict]:  # type: ignore[type-arg]
    """Describe topics, waiting out the moment after creation when the broker still answers
    UNKNOWN_TOPIC_OR_PARTITION (error 3) for a topic it has just accepted."""
    deadline = time.monotonic() + timeout_s
    while True:
        described = {d["name"]: d for d in admin.describe_topics(names)}
        pending = [n for n in names if described.get(n, {}).get("error_code") == 3]
        if not pending or time.monotonic() >= deadline:
            return described
        time.sleep(0.05)


class TopicMismatch(RuntimeError):
    """An existing topic disagrees with the configuration in a way we must not paper over."""


def ensure_topics(
    settings: Settings, *, admin: KafkaAdminClient | None = None
) -> list[TopicResult]:
    """Create every missing topic; check that existing ones have the configured partitions.

    Never changes an existing topic: adding partitions to a keyed topic would move keys
    to other partitions and break co-partitioning, so a mismatch is an error to resolve
    by hand (or with a fresh topic prefix).
    """
    if settings.seeker_partitions < 1 or settings.posting_partitions < 1:
        raise ValueError("partition counts must be at least 1")
    own_admin = admin is None
    admin = admin or connect_admin(settings)
    try:
        specs = topic_specs(settings)
        created: set[str] = set()
        for spec in specs:
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=spec.configs)]
                )
                created.add(spec.name)
            except TopicAlreadyExistsError:
                pass
        described = _describe_when_ready(admin, [s.name for s in specs])
        results: list[TopicResult] = []
        for spec in specs:
            d = described.get(spec.name)
            if d is None or d["error_code"]:
                raise KafkaError(f"topic {spec.name} could not be described: {d}")
            count = len(d["partitions"])
            if count != spec.partitions:
                raise TopicMismatch(
                    f"topic {spec.name} has {count} partitions but {spec.partitions} are "
                    "configured; use a matching JOBMATCH_*_PARTITIONS, or delete the topic "
                    "(data is lost) or choose another JOBMATCH_TOPIC_PREFIX"
                )
            results.append(TopicResult(spec, spec.name in created, count))
        return results
    finally:
        if own_admin:
            admin.close()
