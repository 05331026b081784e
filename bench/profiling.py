"""Where a worker's time goes: sample it with py-spy and sort the samples into parts.

A worker does its work on one event-loop thread, so the share of that thread's samples
spent in each part (the agent of the family under test, the Redis writer, the trainer,
Kafka I/O, idle in ``select``) says what limits throughput. Timers around ``await``s
cannot say this: an agent suspended at an ``await`` is waiting for other tasks to run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# (part, markers): a main-thread sample belongs to the first part with a marker in its
# stack. Order matters: the innermost interesting frame decides, so specific parts come
# before the agents that call them.
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("idle (waiting in select)", ("EpollSelector.select", "BaseSelector.select")),
    ("closed postings leaving lists", ("posting_closed",)),
    ("new-posting fan-out", ("_fan_out",)),
    ("backfilling lists after closes (refill)", ("refill (",)),
    ("re-rank (rank_seeker)", ("rank_seeker (",)),
    ("employer lists", ("_offer_to_employers", "_set_employer")),
    ("training example (features of the pair)", ("training_example",)),
    ("validation (decode)", ("DeadLetterSink.decode", "decode_or_dead_letter")),
    ("Redis writer: render (features + reasons)", ("render_seeker", "render_posting")),
    ("Redis writer: send/receive", ("RedisWriter",)),
    ("Faust table write", ("Table.__setitem__", "Collection.__setitem__", "on_key_set")),
    ("Kafka produce (aiokafka sender)", ("aiokafka/producer",)),
    ("Kafka consume, Faust stream", ("aiokafka/consumer", "faust/transport", "faust/streams")),
    ("catalog feed, other", ("CatalogFeed", "TopicTail")),
    ("trainer", ("TrainerService",)),
    ("sweeper", ("sweeper",)),
    ("agent, other", ("register_agents", "_consume")),
    ("metrics, web, timers", ("prometheus_client", "aiohttp", "gauges", "update_consumer_lag")),
)
OTHER = "other (Faust/asyncio internals)"


def py_spy() -> str | None:
    """The py-spy executable next to this Python, or on PATH."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


@dataclass
class Breakdown:
    """Shares of the main thread's samples per part, largest first."""

    samples: int
    shares: list[tuple[str, float]]

    def top(self, n: int = 8) -> str:
        return "; ".join(f"{part} {share:.0%}" for part, share in self.shares[:n])

    def to_obj(self) -> dict[str, object]:
        return {"samples": self.samples, "shares": dict(self.shares)}


def record(pid: int, seconds: float, *, rate: int = 100) -> str | None:
    """Collapsed stacks of every thread of ``pid`` for ``seconds`` (idle samples included);
    None when py-spy is missing or may not attach (it needs ptrace)."""
    exe = py_spy()
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stacks.txt"
        done = subprocess.run(
            [exe, "record", "-p", str(pid), "-d", str(max(1, round(seconds))), "-r", str(rate),
             "-f", "raw", "-o", str(out), "--idle", "--threads", "--nonblocking"],
            capture_output=True,
            timeout=seconds + 60,
        )  # fmt: skip
        if done.returncode != 0 or not out.exists():
            return None
        return out.read_text()


def breakdown(raw: str) -> Breakdown:
    """Sort the main thread's samples of ``raw`` (py-spy ``-f raw``) into :data:`PARTS`."""
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if "MainThread" not in stack.split(";", 1)[0] or not n.isdigit():
            continue
        total += int(n)
        counts[_part(stack)] += int(n)
    shares = [(part, count / total) for part, count in counts.most_common()] if total else []
    return Breakdown(total, shares)


def _part(stack: str) -> str:
    for part, markers in PARTS:
        if any(marker in stack for marker in markers):
            return part
    return OTHER
