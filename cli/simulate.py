"""``jobmatch simulate``: run the synthetic job market, live to Kafka or offline to files."""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

from cli.arg_types import positive_float, positive_int
from cli.progress import Progress
from settings import Settings
from simulator import Market, MarketConfig
from simulator.runner import (
    RedisListSource,
    RedisUnavailable,
    RunSummary,
    run_live,
    run_offline,
    write_truth,
)
from streams.kafka_admin import KafkaUnreachable, TopicMismatch, ensure_topics

OFFLINE_DAYS = 3.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "simulate",
        help="run a synthetic job market (live to Kafka, or offline to files)",
        description=(
            "Simulate a job market modelled on 고용24: employers post jobs, seekers search,\n"
            "open their recommendations, click, apply and get hired.\n\n"
            "Live (the default): events go to Kafka at --rate events/s, each stamped with the\n"
            "wall clock, and each session reads the seeker's list from Redis as the portal\n"
            "user (the closed loop). Ctrl-C stops it after flushing.\n"
            "Offline (--no-kafka): no services; a virtual clock from 2026-11-02 00:00 KST\n"
            "runs --days simulated days, identically for one --seed."
        ),
        epilog=(
            "examples:\n"
            "  jobmatch simulate                           # live until Ctrl-C\n"
            "  jobmatch simulate --duration 300            # live demo for 5 minutes\n"
            "  jobmatch simulate --no-kafka --log events.jsonl --truth truth.jsonl"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--no-kafka", action="store_true", help="offline: virtual clock, no services")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--seekers", type=positive_int, default=5000, help="seekers (default 5000)")
    p.add_argument(
        "--postings",
        type=positive_int,
        default=2000,
        help="open postings at the start (default 2000)",
    )
    p.add_argument(
        "--days",
        type=positive_float,
        help=f"simulated days to run (offline default {OFFLINE_DAYS:g}; live: no limit)",
    )
    p.add_argument(
        "--rate", type=positive_float, default=200.0, help="live: events per second (default 200)"
    )
    p.add_argument(
        "--duration", type=positive_float, metavar="S", help="live: stop after this many seconds"
    )
    p.add_argument("--events", type=positive_int, metavar="N", help="stop after this many events")
    p.add_argument(
        "--reco-share",
        type=float,
        default=0.7,
        help="share of sessions that open the recommendations (default 0.7)",
    )
    p.add_argument(
        "--no-reco", action="store_true", help="live: never read lists from Redis (search only)"
    )
    p.add_argument(
        "--log", type=Path, metavar="FILE", help="write the event log (JSON Lines) to FILE"
    )
    p.add_argument(
        "--truth", type=Path, metavar="FILE", help="write the ground truth (JSON Lines) to FILE"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.reco_share <= 1.0:
        print(f"error: --reco-share must be within [0, 1], got {args.reco_share}", file=sys.stderr)
        return 2
    if args.no_kafka:
        summary, market = _offline(args)
    else:
        outcome = _live(args)
        if isinstance(outcome, int):
            return outcome
        summary, market = outcome
    for line in summary.lines():
        print(line)
    if args.truth is not None:
        truth = write_truth(market, args.truth, summary.posting_ids)
        print(truth.line(), file=sys.stderr)
    # Ctrl-C is how a live run is meant to end (everything sent was flushed); an offline
    # run cut short has written an incomplete log.
    return 130 if summary.interrupted and args.no_kafka else 0


def _config(args: argparse.Namespace, **extra: object) -> MarketConfig:
    return MarketConfig(
        seekers=args.seekers,
        postings=args.postings,
        reco_share=args.reco_share,
        **extra,  # type: ignore[arg-type]
    )


def _offline(args: argparse.Namespace) -> tuple[RunSummary, Market]:
    market = Market.generate(_config(args), args.seed)
    with Progress("simulating", total=args.events) as progress:
        summary = run_offline(
            market,
            days=args.days or OFFLINE_DAYS,
            max_events=args.events,
            log_path=args.log,
            progress=progress,
        )
    return summary, market


def _live(args: argparse.Namespace) -> tuple[RunSummary, Market] | int:
    from client.producer import EventProducer

    settings = Settings.from_env()
    try:
        ensure_topics(settings)
    except (KafkaUnreachable, TopicMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    source = None
    if not args.no_reco:
        source = RedisListSource(settings, size=settings.seeker_list_size)
        try:
            source.check()
        except RedisUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    try:
        producer = EventProducer(settings)
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # Live time is the wall clock; ids carry a run tag so that a second run's events are
    # not taken for duplicates of the first's.
    market = Market.generate(_config(args, start_ms=time.time_ns() // 1_000_000), args.seed)
    try:
        with Progress("simulating", total=args.events) as progress:
            summary = run_live(
                market,
                producer,
                rate=args.rate,
                duration_s=args.duration,
                max_events=args.events,
                days=args.days,
                list_source=source,
                log_path=args.log,
                progress=progress,
                event_id_prefix=f"sim{args.seed}-{uuid.uuid4().hex[:8]}",
            )
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        producer.close(timeout=10)
        if source is not None:
            source.close()
    if source is not None and source.errors:
        print(
            f"warning: {source.errors} Redis reads failed; those sessions searched", file=sys.stderr
        )
    return summary, market
