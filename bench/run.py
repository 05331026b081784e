"""Run every benchmark scenario and write docs/benchmarks.md and bench/results.json.

    .venv/bin/python -m bench.run [--quick] [--out-md docs/benchmarks.md]
                                  [--out-json bench/results.json]

(``make bench``, ``make bench QUICK=1``). Needs the real Kafka broker and Redis server
(``deploy/with-services.sh`` starts them). Progress goes to stderr, figures to stdout.
``--quick`` uses small markets; docs/benchmarks.md says how long its run took.
``--only national --merge`` measures section 7 (the national mix, issue 14) again and
keeps the other sections of the earlier run in bench/results.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench import freshness, growth, memory, national, throughput
from bench.harness import ROOT, BenchEnv, log
from bench.machine import describe
from bench.pipeline import loaded_worker
from bench.profiling import py_spy
from bench.results import Report, Section, Target, fmt
from settings import Settings
from streams.kafka_admin import KafkaUnreachable


@dataclass(frozen=True)
class Plan:
    seekers: int
    postings: int
    throughput: throughput.ThroughputPlan
    freshness: freshness.FreshnessPlan
    growth: growth.GrowthPlan
    memory_sample: int
    national: national.NationalPlan


FULL = Plan(
    seekers=20_000,
    postings=20_000,
    throughput=throughput.ThroughputPlan(
        seconds=20,
        probe={"interactions": 1000, "profiles": 200, "postings": 20},
        max_events=200_000,
        profile_seconds=10,
        zadd_lists=5000,
    ),
    freshness=freshness.FreshnessPlan(
        probe=500,
        max_events=100_000,
        drain_seconds=20,
        warmup_s=5,
        window_s=30,
        ramp_window_s=12,
    ),
    growth=growth.GrowthPlan(
        postings=(5_000, 20_000, 100_000),
        seekers=(10_000, 100_000, 500_000),
        rerank_sample=400,
        brute_sample=50,
        new_postings=40,
        max_new_postings=20,
        lazy_budget_s=45,
        batch_sample=500,
        full_batch_max=10_000,
    ),
    memory_sample=2000,
    national=national.NationalPlan(
        seekers=20_000,
        postings=40_000,
        engine_seekers=20_000,
        engine_postings=40_000,
        engine_samples=300,
        probe_events=2000,
        ramp_window_s=12.0,
        ramp_steps=8,
        window_s=30.0,
        warmup_s=5.0,
        interactions=50_000,
    ),
)
QUICK = Plan(
    seekers=2_000,
    postings=2_000,
    throughput=throughput.ThroughputPlan(
        seconds=5,
        probe={"interactions": 300, "profiles": 100, "postings": 10},
        max_events=20_000,
        profile_seconds=3,
        zadd_lists=1000,
    ),
    freshness=freshness.FreshnessPlan(
        probe=300, max_events=20_000, drain_seconds=4, warmup_s=2, window_s=8, ramp_window_s=4
    ),
    growth=growth.GrowthPlan(
        postings=(5_000, 20_000),
        seekers=(2_000, 10_000),
        rerank_sample=100,
        brute_sample=10,
        new_postings=20,
        max_new_postings=5,
        lazy_budget_s=4,
        batch_sample=100,
        full_batch_max=2_000,
    ),
    memory_sample=300,
    national=national.NationalPlan(
        seekers=1_000,
        postings=2_000,
        engine_seekers=1_000,
        engine_postings=2_000,
        engine_samples=60,
        probe_events=400,
        ramp_window_s=4.0,
        ramp_steps=5,
        window_s=6.0,
        warmup_s=2.0,
        interactions=1_500,
        burst_spread_s=20.0,
        profile_s=4.0,
    ),
)


def run_pipeline(plan: Plan, report: Report, workdir: Path) -> freshness.Level | None:
    """Scenarios 1, 2, 3 and 5 on one worker with a loaded market; returns the 50 % level."""
    with BenchEnv(workdir) as env:
        log(f"pipeline: topics {env.prefix}.*, keys {env.settings.key_prefix}:*")
        loaded = loaded_worker(env, plan.seekers, plan.postings)
        results, extra = throughput.run_families(loaded, plan.throughput)
        limits_s = throughput.limits_section(results, extra)
        throughput_s, ix_row = throughput.throughput_section(results)
        breakdown = extra.get("breakdown")
        if breakdown is not None:
            throughput_s.notes.append(
                f"Where an interactions worker's time goes (py-spy, {breakdown.samples:,} "
                f"samples of the event-loop thread during the drain): {breakdown.top(9)}."
            )
        elif py_spy() is None:
            throughput_s.notes.append("py-spy is not installed: no profile of the drain.")
        _emit(report, limits_s)
        _emit(report, throughput_s)
        report.targets.append(
            Target(
                "interaction events per worker",
                f">= {throughput.INTERACTIONS_TARGET:,.0f} events/s",
                ix_row.value,
                "events/s",
                None if ix_row.value is None else ix_row.value >= throughput.INTERACTIONS_TARGET,
                throughput_s.title,
            )
        )
        profiles = next(r for r in results if r.family == "profiles")
        median = profiles.detail["median_agent_ms"]
        report.targets.append(
            Target(
                f"profile re-rank median, in the worker ({plan.postings:,} open postings, "
                f"{plan.seekers:,} seekers; time in the profiles agent per event)",
                f"<= {growth.RERANK_TARGET_MS:g} ms",
                median,  # type: ignore[arg-type]
                "ms",
                None if median is None else median <= growth.RERANK_TARGET_MS,  # type: ignore[operator]
                throughput_s.title,
            )
        )
        fresh = freshness.run(loaded, plan.freshness)
        levels = fresh.levels
        fresh_s, target_level = freshness.freshness_section(fresh, plan.freshness)
        _emit(report, fresh_s)
        report.targets.append(
            Target(
                "freshness p99 at 1,000 mixed events/s",
                f"<= {freshness.TARGET_P99_S:g} s",
                target_level.quantiles.get("p99"),
                "s",
                freshness.target_met(target_level),
                fresh_s.title,
            )
        )
        mem = memory.redis_memory(loaded, plan.memory_sample)
        mem_s, list_row = memory.memory_section(loaded, mem)
        _emit(report, mem_s)
        report.targets.append(
            Target(
                "Redis per seeker list",
                f"<= {memory.LIST_TARGET_BYTES:,} bytes",
                list_row.value,
                "bytes",
                memory.list_target_met(list_row),
                mem_s.title,
            )
        )
        report.notes.append(
            f"Pipeline scenarios (1, 2, 3, 5): one `jobmatch worker` owning all "
            f"{env.settings.seeker_partitions} seeker partitions, on a simulated market of "
            f"{plan.postings:,} open postings and {plan.seekers:,} seekers (loaded in "
            f"{loaded.load_seconds['postings'] + loaded.load_seconds['profiles']:.0f} s), "
            "default settings (lists of 120, sweep horizon 1 h, a snapshot every 500 examples "
            "but at most every 5 s)."
        )
        half = [lv for lv in levels if lv.label.startswith("50%")]
        return half[0] if half else None


def run_growth(plan: Plan, report: Report, half: freshness.Level | None) -> None:
    cells = growth.run(plan.growth)
    growth_s = growth.growth_section(cells, plan.growth)
    median, met = growth.rerank_target(cells)
    report.targets.insert(
        min(2, len(report.targets)),
        Target(
            "profile re-rank median at 20k open postings (in-process LiveEngine.rerank)",
            f"<= {growth.RERANK_TARGET_MS:g} ms",
            median,
            "ms",
            met,
            growth_s.title,
        ),
    )
    _emit(report, growth_s)
    p50 = half.quantiles.get("p50") if half else None
    p99 = half.quantiles.get("p99") if half else None
    load = f"50% of max ({half.sent_rate:,.0f} events/s)" if half else "n/a (not measured)"
    _emit(report, growth.batch_section(cells, p50, p99, load))


def run_national(plan: Plan, report: Report, workdir: Path, command: str) -> None:
    """Scenario 7: the national mix, its burst, restart and two workers (issue 14)."""
    started = time.monotonic()
    result = national.run(workdir, plan.national)
    targets, section = national.targets_and_section(result, command=command)
    report.targets.extend(targets)
    _emit(report, section)
    log(f"national: {(time.monotonic() - started) / 60:.1f} min")
    for t in targets:
        verdict = "n/a" if t.met is None else ("PASS" if t.met else "MISS")
        log(f"  {t.name}: {fmt(t.value)} {t.unit} ({t.goal}) {verdict}")


# Measured while these benchmarks were written (same machine, before and after each fix).
FIXES = (
    "Fixed while writing these benchmarks, measured before and after on this machine: a "
    "list write computed the reasons of its 120 items one at a time in Python (0.96 -> "
    "0.41 ms per list; now `online_model.explain.explain_rows`); redis-py's asyncio client "
    "packed each list write (about 500 arguments) in Python (RedisWriter 838 -> 1,663 "
    "lists/s; now packed by hiredis); every re-rank searched each full employer list for "
    "its weakest member (`LiveEngine.rerank` at 20k postings x 20k seekers, under a "
    "profiler, 6.1 -> 3.4 ms; now cached). Together, on the quick run's market (2k x 2k): "
    "interactions 416 -> about 1,050 events/s, profile updates 155 -> about 270, new "
    "postings 30 -> about 45. Changed since the previous full run (`make bench` at commit "
    "89dc952, whose docs/benchmarks.md reported 441 interaction events/s and a sustained "
    "maximum of 125 mixed events/s): an interaction no longer re-ranks its seeker inside "
    "the event; a list that changed by a few postings is updated member by member in "
    "Redis instead of rewritten; agents acknowledge events, and send training examples, in "
    "batches; the trainer publishes at most one snapshot every 5 s (every 500 examples "
    "meant several new models a second, each re-ranking every seeker); the benchmark polls "
    "only the counter it needs instead of every metric ten times a second; and the worker "
    "no longer runs with the root logger at DEBUG under `--loglevel warn`."
)


def findings(report: Report, plan: Plan) -> list[str]:
    """What limits a worker, in this run's own figures (sections missing are skipped)."""
    data = {s.key: s.data for s in report.sections}
    out: list[str] = []
    limits_d, through = data.get("limits", {}), data.get("throughput", {})
    ix = through.get("interactions")
    if ix and limits_d:
        shares = (ix.get("where_time_goes") or {}).get("shares", {})
        actions = ix.get("actions") or {}
        changing = sum(n for a, n in actions.items() if a in ("apply", "save", "dismiss", "hire"))
        rate, target = ix["events_per_s"], throughput.INTERACTIONS_TARGET
        verdict = "met" if rate >= target else f"{target / rate:.1f}x short of {target:,.0f}"
        faust = shares.get("other (Faust/asyncio internals)", 0) + shares.get(
            "Kafka consume, Faust stream", 0
        )
        agent = sum(
            shares.get(part, 0)
            for part in (
                "agent, other",
                "training example (features of the pair)",
                "validation (decode)",
            )
        )
        out.append(
            f"**Interactions: {rate:,.0f} events/s per worker ({verdict}).** An interaction "
            "costs a lookup, a training example and, for the "
            f"{changing / max(sum(actions.values()), 1):.0%} that change the seeker's history "
            "(apply, save, dismiss, hire), a table write and the applied posting leaving the "
            "list; the re-rank the history calls for is left to the sweeper. What remains is "
            f"mostly Faust's per-event machinery ({faust:.0%} of the event loop under py-spy; "
            f"a pass-through agent reads {limits_d['passthrough_faust_per_s']:,.0f} messages/s "
            "on this machine, and one that produces a message per event "
            f"{limits_d['forwarding_faust_per_s']:,.0f}/s), then the agent's own work "
            f"({agent:.0%}), "
            f"the trainer ({shares.get('trainer', 0):.0%}: this worker holds the training "
            "partition and learns every example) and the Redis writer "
            f"({sum(v for k, v in shares.items() if k.startswith('Redis writer')):.0%})."
        )
    fresh = data.get("freshness", {})
    postings = through.get("postings")
    if fresh and postings:
        target = next((lv for lv in fresh["levels"] if lv["label"].startswith("target")), None)
        shares = ((target or {}).get("where_time_goes") or {}).get("shares", {})
        out.append(
            f"**Freshness is set by posting events, not by the event rate.** With "
            f"{plan.postings:,} postings and {plan.seekers:,} seekers a new posting entered "
            f"{postings['list_refreshes_per_event']:,.0f} lists ({postings['events_per_s']:.1f} "
            "new postings/s), and a closed posting leaves every list that holds it at once, "
            "both written member by member. A full list cannot tell which posting takes a "
            "freed place; its seeker is re-ranked later by the sweeper (at 1,000 events/s: "
            f"{shares.get('new-posting fan-out', 0):.0%} of the loop in new-posting fan-outs, "
            f"{shares.get('backfilling lists after closes (refill)', 0):.0%} in backfills, "
            f"{shares.get('closed postings leaving lists', 0):.0%} in closes, "
            f"{shares.get('Redis writer: render (features + reasons)', 0):.0%} rendering "
            "lists). A fan-out runs in one step that holds the event loop. The sustained "
            f"maximum is {fresh['max_rate']:,.0f} mixed events/s. What would help next: split "
            "a fan-out into chunks that yield; keep a few reserve candidates per list, so "
            "that most removals decide themselves and need no backfill."
        )
    mem = data.get("memory", {})
    if mem.get("list_bytes_mean"):
        full = mem.get("full_list_bytes_mean")
        full_text = f"; a full list of 120: {full:,.0f} bytes" if full else ""
        out.append(
            f"**Redis: {mem['list_bytes_mean']:,.0f} bytes per list** (mean{full_text}), "
            "with scores stored as integer billionths: a small sorted set keeps an integer "
            "score in a few bytes and any other as a 17-digit string (the same lists with float "
            f"scores: {mem['float_list_bytes_mean']:,.0f} bytes). `:why` adds "
            f"{mem['why_bytes_mean']:,.0f} bytes per seeker, `:meta` "
            f"{mem['meta_bytes_mean']:,.0f}. A worker's "
            f"memory grows by {mem['worker_rss_per_100k_seekers_bytes'] / 2**30:.1f} GiB per "
            "100k seekers (their table, index and lists, and the lists' reverse indexes and "
            "employer lists)."
        )
    cells = (data.get("growth") or {}).get("cells") or []
    if cells:
        big = max(cells, key=lambda c: (c["seekers"], c["postings"]))
        out.append(
            f"**Growth:** a re-rank costs {big['rerank_ms']['p50']:.1f} ms (median) at "
            f"{big['postings']:,} postings against {big['brute_force_ms']['p50']:.0f} ms for "
            "scoring every posting; a new posting's fan-out grows with the seekers who may "
            f"want it: {big['fanout_ms']['p50']:,.0f} ms at {big['seekers']:,} seekers "
            f"({big['fanout_candidates']['p50']:,.0f} candidates), against "
            f"{growth.duration(big['fanout_baseline_ms']['p50'] / 1000)} to re-rank them all. "
            f"A nightly batch of that size takes "
            f"{growth.duration(big['batch_seconds_one_core'])} on one core, and its lists are "
            "12 h old on average."
        )
    out.append(FIXES)
    return out


