"""The Redis key layout of the public contract (DESIGN.md, "Redis (read side)").

Ids sit in braces, which Redis Cluster reads as a hash tag: a seeker's list, ``:meta`` and
``:why`` share one slot, so one script can replace them atomically on a cluster too.
"""

from __future__ import annotations

from dataclasses import dataclass

# Scores in Redis are integers: the pair's relevance (the model's probability) in
# billionths. Redis keeps a list of up to 128 members as a listpack, where an integer score
# takes 5 bytes and any other score its 17-digit decimal string: half the bytes per list.
SCORE_SCALE = 1_000_000_000
# A worker's marker (streams.redis_rebuild) outlives a worker that died without cleaning
# up by an hour, no longer; a running worker refreshes it every few seconds.
MARKER_TTL_S = 3600


def redis_score(score: float) -> int:
    """The integer score Redis stores for a relevance in [0, 1].

    >>> redis_score(0.8123456789)
    812345679
    """
    return round(score * SCORE_SCALE)


@dataclass(frozen=True)
class RedisKeys:
    """Key names under ``prefix`` (``jobmatch`` unless configured)."""

    prefix: str = "jobmatch"

    def seeker_list(self, seeker_id: str) -> str:
        return f"{self.prefix}:reco:seeker:{{{seeker_id}}}"

    def seeker_meta(self, seeker_id: str) -> str:
        return f"{self.seeker_list(seeker_id)}:meta"

    def seeker_why(self, seeker_id: str) -> str:
        return f"{self.seeker_list(seeker_id)}:why"

    def posting_list(self, posting_id: str) -> str:
        return f"{self.prefix}:reco:posting:{{{posting_id}}}"

    def posting_display(self, posting_id: str) -> str:
        return f"{self.prefix}:posting:{{{posting_id}}}"

    def worker_marker(self, worker: str) -> str:
        """A worker's marker: its absence tells the worker Redis lost its keys
        (streams.redis_rebuild)."""
        return f"{self.prefix}:worker:{{{worker}}}:marker"

    def seeker_list_pattern(self) -> str:
        return f"{self.prefix}:reco:seeker:{{*}}"
