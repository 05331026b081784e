"""``jobmatch topics``: create the contract's Kafka topics (idempotent)."""

from __future__ import annotations

import argparse
import sys

from settings import Settings
from streams.kafka_admin import KafkaUnreachable, TopicMismatch, ensure_topics


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "topics",
        help="create the Kafka topics (idempotent)",
        description=(
            "Create every jobmatch topic that is missing and check the partition counts of "
            "those that exist. Partitions come from JOBMATCH_POSTING_PARTITIONS and "
            "JOBMATCH_SEEKER_PARTITIONS (default 4); names from JOBMATCH_TOPIC_PREFIX."
        ),
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        results = ensure_topics(settings)
    except (KafkaUnreachable, TopicMismatch) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for r in results:
        state = "created" if r.created else "exists"
        policy = r.spec.configs.get("cleanup.policy", "delete")
        print(f"{r.spec.name:<32} {r.partitions:>3} partitions  {policy:<8} {state}")
    return 0
