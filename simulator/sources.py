"""Where recommendation lists come from: the ``ListSource`` protocol.

The simulator asks a source for the current lists of the seekers that start a session in
the next few simulated minutes, in one batch call. The live source reads Redis
(:class:`simulator.runner.RedisListSource`); the offline evaluation passes its own
in-process recommender; without a source every session is an organic search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class ListSource(Protocol):
    """Anything that returns the live list of each asked seeker, best first."""

    def get_lists(self, seeker_ids: Sequence[str]) -> Mapping[str, Sequence[str]]:
        """``{seeker_id: [posting_id, ...]}``; a missing or empty list means "no list"."""
        ...


class StaticListSource:
    """Fixed lists, for tests and scripted demos."""

    def __init__(self, lists: Mapping[str, Sequence[str]]) -> None:
        self.lists = {k: list(v) for k, v in lists.items()}
        self.calls = 0

    def get_lists(self, seeker_ids: Sequence[str]) -> dict[str, list[str]]:
        self.calls += 1
        return {s: self.lists[s] for s in seeker_ids if s in self.lists}
