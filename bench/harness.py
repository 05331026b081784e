"""Isolation on the shared services, waits on conditions, progress on stderr.

Every scenario that touches Kafka or Redis runs inside a :class:`BenchEnv`: its own topic
prefix ``bench-<id>`` (the worker's app id is the same string, so Faust's changelog and
assignor topics ``<app_id>-*`` share the prefix) and its own key prefix
``jobmatch:bench-<id>``. Leaving the ``with`` block deletes the topics, the consumer
groups and the keys, also after a failure.
"""

from __future__ import annotations

import dataclasses
import socket
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from settings import Settings
from streams.kafka_admin import connect_admin, ensure_topics

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


def log(message: str) -> None:
    """Progress for the person watching: stderr, so stdout keeps only the figures."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_for(
    condition: Callable[[], T], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll ``condition`` until it returns something truthy; raise after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last = condition()
    while not last:
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})"
            )
        time.sleep(interval)
        last = condition()
    return last


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_client(settings: Settings, *, decode: bool = False) -> redis.Redis:
    """A client as the worker ACL user (read/write on ``jobmatch:*``)."""
    url = settings.redis_url_for("jobmatch-worker", settings.redis_worker_password)
    return redis.Redis.from_url(url, decode_responses=decode, retry=Retry(NoBackoff(), 0))


class BenchEnv:
    """Unique topics, consumer groups and Redis keys for one scenario; removed on exit."""

    def __init__(self, workdir: Path, *, base: Settings | None = None, **overrides: object):
        tag = uuid.uuid4().hex[:10]
        self.prefix = f"bench-{tag}"
        self.settings = dataclasses.replace(
            base or Settings.from_env(),
            topic_prefix=self.prefix,
            app_id=self.prefix,
            key_prefix=f"jobmatch:{self.prefix}",
            **overrides,  # type: ignore[arg-type]
        )
        self.workdir = workdir / self.prefix
        self.cleanups: list[Callable[[], None]] = []

    def __enter__(self) -> BenchEnv:
        self.workdir.mkdir(parents=True, exist_ok=True)
        ensure_topics(self.settings)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as error:  # keep cleaning: one failure must not leak the rest
                log(f"cleanup step failed: {error}")
        self.delete_everything()

    def redis(self, *, decode: bool = False) -> redis.Redis:
        return redis_client(self.settings, decode=decode)

    def delete_everything(self) -> None:
        """Delete the env's topics (changelogs included), consumer groups and keys."""
        admin = connect_admin(self.settings)
        try:
            groups = [g["group_id"] for g in admin.list_groups()]
            mine = [g for g in groups if g.startswith(self.prefix)]
            if mine:
                try:
                    admin.delete_groups(mine)
                except Exception as error:  # a group still closing: it expires by itself
                    log(f"could not delete consumer groups {mine}: {error}")
            topics = [t for t in admin.list_topics() if t.startswith(self.prefix)]
            if topics:
                admin.delete_topics(sorted(topics))
        finally:
            admin.close()
        client = self.redis()
        try:
            batch: list[bytes] = []
            for key in client.scan_iter(match=f"{self.settings.key_prefix}:*", count=5000):
                batch.append(key)
                if len(batch) >= 5000:
                    client.unlink(*batch)
                    batch.clear()
            if batch:
                client.unlink(*batch)
        finally:
            client.close()

    def leftovers(self) -> tuple[list[str], int]:
        """Topics and the number of keys still present under the prefixes (for tests)."""
        admin = connect_admin(self.settings)
        try:
            topics = [t for t in admin.list_topics() if t.startswith(self.prefix)]
        finally:
            admin.close()
        client = self.redis()
        try:
            keys = sum(1 for _ in client.scan_iter(match=f"{self.settings.key_prefix}:*"))
        finally:
            client.close()
        return topics, keys
