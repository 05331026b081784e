"""The broker stops for 20 s while events flow, and comes back; the worker keeps running.

While the broker is away, /health says so (ready=false, kafka_reachable=false, the reason);
afterwards the worker heals by itself: every event the broker acknowledged is consumed
exactly once (applied, or counted as a duplicate/stale version, or dead-lettered) and every
seeker's list in Redis equals a fresh recompute from the event log.
"""

from __future__ import annotations

import time

import pytest
import redis

from settings import Settings
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

OUTAGE_S = 20.0
RATE = 200.0  # events per second, before, during and after the outage


def test_a_20_s_broker_outage_heals_by_itself(
    start_worker: StartWorker, kafka_topics: Settings, reader: redis.Redis
) -> None:
    events = market_events(12_000)
    n_postings = sum(1 for family, _ in events if family == "postings")
    worker = start_worker(**NO_TRAINING)
    stream = SteadyStream(kafka_topics, events, RATE).start()
    wait_for(lambda: stream.sent >= 1_000, timeout=60, what="1,000 events sent")

    service("kafka", "stop")
    stopped = time.monotonic()
    health = wait_for(
        lambda: (h := worker.health()) and h.get("kafka_reachable") is False and h,
        timeout=30,
        what="/health reporting Kafka unreachable",
    )
    noticed = time.monotonic() - stopped
    assert health["ready"] is False
    assert any("Kafka did not answer" in reason for reason in health["not_ready"]), health
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))  # the outage itself
    sent_during = stream.sent
    service("kafka", "start")
    restarted = time.monotonic()

    produced = stream.produced()
    wait_for(
        lambda: all_done([worker], n_postings, kafka_topics),
        timeout=240,
        interval=0.5,
        what="catch-up",
    )
    healed = time.monotonic() - restarted
    assert worker.health()["ready"] is True  # type: ignore[index]

    # Every acknowledged event consumed once: the outcomes add up to what was produced.
    assert accounted([worker]) == by_family(produced), outcomes(worker)
    compared = assert_lists_equal_recompute(kafka_topics, reader, produced)
    assert compared > 500
    print(
        f"\nbroker outage {OUTAGE_S:.0f} s: produced {len(produced)} events "
        f"({sent_during} sent before the restart), noticed by /health in {noticed:.1f} s, "
        f"healed {healed:.1f} s after the restart; outcomes {outcomes(worker)}; "
        f"{compared} lists equal a fresh recompute"
    )
