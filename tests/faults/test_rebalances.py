"""Rebalances while events flow: a worker joins, another leaves on SIGTERM, and one of two
is killed with SIGKILL. The group never freezes, a clean hand-over redelivers nothing, a
kill redelivers only what was not committed (and state-changing events are de-duplicated
by event id), and the lists end equal to a fresh recompute.
"""

from __future__ import annotations

import time

import pytest
import redis

from settings import Settings
from tests.faults.load import SteadyStream, outcomes
from tests.streams.pipeline.conftest import StartWorker
from tests.streams.pipeline.test_recovery_and_scale_out import (
    NO_TRAINING,
    all_done,
    assert_lists_equal_recompute,
    market_events,
)
from tests.streams.pipeline.worker_process import WorkerProcess, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RATE = 300.0


def owned_partitions(worker: WorkerProcess) -> int:
    return int((worker.health() or {}).get("partitions", {}).get("interactions", 0))


def owns_seekers(worker: WorkerProcess) -> bool:
    return (worker.health() or {}).get("seekers_owned", 0) > 0


def sigterm(worker: WorkerProcess, within_s: float = 10.0) -> float:
    """Stop ``worker`` with SIGTERM; fails unless it exits within ``within_s``."""
    assert worker.proc is not None
    started = time.monotonic()
    worker.proc.terminate()
    worker.proc.wait(timeout=within_s)
    assert worker.proc.returncode == 0, worker.log_path.read_text()[-3000:]
    return time.monotonic() - started


def test_a_worker_joins_and_another_leaves_while_events_flow(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    events = market_events(12_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    first = start_worker(**NO_TRAINING)
    stream = SteadyStream(kafka_topics, events, RATE).start()
    wait_for(lambda: stream.sent >= 2_000, timeout=60, what="2,000 events sent")

    joined = time.monotonic()
    second = start_worker(**NO_TRAINING)
    wait_for(lambda: owns_seekers(second), timeout=60, what="the new worker owning seekers")
    join_s = time.monotonic() - joined
    wait_for(lambda: stream.sent >= 6_000, timeout=60, what="6,000 events sent")
    leave_s = sigterm(first)

    produced = stream.produced()
    wait_for(
        lambda: all_done([second], n_postings, kafka_topics),
        timeout=240,
        interval=0.5,
        what="catch-up",
    )
    counts = outcomes(second)
    compared = assert_lists_equal_recompute(kafka_topics, reader, produced)
    # A clean hand-over commits before it lets go: nothing is redelivered to the new owner.
    assert counts["profiles"]["duplicate"] == counts["interactions"]["duplicate"] == 0, counts
    assert compared > 500
    print(
        f"\njoin: the new worker owned seekers {join_s:.1f} s after it started; leave: SIGTERM "
        f"stopped the old one in {leave_s:.1f} s; {len(produced)} events produced; "
        f"the remaining worker's outcomes {counts}; {compared} lists equal a fresh recompute"
    )


def test_kill_9_of_one_of_two_workers_while_events_flow(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    events = market_events(12_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    survivor = start_worker(**NO_TRAINING)
    victim = start_worker(**NO_TRAINING)
    wait_for(
        lambda: all(owned_partitions(w) > 0 for w in (survivor, victim)),
        timeout=60,
        what="both workers owning partitions",
    )
    stream = SteadyStream(kafka_topics, events, RATE).start()
    wait_for(lambda: stream.sent >= 4_000, timeout=60, what="4,000 events sent")
    victim.kill()
    killed = time.monotonic()
    wait_for(
        lambda: owned_partitions(survivor) == kafka_topics.seeker_partitions,
        timeout=60,
        what="the survivor owning every seeker partition",
    )
    takeover_s = time.monotonic() - killed

    produced = stream.produced()
    wait_for(
        lambda: all_done([survivor], n_postings, kafka_topics),
        timeout=240,
        interval=0.5,
        what="catch-up",
    )
    compared = assert_lists_equal_recompute(kafka_topics, reader, produced)
    assert compared > 500
    print(
        f"\nkill -9: the survivor took over in {takeover_s:.1f} s (the session timeout is "
        f"10 s); {len(produced)} events produced; its outcomes {outcomes(survivor)} (events "
        f"after the victim's last commit are redelivered: state-changing ones count as "
        f"duplicates and change nothing); {compared} lists equal a fresh recompute"
    )
