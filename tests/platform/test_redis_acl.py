"""The real Redis: what each ACL user may and may not do."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from settings import Settings
from tests.conftest import redis_client
from tests.deploy.prometheus_server import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_worker_can_write_under_the_prefix(
    redis_worker: redis.Redis, test_settings: Settings
) -> None:
    key = f"{test_settings.key_prefix}:reco:seeker:{{S1}}"
    redis_worker.zadd(key, {"P1": 2.0, "P2": 1.0})
    redis_worker.hset(f"{key}:meta", mapping={"model_version": 1})
    assert redis_worker.zrevrange(key, 0, -1) == ["P1", "P2"]
    redis_worker.delete(key)
    assert not redis_worker.exists(key)


@pytest.mark.parametrize(
    "command",
    [
        ("SET", "other:key", "1"),
        ("GET", "other:key"),
        ("FLUSHALL",),
        ("CONFIG", "GET", "maxmemory"),
        ("KEYS", "jobmatch:*"),
        ("SCRIPT", "FLUSH"),
        ("SCRIPT", "KILL"),
        ("SCRIPT", "DEBUG", "NO"),
        # Function libraries are server-wide; the worker uses EVALSHA scripts only.
        ("FUNCTION", "FLUSH"),
        ("FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('f', function() return 1 end)"),
        ("FUNCTION", "DELETE", "x"),
        ("FUNCTION", "RESTORE", "x"),
        ("FUNCTION", "KILL"),
        ("FUNCTION", "LIST"),
        ("FCALL", "f", "0"),
        # Other databases, replicas, other clients, client-side caching.
        ("MOVE", "jobmatch:any", "1"),
        ("SWAPDB", "0", "1"),
        ("WAIT", "0", "0"),
        ("FAILOVER",),
        ("CLIENT", "LIST"),
        ("CLIENT", "KILL", "ID", "1"),
        ("CLIENT", "TRACKING", "ON", "BCAST"),
        ("CLIENT", "CACHING", "YES"),
    ],
)
def test_worker_cannot_touch_other_keys_or_admin_commands(
    redis_worker: redis.Redis, command: tuple[str, ...]
) -> None:
    with pytest.raises(redis.exceptions.NoPermissionError):
        redis_worker.execute_command(*command)


def test_worker_loads_and_runs_scripts(redis_worker: redis.Redis, test_settings: Settings) -> None:
    # The writer's path: SCRIPT LOAD once (again after NOSCRIPT), then EVALSHA.
    key = f"{test_settings.key_prefix}:reco:seeker:{{S1}}"
    sha = redis_worker.script_load("return redis.call('SET', KEYS[1], ARGV[1])")
    assert redis_worker.script_exists(sha) == [True]
    assert redis_worker.evalsha(sha, 1, key, "v") == "OK"
    assert redis_worker.get(key) == "v"
    # EVALSHA is held to the same key patterns as any other command.
    with pytest.raises(redis.exceptions.NoPermissionError):
        redis_worker.evalsha(sha, 1, "other:key", "v")


def test_worker_connects_with_the_handshake_redis_py_sends(test_settings: Settings) -> None:
    # HELLO/AUTH, CLIENT SETNAME and CLIENT SETINFO (which redis-py ignores if refused).
    url = test_settings.redis_url_for("jobmatch-worker", test_settings.redis_worker_password)
    client = redis.Redis.from_url(
        url, protocol=3, client_name="jobmatch-acl-test", retry=Retry(NoBackoff(), 0)
    )
    try:
        assert client.ping()
        assert client.client_getname() == b"jobmatch-acl-test"
        assert client.client_id() > 0
    finally:
        client.close()


def test_portal_reads_but_cannot_write(
    redis_worker: redis.Redis, redis_portal: redis.Redis, test_settings: Settings
) -> None:
    key = f"{test_settings.key_prefix}:reco:seeker:{{S1}}"
    redis_worker.zadd(key, {"P1": 2.0, "P2": 1.0})
    assert redis_portal.zrange(key, 0, -1, desc=True) == ["P1", "P2"]
    refused = [
        ("ZADD", key, "3", "P3"),
        ("DEL", key),
        ("FLUSHALL",),
        ("CONFIG", "GET", "maxmemory"),
        ("KEYS", "jobmatch:*"),
        ("EVAL", "return 1", "0"),
    ]
    for command in refused:
        with pytest.raises(redis.exceptions.NoPermissionError):
            redis_portal.execute_command(*command)
    # DEBUG is refused for everyone by the server configuration, before any ACL check.
    with pytest.raises(redis.exceptions.ResponseError, match="DEBUG command not allowed"):
        redis_portal.execute_command("DEBUG", "SLEEP", "0")
    # Nothing changed.
    assert redis_worker.zrange(key, 0, -1, withscores=True) == [("P2", 1.0), ("P1", 2.0)]


def test_default_user_is_refused(test_settings: Settings) -> None:
    url = test_settings.redis_url  # no user, no password
    client = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
    with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)):
        client.get("jobmatch:anything")
    client.close()


def test_wrong_password_is_refused(test_settings: Settings) -> None:
    settings = dataclasses.replace(test_settings, redis_worker_password="wrong")
    client = redis_client(settings, "jobmatch-worker")
    with pytest.raises(redis.exceptions.AuthenticationError):
        client.ping()
    client.close()


def test_nobody_can_authenticate_as_the_default_user(test_settings: Settings) -> None:
    # It keeps every permission for the AOF replay (see users.acl.template), so "off" is
    # what keeps clients out: no password opens it.
    client = redis.Redis.from_url(test_settings.redis_url, retry=Retry(NoBackoff(), 0))
    for password in ("", "nopass", test_settings.redis_worker_password):
        with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)):
            client.execute_command("AUTH", "default", password)
    with pytest.raises((redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)):
        client.get("jobmatch:anything")
    client.close()


def test_lists_written_by_scripts_survive_a_redis_restart(
    test_settings: Settings, tmp_path: Path
) -> None:
    """Redis replays its append-only file as the default user: a script's writes (MULTI/EXEC
    in the file) must come back, not be refused by the ACL on the way in."""
    port = free_port()
    env = {**os.environ, "JOBMATCH_RUN_DIR": str(tmp_path), "JOBMATCH_REDIS_PORT": str(port)}
    start, stop = (str(ROOT / "deploy" / "redis" / f"{a}.sh") for a in ("start", "stop"))
    settings = dataclasses.replace(test_settings, redis_url=f"redis://127.0.0.1:{port}/0")
    key = f"{settings.key_prefix}:reco:seeker:{{S1}}"
    subprocess.run([start], env=env, check=True, timeout=60)
    try:
        worker = redis_client(settings, "jobmatch-worker")
        script = "redis.call('DEL', KEYS[1]) redis.call('ZADD', KEYS[1], 2, 'P1', 1, 'P2') return 1"
        assert worker.eval(script, 1, key) == 1
        worker.close()
        subprocess.run([stop], env=env, check=True, timeout=60)
        subprocess.run([start], env=env, check=True, timeout=60)
        worker = redis_client(settings, "jobmatch-worker")
        assert worker.zrange(key, 0, -1, desc=True) == ["P1", "P2"]
        worker.close()
        log = (tmp_path / "redis" / "redis.log").read_text()
        assert "AOF-loading-client" not in log  # no command of the file was refused
    finally:
        subprocess.run([stop], env=env, check=False, timeout=60)
