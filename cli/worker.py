"""``jobmatch worker``: run one Faust worker."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from settings import Settings
from streams.kafka_admin import KafkaUnreachable, TopicMismatch, ensure_topics


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "worker",
        help="run one stream worker (Faust): events in, lists in Redis out",
        description=(
            "Run one jobmatch worker in the foreground. Workers with the same JOBMATCH_APP_ID "
            "form one consumer group: start more (each with its own --web-port and "
            "--data-dir) to share the partitions. Serves Prometheus metrics at "
            "http://HOST:PORT/metrics and readiness at /health, on 127.0.0.1 unless "
            "JOBMATCH_WEB_HOST says otherwise."
        ),
    )
    p.add_argument(
        "--web-port", type=int, help="HTTP port for /metrics (default JOBMATCH_WEB_PORT or 6066)"
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        help="Faust data directory (default JOBMATCH_DATA_DIR or .run/worker)",
    )
    p.add_argument(
        "--loglevel",
        default="info",
        choices=["crit", "error", "warn", "info", "debug"],
        help="log level",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from streams.worker import run_worker  # imports Faust: keep `jobmatch --help` fast

    settings = Settings.from_env()
    overrides: dict[str, object] = {}
    if args.web_port is not None:
        overrides["web_port"] = args.web_port
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    settings = dataclasses.replace(settings, **overrides)
    try:
        ensure_topics(settings)
    except (KafkaUnreachable, TopicMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    run_worker(settings, loglevel=args.loglevel)
    return 0
