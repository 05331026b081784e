"""Redis breaks while events flow: it restarts, loses its data, runs out of memory, or
refuses the worker's ACL user. The worker keeps running throughout.

During each fault /health says what is wrong (ready=false, the reason, what to do);
after it, the worker heals by itself: every event consumed once (applied, a duplicate or
stale version, or dead-lettered), every seeker's list in Redis equal to a fresh
recompute, and every open posting's display hash back.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from settings import Settings
from streams.redis_keys import RedisKeys
from tests.conftest import redis_client
from tests.faults.conftest import service
from tests.faults.load import SteadyStream, accounted, by_family, outcomes
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_recovery_and_scale_out import (
    NO_TRAINING,
    all_done,
    assert_lists_equal_recompute,
    market_events,
)
from tests.streams.pipeline.worker_process import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATE = 200.0  # events per second, before, during and after the fault
FAULT_S = 15.0


def admin(settings: Settings) -> redis.Redis:
    return redis_client(settings, "jobmatch-admin")


def restart(*, keep_data: bool) -> None:
    service("redis", "stop")
    if not keep_data:  # as a Redis without persistence, or on a new disk, would come back
        run = Path(os.environ["JOBMATCH_RUN_DIR"]) / "redis"
        shutil.rmtree(run / "appendonlydir", ignore_errors=True)
        (run / "dump.rdb").unlink(missing_ok=True)
    service("redis", "start")


def restart_from_older_files() -> None:
    """Redis comes back with the data it had seconds ago (a backup restored, the last
    writes of a crash lost, a failover to a lagging replica): the worker's marker is
    behind its last acknowledged write."""
    run = Path(os.environ["JOBMATCH_RUN_DIR"]) / "redis"
    older = run.parent / "redis-older-aof"
    shutil.rmtree(older, ignore_errors=True)
    shutil.copytree(run / "appendonlydir", older)  # an append-only file: a consistent prefix
    time.sleep(5.0)  # the writes Redis will not have: pacing the fault, not a wait
    service("redis", "stop")
    shutil.rmtree(run / "appendonlydir")
    shutil.move(older, run / "appendonlydir")
    service("redis", "start")


@dataclass(frozen=True)
class Fault:
    name: str
    start: Callable[[Settings], None]
    end: Callable[[Settings], None]
    # What /health says while the fault lasts: a fragment of a not_ready reason.
    reported: str | None
    data_lost: bool = False


def _out_of_memory(settings: Settings) -> None:
    admin(settings).config_set("maxmemory", 1)


def _memory_back(settings: Settings) -> None:
    admin(settings).config_set("maxmemory", 0)


def _withdraw_keys(settings: Settings) -> None:
    admin(settings).execute_command("ACL", "SETUSER", "jobmatch-worker", "resetkeys", "~other:*")


def _reload_acl(settings: Settings) -> None:
    admin(settings).execute_command("ACL", "LOAD")


FAULTS = [
    Fault("restart", lambda s: restart(keep_data=True), lambda s: None, None),
    Fault(
        "restart_empty",
        lambda s: restart(keep_data=False),
        lambda s: None,
        None,
        data_lost=True,
    ),
    Fault(
        "restart_older", lambda s: restart_from_older_files(), lambda s: None, None, data_lost=True
    ),
    Fault("flushall", lambda s: admin(s).flushall(), lambda s: None, None, data_lost=True),
    Fault("out_of_memory", _out_of_memory, _memory_back, "out_of_memory"),
    Fault("no_permission", _withdraw_keys, _reload_acl, "no_permission"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_redis_faults_heal(
    fault: Fault, start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    events = market_events(8_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    worker = start_worker(**NO_TRAINING)
    stream = SteadyStream(kafka_topics, events, RATE).start()
    wait_for(lambda: stream.sent >= 2_000, timeout=60, what="2,000 events sent")

    began = time.monotonic()
    fault.start(kafka_topics)
    noticed = None
    if fault.reported is not None:
        health = wait_for(
            lambda: (h := worker.health()) and not h["ready"] and h["redis"]["write_fault"] and h,
            timeout=30,
            what=f"/health reporting {fault.name}",
        )
        noticed = time.monotonic() - began
        assert health["redis"]["write_fault"]["reason"] == fault.reported, health
        assert any(fault.reported in reason for reason in health["not_ready"]), health
        # A refusal that needs an operator pauses consumption: the events wait in Kafka.
        paused = wait_for(
            lambda: (h := worker.health()) and h["consumption"]["paused"] and h,
            timeout=30,
            what="consumption paused",
        )
        assert paused["consumption"]["reason"] == fault.reported, paused
        wait_for(
            lambda: (h := worker.health()) and sum(h["lag"].values()) > RATE and h,
            timeout=30,
            what="events waiting in Kafka while consumption is paused",
        )
        time.sleep(max(0.0, FAULT_S - (time.monotonic() - began)))  # the fault lasting
    fault.end(kafka_topics)
    ended = time.monotonic()

    produced = stream.produced()
    last_acknowledged = time.monotonic()
    if fault.data_lost:
        wait_for(
            lambda: (worker.health() or {}).get("redis", {}).get("rebuild", {}).get("rebuilds"),
            timeout=60,
            what="the worker noticing the data loss",
        )
    wait_for(
        lambda: all_done([worker], n_postings, kafka_topics),
        timeout=240,
        interval=0.5,
        what="healing",
    )
    caught_up = time.monotonic() - last_acknowledged
    health = worker.health() or {}
    assert health["ready"] is True and health["redis"]["write_fault"] is None, health
    assert health["consumption"] == {"paused": False, "reason": None}, health

    assert accounted([worker]) == by_family(produced), outcomes(worker)
    compared = assert_lists_equal_recompute(kafka_topics, reader, produced)
    assert compared > 500
    displays = count_display_hashes(reader, kafka_topics.key_prefix)
    assert displays == health["open_postings"], (displays, health["open_postings"])
    print(
        f"\nredis {fault.name}: produced {len(produced)} events, "
        + (f"noticed by /health in {noticed:.1f} s, " if noticed is not None else "")
        + f"the fault ended {last_acknowledged - ended:.1f} s before the last event was "
        f"acknowledged, caught up {caught_up:.1f} s after it; rebuilds "
        f"{health['redis']['rebuild']['rebuilds']}; outcomes {outcomes(worker)}; "
        f"{compared} lists and {displays} display hashes equal a fresh recompute"
    )


def count_display_hashes(client: redis.Redis, prefix: str) -> int:
    pattern = RedisKeys(prefix).posting_display("*")  # prefix:posting:{*}
    return sum(1 for _ in client.scan_iter(match=pattern, count=1000))
