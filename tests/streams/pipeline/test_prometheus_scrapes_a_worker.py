"""Issue 6: the real Prometheus scrapes a real worker during a short simulation."""

from __future__ import annotations

import time

import pytest

from streams.config import Settings
from streams.producer import EventProducer
from streams.simulator import Market, MarketConfig
from streams.simulator.runner import RedisListSource, run_live
from tests.deploy.prometheus_server import PrometheusServer, prometheus_server  # noqa: F401
from tests.streams.pipeline.conftest import StartWorker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_prometheus_sees_events_freshness_and_the_funnel(
    start_worker: StartWorker,
    kafka_topics: Settings,
    prometheus_server,  # noqa: F811
) -> None:
    worker = start_worker()
    prometheus: PrometheusServer = prometheus_server([f"127.0.0.1:{worker.web_port}"])
    config = MarketConfig(seekers=400, postings=200, start_ms=int(time.time() * 1000))
    with EventProducer(kafka_topics) as producer:
        # A closed loop: sessions read the lists this worker writes.
        run_live(
            Market.generate(config, seed=3),
            producer,
            rate=300,
            duration_s=12,
            list_source=RedisListSource(kafka_topics),
        )

    prometheus.wait_for("rate(jobmatch_events_total[1m]) > 0", timeout=30)
    p99 = prometheus.wait_for(
        "histogram_quantile(0.99, sum by (le) "
        '(rate(jobmatch_freshness_seconds_bucket{kind="profile"}[1m])))',
        timeout=30,
    )
    assert 0 < float(p99[0]["value"][1]) < 60
    applied = prometheus.values('sum(jobmatch_events_total{outcome="applied"})')
    assert applied and applied[0] > 1000
    funnel = prometheus.wait_for(
        'jobmatch_interactions_total{source="reco",action="impression"} > 0', timeout=30
    )
    assert funnel
    assert prometheus.values('up{job="jobmatch"}') == [1.0]
