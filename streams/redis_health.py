"""Is Redis taking this worker's writes, and if not, why.

A dropped connection and a refusal look alike to a retry loop, but not to an operator:
Redis restarting heals by itself, while Redis out of memory, a missing ACL permission or
a read-only replica heal only when someone acts. :class:`WriteHealth` sorts each failed
write into one of :data:`REASONS`, keeps the ``jobmatch_redis_write_blocked`` gauge and
``/health`` in step, and logs a fault when it starts, every minute while it lasts and
when it ends, instead of once per retry. The writer keeps retrying every few seconds
(nothing marked is dropped) so that writing resumes by itself once the cause is fixed.

Log lines and ``/health`` name the command and the key that failed, never the data:
a list write carries a seeker's whole list as arguments.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import (
    BusyLoadingError,
    ConnectionError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams import metrics

log = logging.getLogger(__name__)

# Why a write failed; the label values of jobmatch_redis_write_blocked.
REASONS = ("unreachable", "out_of_memory", "no_permission", "read_only", "other")
TRANSIENT = frozenset({"unreachable"})
SERVER_WIDE = frozenset({"unreachable", "out_of_memory", "read_only"})
# What the operator sees in /health's not_ready, and what to do (docs/operations.md).
ADVICE = {
    "unreachable": "Redis does not answer; the worker reconnects by itself",
    "out_of_memory": (
        "Redis is out of memory and refuses writes: raise maxmemory or free memory "
        "(the documented policy is noeviction, so no list is evicted silently); "
        "writing resumes by itself"
    ),
    "no_permission": (
        "Redis refuses the worker's ACL user jobmatch-worker (NOPERM): restore its rules "
        "from deploy/redis/users.acl.template (deploy/redis/start.sh reloads them with "
        "ACL LOAD); writing resumes by itself"
    ),
    "read_only": (
        "Redis is a read-only replica: point JOBMATCH_REDIS_URL at the primary; "
        "writing resumes by itself once it is writable"
    ),
    "other": "Redis refuses writes; see the worker log for the command and the error",
}
LOG_EVERY_S = 60.0


class RedisWriteRefused(RedisError):
    """A command of a write refused by Redis, named without its arguments."""

    def __init__(self, command: str, key: str, cause: RedisError) -> None:
        first_line = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        super().__init__(f"{command} {key}: {first_line[:200]}")
        self.command = command
        self.key = key
        self.cause = cause


def reason_of(exc: BaseException) -> str:
    """Which of :data:`REASONS` ``exc`` (from a write) stands for."""
    if isinstance(exc, RedisWriteRefused):
        exc = exc.cause
    if isinstance(exc, OutOfMemoryError):
        return "out_of_memory"
    if isinstance(exc, NoPermissionError):
        return "no_permission"
    if isinstance(exc, ReadOnlyError):
        return "read_only"
    if isinstance(
        exc, ConnectionError | RedisTimeoutError | BusyLoadingError | OSError | TimeoutError
    ):
        return "unreachable"
    return "other"


@dataclass(frozen=True)
class WriteFault:
    reason: str
    error: str  # command, key and Redis's message; never the command's data
    since: float  # time.time()

    @property
    def advice(self) -> str:
        return ADVICE[self.reason]

    def to_obj(self) -> dict[str, object]:
        return {
            "reason": self.reason,
            "error": self.error,
            "for_seconds": round(time.time() - self.since, 1),
            "what_to_do": self.advice,
        }


class WriteHealth:
    """The state of the writer's last round trip: ``fault`` is None while writes succeed."""

    def __init__(self) -> None:
        self.fault: WriteFault | None = None
        self._logged_at = 0.0
        for reason in REASONS:
            metrics.REDIS_WRITE_BLOCKED.labels(reason).set(0)

    def failed(self, exc: BaseException, *, pending: int) -> None:
        reason = reason_of(exc)
        error = str(exc) if isinstance(exc, RedisWriteRefused) else _connection_error(exc)
        previous = self.fault
        if previous is None or previous.reason != reason:
            if previous is not None:
                metrics.REDIS_WRITE_BLOCKED.labels(previous.reason).set(0)
            self.fault = WriteFault(reason, error, time.time())
            metrics.REDIS_WRITE_BLOCKED.labels(reason).set(1)
            self._logged_at = 0.0
        metrics.REDIS_WRITE_ERRORS.labels(reason).inc()
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            self._logged_at = now
            level = logging.WARNING if reason in TRANSIENT else logging.ERROR
            log.log(
                level,
                "Redis writes failing (%s) for %.0f s, %d marks kept for a retry: %s. %s",
                reason,
                time.time() - self.fault.since,  # type: ignore[union-attr]
                pending,
                error,
                ADVICE[reason],
            )

    def server_takes_writes(self) -> None:
        """A write unrelated to the failed ones succeeded: clear a fault of the whole
        server (unreachable, out of memory, read-only), not one that may concern only
        some keys (a permission), which only the writer's own retry can clear."""
        if self.fault is not None and self.fault.reason in SERVER_WIDE:
            self.succeeded()

    def succeeded(self) -> None:
        if self.fault is None:
            return
        log.warning(
            "Redis takes writes again after %.0f s (%s)",
            time.time() - self.fault.since,
            self.fault.reason,
        )
        metrics.REDIS_WRITE_BLOCKED.labels(self.fault.reason).set(0)
        self.fault = None


def _connection_error(exc: BaseException) -> str:
    # Connection errors carry host and port, no command data.
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


@dataclass(frozen=True)
class RedisStatus:
    """What ``/health`` says about Redis, read when it is asked."""

    reachable: bool
    used_memory: int = 0
    maxmemory: int = 0  # 0: no limit
    maxmemory_policy: str = ""
    error: str | None = None

    def to_obj(self) -> dict[str, object]:
        obj: dict[str, object] = {"reachable": self.reachable}
        if self.reachable:
            obj |= {
                "used_memory_bytes": self.used_memory,
                "maxmemory_bytes": self.maxmemory,
                "maxmemory_policy": self.maxmemory_policy,
            }
            if self.maxmemory_policy != "noeviction":
                obj["warning"] = (
                    f"maxmemory-policy is {self.maxmemory_policy}: Redis may evict lists "
                    "when memory runs out; set noeviction (deploy/redis/redis.conf)"
                )
        if self.error:
            obj["error"] = self.error
        return obj


PROBE_TIMEOUT_S = 2.0


async def probe_redis(client: aioredis.Redis) -> RedisStatus:
    """INFO memory (a round trip, so also a ping), within :data:`PROBE_TIMEOUT_S`."""
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            info = await client.info("memory")
    except (RedisError, OSError, TimeoutError) as exc:
        return RedisStatus(reachable=False, error=_connection_error(exc))
    policy = info.get("maxmemory_policy", b"")
    return RedisStatus(
        reachable=True,
        used_memory=int(info.get("used_memory", 0)),
        maxmemory=int(info.get("maxmemory", 0)),
        maxmemory_policy=policy.decode() if isinstance(policy, bytes) else str(policy),
    )
