"""``jobmatch import-postings``: real job-site exports -> posting events (file or Kafka)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from cli.progress import Progress
from importers import (
    FORMATS,
    ImportFormatError,
    ImportResult,
    check_export,
    count_rows,
    import_rows,
)
from importers.result import note_kind
from schemas import ValidationError, encode, parse_event
from schemas.postings import PostingEvent
from settings import Settings
from streams.kafka_admin import KafkaUnreachable

if TYPE_CHECKING:
    from kafka.producer.future import FutureRecordMetadata

    from client.producer import EventProducer


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "import-postings",
        help="turn a job-site export (CSV) into posting events",
        description=(
            "Read a job-site export and turn every row into a posting upsert event of the "
            "public contract. Fields that cannot be mapped (a salary of 정보 없음, a region "
            "of only a 시도, ...) are left empty and reported with their row number. "
            "Without -o the events go to the postings topic (JOBMATCH_KAFKA_BOOTSTRAP, "
            "JOBMATCH_TOPIC_PREFIX). Ids are stable: importing a file again upserts the "
            "same postings."
        ),
    )
    p.add_argument(
        "format",
        metavar="FORMAT",
        choices=sorted(FORMATS),
        help="export format: work24 (고용24 search export) or saramin (사람인 search export)",
    )
    p.add_argument("file", metavar="FILE", help="the export file (UTF-8 CSV with a header row)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT.jsonl",
        help="write the events as JSON Lines to this file ('-' for stdout) instead of Kafka",
    )
    p.add_argument(
        "--quiet", action="store_true", help="print only the summary, not every row's notes"
    )
    p.set_defaults(func=run)


class _FileSink:
    """Writes validated events as JSON Lines."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def put(self, line: int, event: PostingEvent) -> None:
        raw = encode(event)
        parse_event("postings", raw)  # the file must pass `jobmatch validate` line by line
        self._out.write(raw.decode("utf-8") + "\n")


class _KafkaSink:
    """Sends events with the contract's producer; keeps the futures to count failures."""

    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer
        self._futures: list[tuple[int, FutureRecordMetadata]] = []

    def put(self, line: int, event: PostingEvent) -> None:
        self._futures.append((line, self._producer.send_event("postings", event)))

    def failures(self) -> list[tuple[int, str]]:
        """(row, reason) of every record the broker did not acknowledge (after a flush)."""
        return [(line, str(f.exception)) for line, f in self._futures if f.failed()]


@contextmanager
def _file_sink(path: str) -> Iterator[_FileSink]:
    if path == "-":
        yield _FileSink(sys.stdout)
        return
    try:
        out = open(path, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None
    with out:
        yield _FileSink(out)


@contextmanager
def _kafka_sink(settings: Settings) -> Iterator[_KafkaSink]:
    # Imported here so that writing a file does not load the Kafka client.
    from client.producer import EventProducer

    with EventProducer(settings) as producer:
        yield _KafkaSink(producer)
        producer.flush()


def run(args: argparse.Namespace) -> int:
    # With -o - the events own stdout, so the report goes to stderr.
    report = sys.stderr if args.output == "-" else sys.stdout
    settings = Settings.from_env()
    try:
        check_export(args.format, args.file)
    except ImportFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    results: list[ImportResult] = []
    rejected: list[tuple[int, str]] = []
    rows_with_notes = 0
    sink: _FileSink | _KafkaSink | None = None
    try:
        sink_cm = _file_sink(args.output) if args.output else _kafka_sink(settings)
        with sink_cm as sink, Progress("importing", total=count_rows(args.file) or None) as bar:
            for result in import_rows(args.format, args.file):
                try:
                    sink.put(result.line, result.event)
                except ValidationError as exc:
                    rejected.append((result.line, str(exc)))
                results.append(result)
                rows_with_notes += bool(result.notes)
                bar.advance(notes=rows_with_notes)
    except (ImportFormatError, OSError) as exc:  # the file changed under us, or -o failed
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KafkaUnreachable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if isinstance(sink, _KafkaSink):
        rejected += sink.failures()
    target = args.output if args.output else f"topic {settings.topic('postings')}"
    _print_summary(report, args, target, results, rejected)
    return 1 if rejected else 0


def _print_summary(
    out: TextIO,
    args: argparse.Namespace,
    target: str,
    results: list[ImportResult],
    rejected: list[tuple[int, str]],
) -> None:
    verb = "written:" if args.output else "sent:"
    destination = "stdout" if args.output == "-" else target
    noted = [r for r in results if r.notes]
    print(f"rows read:        {len(results)} ({args.format} export {args.file})", file=out)
    print(f"events {verb:<10}{len(results) - len(rejected)} (to {destination})", file=out)
    print(f"rows with notes:  {len(noted)}", file=out)
    kinds = Counter(kind for r in noted for kind in {note_kind(n) for n in r.notes})
    for kind, count in kinds.most_common():
        print(f"  {kind:<16}{count}", file=out)
    if rejected:
        print(
            f"rejected:         {len(rejected)} (invalid, or not acknowledged by Kafka)", file=out
        )
        for line, reason in rejected:
            print(f"  row {line}: {reason}", file=out)
    if noted and not args.quiet:
        print("notes:", file=out)
        for r in noted:
            for note in r.notes:
                print(f"  row {r.line}: {note}", file=out)
