"""The national section's keys, baselines and verdicts, from a run's data (no services)."""

from __future__ import annotations

from typing import Any

from bench.national import NationalPlan, NationalRun, targets_and_section

KEYS = (
    "national_mix_max_events_per_s",
    "national_mix_p99_freshness_s",
    "midnight_burst_p99_freshness_s",
    "midnight_burst_shortest_list",
    "interactions_events_per_s",
    "interactions_vs_passthrough",
    "close_p99_ms",
    "new_posting_p99_ms",
    "new_posting_max_loop_stall_ms",
    "worker_bytes_per_seeker",
    "worker_bytes_per_posting",
    "restart_rebuild_s",
    "two_workers_vs_one",
)


def _plan() -> NationalPlan:
    return NationalPlan(
        seekers=100, postings=200, engine_seekers=100, engine_postings=200, engine_samples=10,
        probe_events=100, ramp_window_s=1.0, ramp_steps=2, window_s=1.0, warmup_s=0.0,
        interactions=10,
    )  # fmt: skip


def _data(max_rate: float, close_p99_ms: float) -> dict[str, Any]:
    fresh = {"p50": 0.1, "p99": 0.4, "sent_rate": 1000.0, "lag_at_end": 0, "drain_after_s": 0.5}
    return {
        "load_seconds": {"postings": 2.0, "profiles": 30.0},
        "max": {"rate": max_rate, "backlog_rate": 900.0, "ramp": []},
        "mixed_max": {"rate": 300.0, "backlog_rate": 250.0, "ramp": []},
        "mix_sent": {"impression": 900, "click": 50, "new_posting": 20},
        "freshness": {
            "trickle": {"p50": 0.05, "p99": 0.2},
            "target": {**fresh, "by_kind": {"close": {"p99": 0.3}}},
        },
        "burst": {
            "closes": 48, "closes_sent": 48, "mix_rate": 500.0, "sent_rate": 510.0,
            "idle_after_s": 1.0, "refilled_after_s": 3.0, "close_p50_s": 0.5,
            "close_p99_s": 2.0, "all_p99_s": 1.5, "lists_at_target_before": 80,
            "after_idle": {"min": 104, "below_target": 3},
            "after_backfill": {"min": 118, "below_target": 0}, "lists_emptied": 0,
        },
        "interactions": {
            "events": 10, "drain_s": 1.0, "rerank_wait_s": 1.0, "reranks_left_at_drain": 2,
            "events_per_s": 2000.0, "events_per_s_without_reranks": 4000.0,
            "passthrough_per_s": 5000.0, "passthrough_messages": 10, "actions": {"click": 10},
        },
        "memory": {
            "rss": {"empty": 100 * 2**20, "postings": 110 * 2**20, "profiles": 120 * 2**20},
            "bytes_per_seeker": 30_000.0, "bytes_per_posting": 5_000.0,
            "json_per_seeker": 600.0, "json_per_posting": 1_200.0,
        },
        "restart": {"seekers": 100, "ready_s": 5.0, "rebuild_s": 40.0},
        "two_workers": {"rate": 3000.0, "one_worker": max_rate, "ratio": 3000.0 / max_rate,
                        "seekers_owned": [50, 50], "ramp": []},
        "engine": {
            "seekers": 100, "postings": 200, "build_s": 1.0, "rank_s": 1.0,
            "close_p50_ms": 5.0, "close_p99_ms": close_p99_ms, "close_engine_p99_ms": 4.0,
            "close_holders_p50": 12.0, "close_baseline_p99_ms": 80.0, "new_p50_ms": 20.0,
            "new_p99_ms": 60.0, "new_engine_p99_ms": 50.0, "new_candidates_p50": 40.0,
            "new_baseline_p99_ms": 400.0, "stall_max_ms": 55.0, "stall_p99_ms": 50.0,
            "rerank_p50_ms": 3.0, "samples": 10,
        },
    }  # fmt: skip


def test_every_key_is_reported_with_target_and_verdict() -> None:
    targets, section = targets_and_section(NationalRun(_plan(), _data(2500.0, 8.0)), command="x")
    assert [t.name.strip("`") for t in targets] == list(KEYS)
    keys = section.data["keys"]
    assert list(keys) == list(KEYS)
    # Met and missed as the figures say; memory per posting has no target.
    assert keys["national_mix_max_events_per_s"]["met"] is True
    assert keys["close_p99_ms"]["met"] is True
    assert keys["new_posting_p99_ms"]["met"] is False
    assert keys["worker_bytes_per_seeker"]["met"] is False
    assert keys["midnight_burst_shortest_list"]["met"] is False  # 104 < 110
    assert keys["worker_bytes_per_posting"]["met"] is None
    assert keys["two_workers_vs_one"]["value"] == 3000.0 / 2500.0
    assert keys["interactions_vs_passthrough"]["value"] == 2000.0 / 5000.0


def test_baselines_are_the_runs_own() -> None:
    _, section = targets_and_section(NationalRun(_plan(), _data(1500.0, 12.0)), command="x")
    keys = section.data["keys"]
    assert keys["national_mix_max_events_per_s"]["baseline"] == 300.0  # today's mixed stream
    assert keys["national_mix_max_events_per_s"]["met"] is False
    assert keys["close_p99_ms"]["met"] is False
    assert keys["restart_rebuild_s"]["baseline"] == 30.0  # the first load of the profiles
    # Every row has its baseline in the table, or none where the figure is itself a ratio.
    for row in section.rows:
        assert row.baseline_name or row.unit == "x"


def test_merge_replaces_only_the_sections_this_run_measured() -> None:
    from bench.results import Report, Section, Target

    old_national = Section("national", "7. The national mix (issue 14)")
    limits = "1. Limits of the machine"
    earlier = Report("python -m bench.run", False, {"cpu": "x"}, "2026-12-01 10:00 UTC")
    earlier.sections = [Section("limits", limits), old_national]
    earlier.targets = [
        Target("interaction events per worker", ">= 5,000", 1.0, "events/s", False, limits),
        Target("`close_p99_ms`", "<= 10 ms", 99.0, "ms", False, old_national.title),
    ]
    targets, section = targets_and_section(NationalRun(_plan(), _data(2500.0, 8.0)), command="x")
    now = Report("python -m bench.run --only national --merge", True, {}, "2026-12-07 13:00 UTC")
    now.targets, now.sections = targets, [section]
    # Through results.json and back, as `--merge` reads it.
    merged = now.merged_into(Report.from_obj(earlier.to_obj()))
    assert [s.key for s in merged.sections] == ["limits", "national"]
    assert merged.sections[1].data["keys"]["close_p99_ms"]["value"] == 8.0  # this run's
    assert [t.name for t in merged.targets][:1] == ["interaction events per worker"]
    assert sum(t.name == "`close_p99_ms`" for t in merged.targets) == 1
    assert merged.started_at == earlier.started_at
    assert any("--only national --merge" in note for note in merged.notes)
