"""``jobmatch eval --replay``: replay contract events from JSON Lines, score held-out pairs.

Inputs are JSON Lines in the public contract's format (one event a line, as the Kafka
topics carry them). A directory stands for its ``postings.jsonl``, ``profiles.jsonl``,
``interactions.jsonl`` (any present) and, unless ``--held-out`` names one,
``held_out.jsonl``. A file's topic family comes from its name (``postings``,
``profiles`` or ``interactions`` in it), else from each line's keys. Bad lines are
reported with file, line and field, counted as rejected, and skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import orjson

from online_model.replay import REPLAY_MODELS, ReplayResult, replay
from schemas import Event, ValidationError, event_from_obj

FAMILIES = ("postings", "profiles", "interactions")
HELD_OUT_NAME = "held_out.jsonl"
MAX_REPORTED = 20  # bad lines printed; the rest are only counted


class Rejections:
    """Counts bad lines and reports the first few on ``out``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def add(self, path: Path, number: int, problem: str) -> None:
        self.count += 1
        if self.count <= MAX_REPORTED:
            print(f"rejected {path}:{number}: {problem}", file=self.out)
        elif self.count == MAX_REPORTED + 1:
            print("rejected: more bad lines; only counting from here", file=self.out)


def input_files(paths: Sequence[Path]) -> tuple[list[Path], Path | None]:
    """The event files named by ``paths`` and a directory's held-out file, if any."""
    events: list[Path] = []
    held_out: Path | None = None
    for path in paths:
        if path.is_dir():
            events += [path / f"{f}.jsonl" for f in FAMILIES if (path / f"{f}.jsonl").is_file()]
            if (path / HELD_OUT_NAME).is_file():
                held_out = path / HELD_OUT_NAME
        else:
            events.append(path)
    return events, held_out


def _family(path: Path, obj: object) -> str | None:
    for family in FAMILIES:
        if family in path.name:
            return family
    if not isinstance(obj, dict):
        return None
    if "action" in obj:
        return "interactions"
    if "posting" in obj:
        return "postings"
    if "profile" in obj or "seeker_id" in obj:
        return "profiles"
    return None


def read_events(paths: Sequence[Path], rejected: Rejections) -> list[tuple[str, Event]]:
    """Every valid event of ``paths``, sorted by ts (ties: postings, profiles, then
    interactions, each in file order), so that a posting is known before its clicks."""
    out: list[tuple[int, int, int, str, Event]] = []
    seq = 0
    for path in paths:
        for number, obj in _lines(path, rejected):
            family = _family(path, obj)
            if family is None:
                rejected.add(path, number, "not an event of postings, profiles or interactions")
                continue
            try:
                event = event_from_obj(family, obj)
            except ValidationError as exc:
                rejected.add(path, number, f"{family}: {exc}")
                continue
            seq += 1
            out.append((int(event.ts), FAMILIES.index(family), seq, family, event))
    out.sort(key=lambda row: row[:3])
    return [(family, event) for *_, family, event in out]


def read_held_out(path: Path, rejected: Rejections) -> dict[str, list[str]]:
    """``{seeker_id: [posting_id, ...]}`` of a held-out file of later pairs."""
    held: dict[str, list[str]] = {}
    for number, obj in _lines(path, rejected):
        problem = _pair_problem(obj)
        if problem is not None:
            rejected.add(path, number, problem)
            continue
        assert isinstance(obj, dict)
        held.setdefault(obj["seeker_id"], []).append(obj["posting_id"])
    return held


def _pair_problem(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    for key in ("seeker_id", "posting_id"):
        value = obj.get(key)
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            return f"{key}: expected an id string of 1-64 characters, got {value!r}"
    ts = obj.get("ts")
    if ts is not None and (not isinstance(ts, int) or isinstance(ts, bool)):
        return f"ts: expected epoch milliseconds (an integer), got {ts!r}"
    return None


def _lines(path: Path, rejected: Rejections) -> Iterator[tuple[int, Any]]:
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, after the generator ends
    except OSError as exc:
        raise FileNotFoundError(f"cannot read {path}: {exc.strerror}") from None
    with f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                rejected.add(path, number, f"not JSON ({exc})")


def run_replay(
    paths: Sequence[Path],
    held_out: Path | None,
    *,
    k: int,
    seed: int,
    progress: Any = None,
    err: TextIO | None = None,
) -> tuple[ReplayResult, dict[str, int]]:
    """Read, validate, replay and score; the result and the input counts."""
    event_files, dir_held_out = input_files(paths)
    held_path = held_out or dir_held_out
    if held_path is None:
        raise FileNotFoundError(
            "no held-out file: pass --held-out FILE or put held_out.jsonl in the directory"
        )
    if not event_files:
        raise FileNotFoundError(f"no event files in {', '.join(map(str, paths))}")
    rejected = Rejections(err if err is not None else sys.stderr)
    events = read_events(event_files, rejected)
    events_rejected = rejected.count
    held = read_held_out(held_path, rejected)
    result = replay(events, held, k=k, seed=seed, progress=progress)
    counts = {
        "events_read": len(events) + events_rejected,
        "events_rejected": events_rejected,
        "held_out_rejected": rejected.count - events_rejected,
    }
    return result, counts


def format_replay(result: ReplayResult, counts: dict[str, int]) -> str:
    """The models' hit rate and MRR, then the counts."""
    head = f"hit_rate@{result.k}"
    lines = [f"model       {head:>14}{'MRR':>10}"]
    for model in REPLAY_MODELS:
        row = result.models[model]
        hit, mrr = row[head], row["mrr"]
        lines.append(
            f"{model:<12}{'-' if hit is None else f'{hit:.4f}':>14}"
            f"{'-' if mrr is None else f'{mrr:.4f}':>10}"
        )
    every = {**counts, **result.counts}
    lines.append("")
    lines.append(", ".join(f"{name.replace('_', ' ')} {n}" for name, n in every.items()))
    return "\n".join(lines)
