"""Fixtures for the end-to-end tests: real workers on real Kafka and Redis."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from streams.config import Settings
from streams.producer import EventProducer
from tests.streams.pipeline.worker_process import WorkerProcess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_env(settings: Settings, **extra: object) -> dict[str, str]:
    """The environment that points a worker at the test's topics and keys."""
    env = {
        "JOBMATCH_TOPIC_PREFIX": settings.topic_prefix,
        "JOBMATCH_APP_ID": settings.topic_prefix,  # changelog topics share the prefix
        "JOBMATCH_KEY_PREFIX": settings.key_prefix,
        "JOBMATCH_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
    }
    env.update({f"JOBMATCH_{k.upper()}": str(v) for k, v in extra.items()})
    return env


StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def start_worker(kafka_topics: Settings, tmp_path: Path) -> Iterator[StartWorker]:
    """``start_worker(**settings)`` starts a ready worker; all are stopped at the end."""
    started: list[WorkerProcess] = []

    def start(*, web_port: int | None = None, wait: bool = True, **extra: object) -> WorkerProcess:
        worker = WorkerProcess(
            worker_env(kafka_topics, **extra), web_port=web_port or free_port(), workdir=tmp_path
        ).start()
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def producer(kafka_topics: Settings) -> Iterator[EventProducer]:
    with EventProducer(kafka_topics) as p:
        yield p


@pytest.fixture
def reader(kafka_topics: Settings, redis_worker: redis.Redis) -> Iterator[redis.Redis]:
    """Reads as the portal would (read-only user); the worker fixture cleans the keys."""
    client = redis.Redis.from_url(
        kafka_topics.redis_url_for("jobmatch-portal", kafka_topics.redis_portal_password),
        decode_responses=True,
    )
    yield client
    client.close()
