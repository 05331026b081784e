"""Issue 6: the real Prometheus scrapes a real worker during a short simulation."""

from __future__ import annotations

import math
import time

import pytest

from client.producer import EventProducer
from settings import Settings
from simulator import Market, MarketConfig
from simulator.runner import RedisListSource, run_live
from tests.deploy.prometheus_server import (  # noqa: F401
    PrometheusServer,
    Result,
    prometheus_server,
)
from tests.streams.pipeline.conftest import StartWorker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
# Prometheus scrapes every second, a worker on a busy machine may lag the events by many
# seconds: each figure is waited for, never read once (a bound, not a speed target).
WAIT_S = 60.0


def a_number(result: Result) -> bool:
    """One sample that is a number: a quantile of buckets that did not move yet is NaN."""
    return len(result) == 1 and not math.isnan(float(result[0]["value"][1]))


def test_prometheus_sees_events_freshness_and_the_funnel(
    start_worker: StartWorker,
    kafka_topics: Settings,
    prometheus_server,  # noqa: F811
) -> None:
    worker = start_worker()
    prometheus: PrometheusServer = prometheus_server([f"127.0.0.1:{worker.web_port}"])
    config = MarketConfig(seekers=400, postings=200, start_ms=int(time.time() * 1000))
    with EventProducer(kafka_topics) as producer:
        # A closed loop: sessions read the lists this worker writes. 12 s at 300 events/s,
        # counted in events, not seconds: a slow machine sends them all, only later.
        run_live(
            Market.generate(config, seed=3),
            producer,
            rate=300,
            max_events=3600,
            list_source=RedisListSource(kafka_topics),
        )

    prometheus.wait_for("rate(jobmatch_events_total[1m]) > 0", timeout=WAIT_S)
    p99 = prometheus.wait_for(
        "histogram_quantile(0.99, sum by (le) "
        '(rate(jobmatch_freshness_seconds_bucket{kind="profile"}[1m])))',
        until=a_number,
        timeout=WAIT_S,
    )
    assert 0 < float(p99[0]["value"][1]) < 60
    # The worker counts as it goes and Prometheus scrapes once a second: wait for the count.
    applied = [
        float(sample["value"][1])
        for sample in prometheus.wait_for(
            'sum(jobmatch_events_total{outcome="applied"})',
            until=lambda r: bool(r) and float(r[0]["value"][1]) > 1000,
            timeout=WAIT_S,
        )
    ]
    assert applied and applied[0] > 1000
    funnel = prometheus.wait_for(
        'jobmatch_interactions_total{source="reco",action="impression"} > 0', timeout=WAIT_S
    )
    assert funnel
    # up is the last scrape's: one slower than the 1 s scrape timeout says 0 for a second.
    up = prometheus.wait_for(
        'up{job="jobmatch"}',
        until=lambda r: [float(s["value"][1]) for s in r] == [1.0],
        timeout=WAIT_S,
    )
    assert [float(s["value"][1]) for s in up] == [1.0]
