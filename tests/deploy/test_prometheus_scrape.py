"""The real Prometheus scrapes a real /metrics endpoint serving ``streams.metrics``.

The endpoint is prometheus_client's own HTTP server on a free port, exposing the same
registry a worker serves; a thread plays a busy worker, moving counters and histograms
while the test waits for Prometheus to see them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import start_http_server

from streams import metrics
from tests.deploy.prometheus_server import PrometheusServer, Result

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class BusyWorker:
    """Moves the worker metrics ten times a second until stopped."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="busy-worker", daemon=True)

    def __enter__(self) -> BusyWorker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(0.1):
            tick += 1
            metrics.EVENTS.labels(topic="postings", outcome="applied").inc()
            # posting: 9 of 10 lists written within 30 ms, 1 in 10 after 700 ms, so p99 lies
            # in the (0.5, 1] bucket and p50 in (0.025, 0.05].
            metrics.FRESHNESS.labels(kind="posting").observe(0.7 if tick % 10 == 0 else 0.03)
            # profile: every list written 2 s late, over the 1 s objective.
            metrics.FRESHNESS.labels(kind="profile").observe(2.0)
            metrics.PROCESSING.labels(topic="postings").observe(0.004)


@pytest.fixture
def metrics_endpoint() -> Iterator[str]:
    """``host:port`` of an HTTP server exposing the default registry at /metrics."""
    server, thread = start_http_server(0, addr="127.0.0.1")
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def one_value(result: Result) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_prometheus_scrapes_worker_metrics_and_evaluates_the_rules(
    prometheus_server: Callable[..., PrometheusServer], metrics_endpoint: str
) -> None:
    prometheus = prometheus_server([metrics_endpoint])
    with BusyWorker():
        # The target is scraped and healthy.
        up = prometheus.wait_for('up{job="jobmatch"} == 1')
        assert up[0]["metric"]["instance"] == metrics_endpoint

        # Events per second seen over the HTTP API, labelled as the worker labels them.
        rate = prometheus.wait_for("rate(jobmatch_events_total[1m]) > 0")
        assert {(s["metric"]["topic"], s["metric"]["outcome"]) for s in rate} == {
            ("postings", "applied")
        }

        # Freshness quantiles from the histogram buckets, in the buckets the worker filled.
        # Only once the window holds twenty posting observations, so two are 700 ms ones:
        # the first two scrapes, a second apart, may hold nine 30 ms ones and no other (on a
        # busy machine fewer), and the quantiles of those are not the ones asserted.
        count = "jobmatch_freshness_seconds_count{kind='posting'}"
        prometheus.wait_for(f"max_over_time({count}[1m]) - min_over_time({count}[1m]) >= 20")
        buckets = "sum by (le) (rate(jobmatch_freshness_seconds_bucket{kind='posting'}[1m]))"
        p99 = one_value(prometheus.wait_for(f"histogram_quantile(0.99, {buckets})"))
        assert 0.5 < p99 <= 1.0
        p50 = one_value(prometheus.wait_for(f"histogram_quantile(0.5, {buckets})"))
        assert 0.025 < p50 <= 0.05
        # The query the brief names, over all kinds: a number, not NaN or nothing.
        overall = prometheus.wait_for(
            "histogram_quantile(0.99, sum by (le) (rate(jobmatch_freshness_seconds_bucket[1m])))"
        )
        assert one_value(overall) > 0

        # The recording rules run on the real server: events/s summed over the job.
        assert one_value(prometheus.wait_for("job:jobmatch_events:rate1m > 0")) > 0

        # The freshness alert is pending for the late kind only (firing needs 10 minutes).
        pending = prometheus.wait_for(
            'ALERTS{alertname="JobmatchFreshnessSLOBreached", alertstate="pending"}'
        )
        assert [s["metric"]["kind"] for s in pending] == ["profile"]
