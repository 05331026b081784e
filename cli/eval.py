"""``jobmatch eval``: offline evaluation of the ranker against baselines on a simulated market.

The replay and the measures are :mod:`online_model.evaluation`; this module supplies the
events and the ground truth (a market generated in-process, or the files that
``jobmatch simulate --no-kafka --log --truth`` wrote) and prints the result.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from cli.arg_types import positive_float, positive_int
from cli.progress import Progress
from online_model.context import DAY_MS
from online_model.evaluation import (
    MODELS,
    CheckpointResult,
    EvalConfig,
    EvalResult,
    OfflineEvaluation,
    StaticTruth,
)
from online_model.text import DEFAULT_TOKENIZER, Tokenizer
from schemas import Event, ValidationError, event_from_obj
from simulator import Market, MarketConfig
from simulator.scenarios import DEFAULT_SCENARIO, SCENARIOS

LOOPS = ("closed", "search")


@dataclass(frozen=True)
class MarketSize:
    """The generated market of a run."""

    seekers: int
    postings: int
    days: float
    sample: int


FULL = MarketSize(seekers=5000, postings=2000, days=7.0, sample=500)
QUICK = MarketSize(seekers=2000, postings=800, days=2.0, sample=300)


class EvalInputError(Exception):
    """An input file is missing or is not what ``jobmatch simulate`` writes."""


class MarketTruth:
    """The ground truth asked of a running market: its hidden utility, now.

    The market's state moves with the run (profiles edited, postings closed), so a
    question at a checkpoint is answered for that moment.
    """

    def __init__(self, market: Market) -> None:
        self.market = market

    def relevant(self, seeker_id: str, posting_ids: Sequence[str]) -> dict[str, float]:
        if not posting_ids:
            return {}
        utility = self.market.utilities(seeker_id, posting_ids)
        hits = np.flatnonzero(utility > self.market.threshold(seeker_id))
        return {posting_ids[i]: float(utility[i]) for i in hits}

    def score(self, seeker_id: str, posting_id: str) -> float:
        return self.market.utility(seeker_id, posting_id)


@dataclass
class EvalRun:
    """A finished evaluation with where its events came from and how long it took."""

    result: EvalResult
    source: dict[str, Any]
    seconds: float

    def to_obj(self) -> dict[str, Any]:
        """The ``--json`` object: ``{"models": ..., "config": ..., ...}``."""
        obj = self.result.to_obj()
        obj["config"] = {**self.source, **obj["config"]}
        obj["run"]["seconds"]["total"] = round(self.seconds, 3)
        return obj


def evaluate_market(
    *,
    seed: int,
    size: MarketSize,
    loop: str = "closed",
    reco_share: float = 0.7,
    scenario: str = DEFAULT_SCENARIO,
    config: EvalConfig | None = None,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    progress: Any = None,
    on_checkpoint: Any = None,
) -> EvalRun:
    """Generate a market, run it for ``size.days`` and evaluate every model on it.

    ``scenario``: one of :data:`simulator.scenarios.SCENARIOS` (``behaviour-only``: every
    seeker publishes an empty profile, so only what they do reveals what they want).

    ``loop="closed"``: recommendation sessions (``reco_share`` of sessions) show the
    ranker's own lists, as in production; ``"search"``: every session searches.
    ``tokenizer``: the product's character bigrams unless an experiment plugs in another.
    """
    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {LOOPS}, got {loop!r}")
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {tuple(SCENARIOS)}, got {scenario!r}")
    config = config or EvalConfig(seed=seed, sample_size=size.sample)
    started = time.perf_counter()
    market = Market.generate(
        MarketConfig(
            seekers=size.seekers,
            postings=size.postings,
            reco_share=reco_share,
            empty_profile_share=SCENARIOS[scenario],
        ),
        seed,
    )
    evaluation = OfflineEvaluation(
        MarketTruth(market),
        config,
        tokenizer=tokenizer,
        progress=progress,
        on_checkpoint=on_checkpoint,
    )
    events = market.events(days=size.days, list_source=evaluation if loop == "closed" else None)
    end_ms = market.config.start_ms + int(size.days * DAY_MS)
    result = evaluation.run(events, end_ms=end_ms)
    source = {
        "source": "generated",
        "seed": seed,
        "seekers": size.seekers,
        "postings": size.postings,
        "days": size.days,
        "loop": loop,
        "reco_share": reco_share if loop == "closed" else 0.0,
        "scenario": scenario,
    }
    return EvalRun(result, source, time.perf_counter() - started)


def evaluate_files(
    log: Path,
    truth: Path,
    *,
    config: EvalConfig,
    tokenizer: Tokenizer = DEFAULT_TOKENIZER,
    progress: Any = None,
    on_checkpoint: Any = None,
) -> EvalRun:
    """Replay an event log of ``jobmatch simulate --no-kafka`` against its truth file."""
    started = time.perf_counter()
    would_apply = read_truth(truth)
    evaluation = OfflineEvaluation(
        would_apply, config, tokenizer=tokenizer, progress=progress, on_checkpoint=on_checkpoint
    )
    result = evaluation.run(read_log(log))
    source = {"source": "files", "log": str(log), "truth": str(truth)}
    return EvalRun(result, source, time.perf_counter() - started)


def read_log(path: Path) -> Iterator[tuple[str, Event]]:
    """The ``(family, event)`` pairs of an event log, validated, in file order."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, after the generator ends
    except OSError as exc:
        raise EvalInputError(f"cannot read the event log {path}: {exc.strerror}") from None
    with f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                yield obj["topic"], event_from_obj(obj["topic"], obj["event"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                detail = str(exc) if isinstance(exc, ValidationError | ValueError) else repr(exc)
                raise EvalInputError(
                    f"{path}:{number}: not a line of an event log ({detail}); write one with "
                    "`jobmatch simulate --no-kafka --log FILE`"
                ) from None


def read_truth(path: Path) -> StaticTruth:
    """The truth file of ``jobmatch simulate --truth``: who would apply to what."""
    would_apply: dict[str, dict[str, float]] = {}
    try:
        with open(path, "rb") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line)
                    would_apply[str(obj["seeker_id"])] = {
                        str(p): float(u) for p, u in obj["would_apply"].items()
                    }
                except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                    raise EvalInputError(
                        f'{path}:{number}: expected {{"seeker_id": ..., "would_apply": '
                        "{posting_id: utility}}, as `jobmatch simulate --truth FILE` writes"
                    ) from None
    except OSError as exc:
        raise EvalInputError(f"cannot read the truth file {path}: {exc.strerror}") from None
    if not would_apply:
        raise EvalInputError(f"{path} holds no seekers: is it a truth file?")
    return StaticTruth(would_apply)


# -- output ---------------------------------------------------------------------------------

COLUMNS = (("recall@{k}", "recall@{k}"), ("ndcg@{k}", "nDCG@{k}"), ("apply_rate", "apply rate"),
           ("auc", "AUC"), ("logloss", "log loss"), ("list_length", "list len"))  # fmt: skip


def format_table(result: EvalResult) -> str:
    """The models as a fixed-width table, ``-`` where a measure does not apply."""
    k = result.config.k
    heads = [h.format(k=k) for _, h in COLUMNS]
    lines = ["model       " + "".join(f"{h:>12}" for h in heads)]
    for model in MODELS:
        values = result.models[model]
        cells = [_cell(values.get(key.format(k=k))) for key, _ in COLUMNS]
        lines.append(f"{model:<12}" + "".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.4f}"


def format_buckets(result: EvalResult) -> str:
    """recall@k by the seeker's interactions before the checkpoint, one row a bucket."""
    k = result.config.k
    lines = [f"recall@{k} by interactions  lists" + "".join(f"{m:>12}" for m in MODELS)]
    for bucket, row in result.recall_by_interactions.items():
        cells = "".join(f"{_cell(row.get(m)):>12}" for m in MODELS)
        lists = int(row.get("lists") or 0)
        lines.append(f"{bucket + ' interactions':<26}{lists:>7}{cells}")
    return "\n".join(lines)


def format_fates(result: EvalResult) -> str:
    """What became of the relevant postings in the jobmatch lists, as shares."""
    total = sum(result.fates.values())
    vetoed = result.vetoed_share()
    head = f"relevant postings vetoed by a hard filter: {_cell(vetoed)}"
    if not total:
        return head
    parts = ", ".join(f"{fate} {n / total:.3f}" for fate, n in result.fates.items())
    return f"{head}\nfates of {total} relevant postings: {parts}"


def describe(run: EvalRun) -> list[str]:
    """What was evaluated, in a few lines (above the table)."""
    s, r = run.source, run.result
    if s["source"] == "generated":
        loop = (
            f"closed loop: {s['reco_share']:.0%} of sessions show jobmatch lists"
            if s["loop"] == "closed"
            else "search only"
        )
        head = (
            f"generated market ({s['scenario']} scenario): seed {s['seed']}, {s['seekers']} "
            f"seekers, {s['postings']} postings, {s['days']:g} days, {loop}"
        )
    else:
        head = f"replayed {s['log']} against {s['truth']}"
    c = r.counts
    return [
        head,
        f"tokenizer {r.tokenizer}; {c['labelled']} labelled examples "
        f"({c['positives']} positive); {c['evaluated_lists']} seeker lists at "
        f"{len(r.checkpoints)} checkpoints (sample {r.config.sample_size} per checkpoint, "
        f"seekers with >= 1 posting they would apply to); {run.seconds:.1f} s",
    ]


def checkpoint_line(result: CheckpointResult, k: int) -> str:
    """One line per checkpoint for stderr: each model's recall@k."""
    recalls = " ".join(
        f"{m} {result.models[m][f'recall@{k}']:.3f}" for m in MODELS if result.models.get(m)
    )
    when = datetime.fromtimestamp(result.at_ms / 1000, KST).strftime("%Y-%m-%d %H:%M KST")
    return f"checkpoint {when}: {result.evaluated} lists; recall@{k}: {recalls or '-'}"


KST = timezone(timedelta(hours=9))


# -- the command ------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "eval",
        help="offline evaluation: our ranker vs baselines on a simulated market",
        description=(
            "Replay a simulated job market in time order as the workers would (progressive\n"
            "validation: each labelled example is scored, then learned from) and measure\n"
            "every model against the simulator's hidden ground truth:\n\n"
            "  jobmatch    our online-trained ranker (online_model.recommend.rank_seeker)\n"
            "  rule_based  desired occupation code or title keyword + our hard filters,\n"
            "              newest first (a batch job board)\n"
            "  popularity  eligible postings by decayed apply rate\n"
            "  random      eligible postings in a seeded random order\n"
            "  oracle      the postings the seeker would apply to, by utility (the ceiling)\n\n"
            "At each checkpoint (every simulated day and at the end) a seeded sample of\n"
            "active seekers is ranked by every model over the eligible postings (open, not\n"
            "expired, not applied to or dismissed). recall@120 = share of the postings the\n"
            "seeker would apply to that the top 120 holds; nDCG@120 with binary gains;\n"
            "apply rate = share of the top 20 slots the seeker would apply to. AUC and log\n"
            "loss are progressive, over the labelled examples (log loss only for models\n"
            "that give a probability).\n\n"
            "By default the market is generated in-process (--seed, --seekers, --postings,\n"
            "--days); --log and --truth replay files of `jobmatch simulate --no-kafka`."
        ),
        epilog=(
            "examples:\n"
            "  jobmatch eval --quick                 # small market, about 5 s\n"
            "  jobmatch eval --json > eval.json      # 5000 seekers, 2000 postings, 7 days: ~45 s\n"
            "  jobmatch eval --loop search           # the events do not depend on the ranker\n"
            "  jobmatch eval --scenario behaviour-only  # empty profiles: behaviour only\n"
            "  jobmatch simulate --no-kafka --log ev.jsonl --truth truth.jsonl\n"
            "  jobmatch eval --log ev.jsonl --truth truth.jsonl\n"
            "  jobmatch eval --replay data/ --held-out later.jsonl   # recorded events"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=(
            f"small market: {QUICK.seekers} seekers, {QUICK.postings} postings, "
            f"{QUICK.days:g} days, sample {QUICK.sample} (explicit options still win); a "
            "smoke test: 120 slots cover a larger share of a small market, which flatters "
            "popularity and random"
        ),
    )
    p.add_argument("--seed", type=int, default=1, help="market, sample and random seed (default 1)")
    p.add_argument("--seekers", type=positive_int, help=f"seekers (default {FULL.seekers})")
    p.add_argument(
        "--postings",
        type=positive_int,
        help=f"open postings at the start (default {FULL.postings})",
    )
    p.add_argument("--days", type=positive_float, help=f"simulated days (default {FULL.days:g})")
    p.add_argument(
        "--loop",
        choices=LOOPS,
        default="closed",
        help=(
            "closed (default): recommendation sessions show jobmatch's own lists, as in "
            "production; search: every session searches, so the events do not depend on "
            "the model"
        ),
    )
    p.add_argument(
        "--reco-share",
        type=float,
        default=0.7,
        help="closed loop: share of sessions that open the recommendations (default 0.7)",
    )
    p.add_argument(
        "--scenario",
        choices=tuple(SCENARIOS),
        default=DEFAULT_SCENARIO,
        help=(
            "what seekers state: stated (default, today's market: most publish desired "
            "occupations, regions, wage...); behaviour-only: every stated profile is empty "
            "(the hidden preference is unchanged), so only clicks and applies reveal it; "
            "mixed: half of the seekers state nothing"
        ),
    )
    p.add_argument(
        "--sample",
        type=positive_int,
        help=f"active seekers sampled per checkpoint (default {FULL.sample})",
    )
    p.add_argument("--log", type=Path, metavar="FILE", help="replay this event log instead")
    p.add_argument("--truth", type=Path, metavar="FILE", help="its ground truth (with --log)")
    p.add_argument(
        "--replay",
        type=Path,
        nargs="+",
        metavar="DIR_OR_FILE",
        help=(
            "replay mode: contract events as JSON Lines (one event a line, as the Kafka "
            "topics carry them). A directory means its postings.jsonl, profiles.jsonl, "
            "interactions.jsonl and held_out.jsonl; a file's topic comes from its name, else "
            "from each line. Events are validated with the schemas (bad lines are reported "
            "with line and field, and skipped), replayed in ts order through the trainer and "
            "the list ranking the worker uses, then each held-out seeker's top 120 is scored: "
            "hit rate@120 and MRR for jobmatch, popularity and random (seeded by --seed)"
        ),
    )
    p.add_argument(
        "--held-out",
        type=Path,
        metavar="FILE",
        help=(
            'with --replay: JSON Lines of later {"seeker_id", "posting_id"[, "ts"]} pairs '
            "(default: held_out.jsonl of the directory)"
        ),
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=run)


def run_replay_command(args: argparse.Namespace) -> int:
    """``jobmatch eval --replay``: see :mod:`cli.eval_replay`."""
    from cli.eval_replay import format_replay, run_replay

    try:
        with Progress("replaying events") as progress:
            result, counts = run_replay(
                args.replay, args.held_out, k=120, seed=args.seed, progress=progress
            )
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(orjson.dumps({**result.to_obj(), "input": counts}).decode())
    else:
        print(format_replay(result, counts))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.replay is not None:
        return run_replay_command(args)
    if args.held_out is not None:
        print("error: --held-out goes with --replay", file=sys.stderr)
        return 2
    if (args.log is None) != (args.truth is None):
        print(
            "error: --log and --truth go together: write both with "
            "`jobmatch simulate --no-kafka --log FILE --truth FILE`",
            file=sys.stderr,
        )
        return 2
    if not 0.0 <= args.reco_share <= 1.0:
        print(f"error: --reco-share must be within [0, 1], got {args.reco_share}", file=sys.stderr)
        return 2
    preset = QUICK if args.quick else FULL
    size = MarketSize(
        seekers=args.seekers or preset.seekers,
        postings=args.postings or preset.postings,
        days=args.days or preset.days,
        sample=args.sample or preset.sample,
    )
    config = EvalConfig(seed=args.seed, sample_size=size.sample)

    def on_checkpoint(result: CheckpointResult) -> None:
        print(checkpoint_line(result, config.k), file=sys.stderr)

    try:
        with Progress("replaying events") as progress:
            if args.log is not None:
                outcome = evaluate_files(
                    args.log,
                    args.truth,
                    config=config,
                    progress=progress,
                    on_checkpoint=on_checkpoint,
                )
            else:
                outcome = evaluate_market(
                    seed=args.seed,
                    size=size,
                    loop=args.loop,
                    reco_share=args.reco_share,
                    scenario=args.scenario,
                    config=config,
                    progress=progress,
                    on_checkpoint=on_checkpoint,
                )
    except EvalInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(orjson.dumps(outcome.to_obj()).decode())
        return 0
    for line in describe(outcome):
        print(line)
    print()
    print(format_table(outcome.result))
    print()
    print(format_buckets(outcome.result))
    print()
    print(format_fates(outcome.result))
    return 0
