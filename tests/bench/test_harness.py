"""Smoke test of the benchmark harness on tiny sizes: the pieces work and clean up.

Not a benchmark: nothing here asserts a speed. The pipeline test starts a real worker on
real Kafka and Redis (through the harness itself) and checks that a drain is counted, that
the baselines read the topic, that Redis memory is sampled, and that every topic,
consumer group and key of the run is gone afterwards.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import growth, limits, memory, profiling
from bench.events import encoded, interaction_backlog, new_postings, open_market, profile_updates
from bench.harness import BenchEnv
from bench.pipeline import loaded_worker
from bench.results import Report, Section, Target
from client.metrics_reader import Scrape, delta, quantile, share_at_most
from streams.kafka_admin import connect_admin

METRICS = """\
# HELP jobmatch_freshness_seconds Event time to list written.
# TYPE jobmatch_freshness_seconds histogram
jobmatch_freshness_seconds_bucket{kind="profile",le="0.1"} 6.0
jobmatch_freshness_seconds_bucket{kind="profile",le="1.0"} 9.0
jobmatch_freshness_seconds_bucket{kind="profile",le="+Inf"} 10.0
jobmatch_freshness_seconds_count{kind="profile"} 10.0
jobmatch_freshness_seconds_sum{kind="profile"} 3.0
jobmatch_freshness_seconds_bucket{kind="close",le="0.1"} 0.0
jobmatch_freshness_seconds_bucket{kind="close",le="1.0"} 0.0
jobmatch_freshness_seconds_bucket{kind="close",le="+Inf"} 2.0
jobmatch_freshness_seconds_count{kind="close"} 2.0
jobmatch_freshness_seconds_sum{kind="close"} 9.0
"""


def test_histogram_quantiles_over_a_window() -> None:
    later = Scrape.parse(METRICS)
    earlier = Scrape.parse(
        METRICS.replace('le="0.1"} 6.0', 'le="0.1"} 2.0')
        .replace('le="1.0"} 9.0', 'le="1.0"} 5.0')
        .replace('le="+Inf"} 10.0', 'le="+Inf"} 6.0')
    )
    assert later.total("jobmatch_freshness_seconds_count") == 12.0
    name = "jobmatch_freshness_seconds"
    window = delta(later.buckets(name, kind="profile"), earlier.buckets(name, kind="profile"))
    # 4 new observations, all within 0.1 s: the median is inside the first bucket.
    assert window[math.inf] == 4.0
    assert quantile(0.5, window) == pytest.approx(0.05)
    assert share_at_most(1.0, window) == 1.0
    # Observations beyond the last finite bucket report its edge, never infinity.
    assert quantile(0.99, later.buckets(name, kind="close")) == 1.0


def test_a_py_spy_profile_is_sorted_into_parts() -> None:
    raw = (
        "thread (1): MainThread;run (x.py:1);_run_once (a);EpollSelector.select (s) 5\n"
        "thread (1): MainThread;run (x.py:1);ListKeeper.rerank (l);rank_seeker (r) 3\n"
        "thread (2): Thread-1;fetch (f) 7\n"
        "thread (1): MainThread;run (x.py:1);something (y) 2\n"
    )
    result = profiling.breakdown(raw)
    assert result.samples == 10  # the other thread is left out
    assert dict(result.shares) == {
        "idle (waiting in select)": 0.5,
        "re-rank (rank_seeker)": 0.3,
        profiling.OTHER: 0.2,
    }


def test_the_report_has_a_table_per_section_and_the_same_figures_in_json() -> None:
    report = Report("python -m bench.run --quick", True, {"cpus (nproc)": "2"}, "today")
    section = Section("s", "1. Something")
    section.add("rate", 500.0, "events/s", 1000.0, "a baseline")
    section.tables.append(("Grid", ["a", "b"], [["1", "2"]]))
    report.sections.append(section)
    report.targets.append(Target("t", ">= 5,000 events/s", 500.0, "events/s", False, "1."))
    text = report.markdown()
    assert "| rate | 500 events/s | 1,000 events/s (a baseline) | 0.5× |" in text
    assert "| t | >= 5,000 events/s | 500 events/s | **not met** |" in text
    assert "| cpus (nproc) | 2 |" in text
    obj = json.loads(json.dumps(report.to_obj()))
    assert obj["sections"][0]["rows"][0]["ratio"] == 0.5


def test_growth_and_batch_on_a_tiny_market() -> None:
    plan = growth.GrowthPlan(
        postings=(300,), seekers=(100, 200), rerank_sample=20, brute_sample=3, new_postings=6,
        max_new_postings=2, lazy_budget_s=1.0, batch_sample=20, full_batch_max=100,
    )  # fmt: skip
    cells = growth.run(plan)
    assert [(c.postings, c.seekers) for c in cells] == [(300, 100), (300, 200)]
    for cell in cells:
        assert len(cell.rerank_ms) == 20 and all(t > 0 for t in cell.rerank_ms)
        assert 1 <= len(cell.fanout_ms) <= 2
        assert len(cell.fanout_baseline_ms) == len(cell.fanout_ms)
    assert cells[0].batch_full_s is not None and cells[1].batch_full_s is None
    text = growth.growth_section(cells, plan).rows[0].name
    assert "300 postings, 100 seekers" in text
    batch = growth.batch_section(cells, 0.05, 0.5, "a load")
    assert batch.rows[0].baseline == 0.05 and batch.rows[0].value > 12 * 3600


def test_backlogs_are_valid_events_with_distinct_ids() -> None:
    bench = open_market(30, 20, seed=2)
    ix = interaction_backlog(bench, 40, max_days=3)
    known_postings, known_seekers = bench.posting_ids, {p.seeker_id for p in bench.profiles}
    assert ix and all(e.posting_id in known_postings and e.seeker_id in known_seekers for e in ix)
    updates = profile_updates(bench.profiles, 10, tag="a") + profile_updates(
        bench.profiles, 10, tag="b"
    )
    postings = new_postings(bench, 5, tag="a") + new_postings(bench, 5, tag="b")
    for events in (ix, updates, postings):
        assert len({e.event_id for e in events}) == len(events)
    assert len({e.posting_id for e in postings}) == 10
    assert not {e.posting_id for e in postings} & known_postings
    messages = encoded([("profiles", e) for e in updates], opened_after_ms=bench.config.start_ms)
    assert all(
        key == e.seeker_id.encode() for (_, key, _), e in zip(messages, updates, strict=True)
    )


@pytest.mark.integration
@pytest.mark.slow
def test_a_worker_drains_a_backlog_and_everything_is_cleaned_up(tmp_path: Path) -> None:
    with BenchEnv(tmp_path) as env:
        loaded = loaded_worker(env, seekers=30, postings=20, timeout=120)
        assert set(loaded.rss) == {"empty", "postings", "profiles"}
        events = interaction_backlog(loaded.bench, 50, list_source=loaded.list_source)
        messages = encoded([("interactions", e) for e in events], opened_after_ms=0)
        drain = loaded.drain("interactions", messages, timeout=120)
        # Every event was counted (some as duplicates of the twin's repeated impressions).
        assert drain.events == len(events) and drain.rate > 0
        assert drain.mean_processing_ms() is not None
        expect = limits.topic_size(env.settings, "interactions")
        assert expect == len(events)
        assert limits.bare_consumer(env.settings, "interactions", expect, repeats=1).count == expect
        # The pass-through Faust agent reads all but the first message between its clocks.
        assert limits.passthrough(env, "interactions", expect).count == expect - 1
        mem = memory.redis_memory(loaded, 10)
        assert mem.lists > 0 and all(b > 0 for b in mem.list_bytes)
        _, row = memory.memory_section(loaded, mem)
        assert row.value is not None and row.baseline is not None
        prefix = env.prefix
        admin = connect_admin(env.settings)
        try:
            # Faust made its changelog topics under the same prefix: they go too.
            assert any(t.startswith(f"{prefix}-") for t in admin.list_topics())
        finally:
            admin.close()
    assert env.leftovers() == ([], 0)
    admin = connect_admin(env.settings)
    try:
        assert not [g for g in admin.list_groups() if g["group_id"].startswith(prefix)]
    finally:
        admin.close()
