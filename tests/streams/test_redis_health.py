"""Sorting failed Redis writes into reasons, and the rebuild's bookkeeping (pure logic;
the real refusals of a real Redis are in tests/streams/test_redis_faults.py)."""

from __future__ import annotations

import pytest
from redis.exceptions import (
    BusyLoadingError,
    ConnectionError,
    NoPermissionError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from streams import metrics
from streams.redis_health import RedisWriteRefused, WriteHealth, reason_of
from streams.redis_rebuild import Rebuild
from streams.redis_writer import _raise_first_error


def blocked(reason: str) -> float:
    return metrics.REDIS_WRITE_BLOCKED.labels(reason)._value.get()


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (ConnectionError("Connection refused"), "unreachable"),
        (RedisTimeoutError("Timeout reading"), "unreachable"),
        (BusyLoadingError("Redis is loading the dataset in memory"), "unreachable"),
        (OSError(111, "refused"), "unreachable"),
        (OutOfMemoryError("command not allowed when used memory > 'maxmemory'."), "out_of_memory"),
        (
            NoPermissionError("this user has no permissions to access one of the keys"),
            "no_permission",
        ),
        (ReadOnlyError("You can't write against a read only replica."), "read_only"),
        (ResponseError("WRONGTYPE Operation against a key holding the wrong kind"), "other"),
        (RedisWriteRefused("EVALSHA", "k", OutOfMemoryError("x")), "out_of_memory"),
    ],
)
def test_each_failure_has_its_reason(exc: BaseException, reason: str) -> None:
    assert reason_of(exc) == reason


def test_a_pipeline_error_names_the_command_and_key_never_the_data() -> None:
    commands = [
        ("EVALSHA", "sha", 3, "jobmatch:reco:seeker:{S1}", "m", "w", 3600, "P-secret", "0.9"),
        ("UNLINK", "jobmatch:posting:{P2}"),
    ]
    results = [NoPermissionError("this user has no permissions"), 1]
    with pytest.raises(RedisWriteRefused) as raised:
        _raise_first_error(commands, results)
    text = str(raised.value)
    assert text == "EVALSHA jobmatch:reco:seeker:{S1}: this user has no permissions"
    assert "P-secret" not in text


def test_a_forgotten_script_is_raised_as_such_for_a_reload() -> None:
    commands = [("UNLINK", "a"), ("EVALSHA", "sha", 1, "b")]
    with pytest.raises(NoScriptError):
        _raise_first_error(commands, [ResponseError("other"), NoScriptError("NOSCRIPT")])
    _raise_first_error(commands, [1, 0])  # no error: nothing raised


def test_write_health_follows_the_latest_failure_and_clears_on_success() -> None:
    health = WriteHealth()
    assert health.fault is None and blocked("out_of_memory") == 0
    health.failed(ConnectionError("gone"), pending=3)
    assert health.fault is not None and health.fault.reason == "unreachable"
    assert blocked("unreachable") == 1
    refused = RedisWriteRefused("EVALSHA", "jobmatch:reco:seeker:{S1}", OutOfMemoryError("OOM"))
    health.failed(refused, pending=3)
    assert health.fault.reason == "out_of_memory"
    assert (blocked("unreachable"), blocked("out_of_memory")) == (0, 1)
    assert "raise maxmemory" in health.fault.to_obj()["what_to_do"]  # type: ignore[operator]
    health.succeeded()
    assert health.fault is None and blocked("out_of_memory") == 0


def test_a_rebuild_marks_in_chunks_and_waits_for_a_busy_writer() -> None:
    marked: list[int] = []
    rebuild = Rebuild(lambda: [lambda i=i: marked.append(i) for i in range(5)])
    assert not rebuild.active and rebuild.step(writer_pending=0) == 0
    rebuild.start()
    assert (rebuild.active, rebuild.total, rebuild.pending) == (True, 5, 5)
    assert rebuild.step(writer_pending=10_000, chunk=2) == 0  # the writer is behind: wait
    assert rebuild.step(writer_pending=0, chunk=2) == 2 and marked == [0, 1]
    assert rebuild.step(writer_pending=0, chunk=2) == 2
    assert not rebuild.all_marked
    assert rebuild.step(writer_pending=0, chunk=2) == 1 and marked == [0, 1, 2, 3, 4]
    assert rebuild.all_marked and rebuild.to_obj()["keys_left"] == 0
    rebuild.finish()
    assert not rebuild.active and rebuild.to_obj() == {"active": False, "rebuilds": 1}
    assert metrics.REDIS_REBUILD_PENDING._value.get() == 0
