"""The ``jobmatch`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable taking the
parsed arguments and returning an exit code). Add a new command to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Module names under cli, in the order `jobmatch --help` lists them.
COMMANDS: list[str] = [
    "topics",
    "worker",
    "validate",
    "produce",
    "import_postings",
    "simulate",
    "portal",
    "recs",
    "demo",
    "eval",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobmatch",
        description="Streaming job recommender: Kafka events in, live ranked lists in Redis out.",
        epilog="Configuration comes from JOBMATCH_* environment variables (see README.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
