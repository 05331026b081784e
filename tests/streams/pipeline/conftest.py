"""Fixtures for the end-to-end tests: real workers on real Kafka and Redis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from client.producer import EventProducer
from settings import Settings
from tests.streams.pipeline.worker_process import WorkerProcess

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def start_worker(kafka_topics: Settings, tmp_path: Path) -> Iterator[StartWorker]:
    """``start_worker(**settings)`` starts a ready worker; all are stopped at the end."""
    started: list[WorkerProcess] = []

    def start(*, web_port: int | None = None, wait: bool = True, **extra: object) -> WorkerProcess:
        # Consumer groups and changelog topics named after the test's topic prefix.
        settings = dataclasses.replace(kafka_topics, app_id=kafka_topics.topic_prefix)
        worker = WorkerProcess(
            settings, tmp_path, web_port=web_port, loglevel="info", **extra
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
