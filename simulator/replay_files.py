"""Write a simulated run as the input of ``jobmatch eval --replay``.

Events before ``split_ms`` go, in the contract's JSON, to ``postings.jsonl``,
``profiles.jsonl`` and ``interactions.jsonl``; the clicks, saves and applies at or after
it become ``held_out.jsonl`` pairs (``seeker_id``, ``posting_id``, ``ts``).

>>> import tempfile
>>> from pathlib import Path
>>> from simulator import Market, MarketConfig
>>> market = Market.generate(MarketConfig(seekers=60, postings=50), seed=2)
>>> out = Path(tempfile.mkdtemp())
>>> split = market.config.start_ms + 86_400_000
>>> counts = write_replay_files(market.events(days=2), out, split_ms=split)
>>> sorted(p.name for p in out.iterdir())
['held_out.jsonl', 'interactions.jsonl', 'postings.jsonl', 'profiles.jsonl']
>>> counts["postings"] >= 50, counts["profiles"] >= 60
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson

from schemas import Event
from schemas.codec import encode

HELD_OUT_ACTIONS = frozenset({"click", "save", "apply"})


def write_replay_files(
    events: Iterable[tuple[str, Event]], directory: Path, *, split_ms: int
) -> dict[str, int]:
    """Write the four files into ``directory``; the lines written to each."""
    directory.mkdir(parents=True, exist_ok=True)
    names = ("postings", "profiles", "interactions", "held_out")
    files = {n: open(directory / f"{n}.jsonl", "wb") for n in names}  # noqa: SIM115
    counts = dict.fromkeys(names, 0)
    try:
        for family, event in events:
            if event.ts < split_ms:
                files[family].write(encode(event) + b"\n")
                counts[family] += 1
            elif family == "interactions" and getattr(event, "action", None) in HELD_OUT_ACTIONS:
                pair = {
                    "seeker_id": event.seeker_id,
                    "posting_id": event.posting_id,
                    "ts": event.ts,
                }  # type: ignore[union-attr]
                files["held_out"].write(orjson.dumps(pair) + b"\n")
                counts["held_out"] += 1
    finally:
        for f in files.values():
            f.close()
    return counts
