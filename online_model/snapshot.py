"""Versioned model snapshots: what the trainer publishes and every worker scores with.

Wire format (bytes)::

    b"JMSNAP1\\n" + sha256(body).hexdigest() + b"\\n" + body
    body = zlib.compress(orjson.dumps(payload))

The payload is plain JSON (no pickle: a snapshot read from Kafka must not be able to run
code). orjson writes floats in their shortest round-trip form, so weights, intercept and
statistics come back bit for bit and scores are identical after a round trip. Statistics
are kept only for postings that have any, and the body is compressed: a snapshot with
statistics for 50,000 postings is a few hundred kilobytes, far below Kafka's 16 MB.

Versions only increase: :class:`SnapshotStore` ignores a snapshot that is not newer than
the one it holds (a replayed or out-of-order message).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from online_model.context import PostingStat, PostingStats
from online_model.ranker import Ranker

MAGIC = b"JMSNAP1\n"
FORMAT = 1


class SnapshotError(ValueError):
    """The bytes are not an intact snapshot (truncated, corrupted, or another format)."""


@dataclass(frozen=True, slots=True, eq=False)
class Snapshot:
    """A trained model at one point: ranker, per-posting statistics, provenance.

    Parameters
    ----------
    version
        Increases by one with each snapshot of a trainer; workers keep the highest.
    created_at_ms
        Event time of the snapshot.
    ranker
        The model.
    stats
        Per-posting statistics for popularity and exploration.
    metrics
        The trainer's progressive metrics when the snapshot was taken (information).
    tokenizer
        Name of the tokenizer the features use (``"char2"``: character bigrams).
    """

    version: int
    created_at_ms: int
    ranker: Ranker = field(default_factory=Ranker)
    stats: PostingStats = field(default_factory=lambda: PostingStats({}))
    metrics: dict[str, float] = field(default_factory=dict)
    tokenizer: str = "char2"


def dumps(snapshot: Snapshot) -> bytes:
    """Serialize a snapshot with an integrity check (see the module docstring).

    Examples
    --------
    >>> data = dumps(Snapshot(version=3, created_at_ms=0))
    >>> data[:8], loads(data).version
    (b'JMSNAP1\\n', 3)
    """
    stats = snapshot.stats
    payload = {
        "format": FORMAT,
        "version": snapshot.version,
        "created_at_ms": snapshot.created_at_ms,
        "ranker": snapshot.ranker.get_state(),
        "stats": {
            "half_life_ms": stats.half_life_ms,
            "postings": [[pid, s.impressions, s.applies, s.updated_ms] for pid, s in stats.items()],
        },
        "metrics": snapshot.metrics,
        "tokenizer": snapshot.tokenizer,
    }
    body = zlib.compress(orjson.dumps(payload), 6)
    return MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def loads(data: bytes) -> Snapshot:
    """The snapshot :func:`dumps` wrote.

    Raises
    ------
    SnapshotError
        When the bytes are damaged or not a snapshot; the message says which.

    Examples
    --------
    >>> data = bytearray(dumps(Snapshot(version=1, created_at_ms=0)))
    >>> data[-1] ^= 1
    >>> loads(bytes(data))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    online_model.snapshot.SnapshotError: snapshot checksum mismatch: ...
    """
    if not data.startswith(MAGIC):
        raise SnapshotError(
            "not a jobmatch model snapshot (bad header): was this written by snapshot.dumps?"
        )
    digest_end = len(MAGIC) + 64
    digest, sep, body = (
        data[len(MAGIC) : digest_end],
        data[digest_end : digest_end + 1],
        data[digest_end + 1 :],
    )
    if sep != b"\n" or hashlib.sha256(body).hexdigest().encode() != digest:
        raise SnapshotError(
            "snapshot checksum mismatch: the bytes were damaged in transit or storage; "
            "take the next snapshot"
        )
    try:
        payload: dict[str, Any] = orjson.loads(zlib.decompress(body))
        if payload.get("format") != FORMAT:
            raise SnapshotError(
                f"snapshot format {payload.get('format')!r} is not {FORMAT}: upgrade this worker"
            )
        stats = payload["stats"]
        return Snapshot(
            version=int(payload["version"]),
            created_at_ms=int(payload["created_at_ms"]),
            ranker=Ranker.from_state(payload["ranker"]),
            stats=PostingStats(
                {
                    str(pid): PostingStat(float(imp), float(app), int(upd))
                    for pid, imp, app, upd in stats["postings"]
                },
                half_life_ms=float(stats["half_life_ms"]),
            ),
            metrics={str(k): float(v) for k, v in payload["metrics"].items()},
            tokenizer=str(payload["tokenizer"]),
        )
    except SnapshotError:
        raise
    except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise SnapshotError(
            f"snapshot payload is malformed ({err}): take the next snapshot"
        ) from None


class SnapshotStore:
    """Holds the newest snapshot seen; an older or equal version is refused.

    Examples
    --------
    >>> store = SnapshotStore()
    >>> store.offer(Snapshot(version=2, created_at_ms=0)), store.version
    (True, 2)
    >>> store.offer(Snapshot(version=1, created_at_ms=0)), store.version
    (False, 2)
    """

    def __init__(self, initial: Snapshot | None = None) -> None:
        self._current = initial

    @property
    def current(self) -> Snapshot | None:
        """The newest snapshot, or None before the first."""
        return self._current

    @property
    def version(self) -> int:
        """The version of the newest snapshot (0 before the first)."""
        return self._current.version if self._current is not None else 0

    def offer(self, snapshot: Snapshot) -> bool:
        """Keep ``snapshot`` if it is newer; return whether it was kept."""
        if snapshot.version <= self.version:
            return False
        self._current = snapshot
        return True

    def offer_bytes(self, data: bytes) -> bool:
        """:func:`loads` then :meth:`offer` (raises :class:`SnapshotError` on bad bytes)."""
        return self.offer(loads(data))
