"""``jobmatch produce TOPIC FILE|-``: validate a JSON Lines file and send the valid events."""

from __future__ import annotations

import argparse
import sys
import threading

from cli.validate import (
    EXIT_KAFKA,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    InputError,
    Rejection,
    add_input_arguments,
    print_rejections,
    process_lines,
    source_name,
)
from client.producer import EventProducer
from settings import Settings
from streams.kafka_admin import KafkaUnreachable


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "produce",
        help="validate a JSON Lines file of events and send the valid ones to Kafka",
        description=(
            "Validate every line of FILE as an event of TOPIC and send each valid one, "
            "unchanged and keyed per the contract, to the topic <JOBMATCH_TOPIC_PREFIX>.TOPIC "
            "(acks=all, idempotent). Invalid lines are never sent; the summary lists each "
            "with its line number and reason. To send all or nothing, run "
            "`jobmatch validate` first."
        ),
        epilog=(
            "exit status: 0 everything valid was sent and nothing was rejected (or "
            "--skip-invalid), 1 some lines were rejected, 2 FILE cannot be read, 3 Kafka "
            "is unreachable, a topic is missing (run `jobmatch topics`) or a send failed."
        ),
    )
    add_input_arguments(p)
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="exit 0 even when lines were rejected (they are still reported, never sent)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    topic = settings.topic(args.topic)
    try:
        producer = EventProducer(settings, client_id="jobmatch-cli-produce")
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_KAFKA

    failures: list[Rejection] = []
    lock = threading.Lock()  # errbacks run on the producer's I/O thread

    def send(number: int, line: bytes) -> None:
        def failed(exc: BaseException) -> None:
            with lock:
                failures.append(Rejection(number, "not_sent", f"not sent to {topic}: {exc}"))

        producer.send_raw(args.topic, line).add_errback(failed)

    try:
        with producer:
            handled, rejections = process_lines(args.file, send, label=f"sending to {topic}")
            producer.flush()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_KAFKA

    with lock:
        failed = sorted(failures, key=lambda r: r.line)
    print_rejections(args.file, sorted(rejections + failed, key=lambda r: r.line))
    summary = (
        f"{source_name(args.file)}: sent {handled - len(failed)} {args.topic} events to {topic}, "
        f"rejected {len(rejections)} lines"
    )
    print(summary + (f", {len(failed)} failed to send" if failed else ""))
    if failed:
        return EXIT_KAFKA
    if rejections and not args.skip_invalid:
        return EXIT_REJECTED
    return EXIT_OK