def _emit(report: Report, section: Section) -> None:
    report.sections.append(section)
    single = dataclasses.replace(report, targets=[], notes=[], sections=[section])
    body = single.markdown().split(f"## {section.title}", 1)[1].split("## Machine")[0]
    print(f"## {section.title}{body}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small markets (make bench QUICK=1)")
    parser.add_argument("--out-md", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--out-json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sections of --out-json's earlier run and replace only those "
        "this run measures (with --only)",
    )
    parser.add_argument(
        "--only",
        choices=["pipeline", "growth", "national"],
        help="run only the Kafka/Redis scenarios (1, 2, 3, 5), the in-process ones (4, 6) "
        "or the national mix (7, issue 14)",
    )
    sizes = parser.add_argument_group(
        "national mix (scenario 7)",
        "market sizes; the issue's full size is 100,000 seekers x 200,000 postings, which "
        "takes far longer to load than a run should on two cores (docs/benchmarks.md)",
    )
    sizes.add_argument("--national-seekers", type=int, help="seekers of the worker's market")
    sizes.add_argument("--national-postings", type=int, help="open postings of that market")
    sizes.add_argument("--engine-seekers", type=int, help="seekers of the in-process engine")
    sizes.add_argument("--engine-postings", type=int, help="open postings of that engine")
    sizes.add_argument(
        "--burst-closes",
        type=int,
        help="expiries of the midnight burst (default: 2.4%% of postings)",
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    sized = {
        "seekers": args.national_seekers,
        "postings": args.national_postings,
        "engine_seekers": args.engine_seekers,
        "engine_postings": args.engine_postings,
        "burst_closes": args.burst_closes,
    }
    plan = dataclasses.replace(
        plan,
        national=dataclasses.replace(
            plan.national, **{k: v for k, v in sized.items() if v is not None}
        ),
    )
    settings = Settings.from_env()
    command = "python -m bench.run " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    report = Report(command.strip(), args.quick, describe(settings), when)
    started = time.monotonic()
    half = None
    try:
        with tempfile.TemporaryDirectory(prefix="jobmatch-bench-") as tmp:
            if args.only in (None, "pipeline"):
                half = run_pipeline(plan, report, Path(tmp))
            if args.only in (None, "growth"):
                run_growth(plan, report, half)
            if args.only in (None, "national"):
                run_national(plan, report, Path(tmp), command.strip())
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report.duration_s = time.monotonic() - started
    report.findings = findings(report, plan)
    if args.merge and args.out_json.exists():
        report = report.merged_into(Report.from_obj(orjson.loads(args.out_json.read_bytes())))
    args.out_md.parent.mkdir(parents=True, exist_ok=True)
    args.out_md.write_text(report.markdown())
    args.out_json.write_bytes(orjson.dumps(report.to_obj(), option=orjson.OPT_INDENT_2) + b"\n")
    log(f"done in {report.duration_s / 60:.1f} min: wrote {args.out_md} and {args.out_json}")
    for t in report.targets:
        verdict = "n/a" if t.met is None else ("met" if t.met else "NOT MET")
        print(f"target {t.name} ({t.goal}): {t.value} {t.unit} -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
