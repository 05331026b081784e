"""``jobmatch validate TOPIC FILE|-``: check a JSON Lines file against the contract, send nothing.

Also home of the line reading and rejection reporting that ``jobmatch produce`` shares.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from cli.progress import Progress
from schemas import FAMILIES, ValidationError, parse_event
from settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2  # also what argparse returns for a bad command line
EXIT_KAFKA = 3

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Rejection:
    """A line that did not become an event, and why."""

    line: int  # 1-based
    reason: str  # a schemas.errors reason, or "not_sent" for a delivery failure
    message: str

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: {self.message} [{self.reason}]"


class InputError(Exception):
    """The input file cannot be read."""


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "topic",
        metavar="TOPIC",
        choices=FAMILIES,
        help="event family of every line: " + ", ".join(FAMILIES),
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="JSON Lines file, one event per line (blank lines are skipped); - reads stdin",
    )


def source_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """The file (or stdin) as bytes, so that bad UTF-8 is reported per line, not fatal."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; a context manager cannot raise InputError)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        yield f


def count_lines(path: str) -> int | None:
    """Lines in a regular file, for the progress bar; None for stdin."""
    if path == "-":
        return None
    n, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def numbered_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(1-based line number, line without its end) pairs; None for a blank line."""
    for number, line in enumerate(stream, start=1):
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        line = line.rstrip(b"\r\n")
        yield number, (line if line.strip() else None)


def process_lines(
    path: str,
    handle: Callable[[int, bytes], object],
    *,
    label: str,
) -> tuple[int, list[Rejection]]:
    """Feed every non-blank line (number, bytes) to ``handle``; a ValidationError is a rejection.

    Returns the number of lines handled and the rejections, in line order.
    """
    handled = 0
    rejections: list[Rejection] = []
    with open_input(path) as stream, Progress(label, total=count_lines(path)) as progress:
        for number, line in numbered_lines(stream):
            if line is not None:
                try:
                    handle(number, line)
                    handled += 1
                except ValidationError as e:
                    rejections.append(Rejection(number, e.reason, str(e)))
            progress.advance(rejected=len(rejections))
    return handled, rejections


def print_rejections(path: str, rejections: list[Rejection]) -> None:
    source = source_name(path)
    for r in rejections:
        print(r.render(source))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        help="check a JSON Lines file of events against the contract (sends nothing)",
        description=(
            "Check every line of FILE as an event of TOPIC, exactly as the workers will, "
            "without sending anything. Each rejected line is printed as "
            "FILE:LINE: FIELD.PATH: PROBLEM [REASON]. The contract is docs/events.md."
        ),
        epilog=(
            "exit status: 0 every line is valid, 1 some lines were rejected, "
            "2 FILE cannot be read. The size limit is JOBMATCH_MAX_MESSAGE_BYTES "
            "(default 65536)."
        ),
    )
    add_input_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    max_bytes = settings.max_message_bytes

    def check(number: int, line: bytes) -> None:
        parse_event(args.topic, line, max_bytes=max_bytes)

    try:
        valid, rejections = process_lines(args.file, check, label="validating")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print_rejections(args.file, rejections)
    total = valid + len(rejections)
    print(
        f"{source_name(args.file)}: {total} {args.topic} events, "
        f"{valid} valid, {len(rejections)} rejected"
    )
    return EXIT_OK if not rejections else EXIT_REJECTED
