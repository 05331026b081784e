"""Fixtures shared by every test folder.

Integration tests isolate themselves on the shared services: each gets its own topic
prefix (topics created here and deleted afterwards) and its own Redis key prefix under
``jobmatch:`` (keys deleted afterwards), so tests never see each other's data and can run
against a broker that holds a demo's topics.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from settings import Settings
from streams.kafka_admin import connect_admin, ensure_topics
from streams.topics import topic_specs

# The fault suite stops and breaks its services: it runs only under `make faults`, which
# gives it a broker and a Redis of its own (tests/faults/conftest.py checks that).
collect_ignore = [] if os.environ.get("JOBMATCH_FAULT_SUITE") == "1" else ["faults"]


def _unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def test_settings() -> Settings:
    """Settings from the environment with a unique topic prefix and Redis key prefix."""
    tag = _unique()
    return dataclasses.replace(
        Settings.from_env(), topic_prefix=f"test-{tag}", key_prefix=f"jobmatch:test-{tag}"
    )


@pytest.fixture
def kafka_topics(test_settings: Settings) -> Iterator[Settings]:
    """Create the contract's topics under the test prefix; delete them afterwards."""
    admin = connect_admin(test_settings)
    try:
        ensure_topics(test_settings, admin=admin)
        yield test_settings
    finally:
        names = [spec.name for spec in topic_specs(test_settings)]
        # Faust and the workers also create topics (changelogs) under the prefix.
        names += [t for t in admin.list_topics() if t.startswith(test_settings.topic_prefix)]
        try:
            admin.delete_topics(sorted(set(names)))
        finally:
            admin.close()


# The operator's user (deploy/redis/users.acl.template): the worker never has its password,
# so it is not a Settings field; dev.env's default unless the environment sets one.
REDIS_ADMIN_PASSWORD = os.environ.get("JOBMATCH_REDIS_ADMIN_PASSWORD", "dev-admin-secret")


def redis_client(settings: Settings, user: str) -> redis.Redis:
    password = {
        "jobmatch-worker": settings.redis_worker_password,
        "jobmatch-portal": settings.redis_portal_password,
        "jobmatch-admin": REDIS_ADMIN_PASSWORD,
    }[user]
    # No retries: a refused login should fail the test at once, not after back-off.
    return redis.Redis.from_url(
        settings.redis_url_for(user, password), decode_responses=True, retry=Retry(NoBackoff(), 0)
    )


@pytest.fixture
def redis_worker(test_settings: Settings) -> Iterator[redis.Redis]:
    """A client as the worker ACL user; deletes the test's keys afterwards."""
    client = redis_client(test_settings, "jobmatch-worker")
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=f"{test_settings.key_prefix}:*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()


@pytest.fixture
def redis_admin(test_settings: Settings) -> Iterator[redis.Redis]:
    """A client as the operator's admin user, for tests that break Redis on purpose."""
    client = redis_client(test_settings, "jobmatch-admin")
    yield client
    client.close()


@pytest.fixture
def redis_portal(test_settings: Settings) -> Iterator[redis.Redis]:
    """A client as the read-only portal ACL user."""
    client = redis_client(test_settings, "jobmatch-portal")
    yield client
    client.close()
