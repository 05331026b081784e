"""The Redis key layout of the public contract (DESIGN.md, "Redis (read side)").

Ids sit in braces, which Redis Cluster reads as a hash tag: a seeker's list, ``:meta`` and
``:why`` share one slot, so one script can replace them atomically on a cluster too.
"""

from __future__ import annotations

from dataclasses import dataclass


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

    def seeker_list_pattern(self) -> str:
        return f"{self.prefix}:reco:seeker:{{*}}"
