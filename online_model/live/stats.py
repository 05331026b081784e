"""What the live engine's lists look like, for the worker's gauges (the engine sets none).

Coverage, list length and (when asked) exposure per education level and age band, so a
skew against 고졸 or older seekers shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Group = tuple[str, str]  # (education level, age band); "unknown" when not stated


@dataclass
class ListStats:
    active: dict[Group, int] = field(default_factory=dict)
    with_list: dict[Group, int] = field(default_factory=dict)
    items: dict[Group, int] = field(default_factory=dict)
    # Share of open postings on some list of the group; None when not asked for.
    exposure_by_group: dict[Group, float] | None = None
    open_postings: int = 0
    exposed_postings: int = 0  # open postings on at least one list
    pending_sweep: int = 0

    @property
    def coverage(self) -> float:
        """Share of active seekers with a non-empty list."""
        n_active = sum(self.active.values())
        return sum(self.with_list.values()) / n_active if n_active else 0.0

    @property
    def exposure(self) -> float:
        return self.exposed_postings / self.open_postings if self.open_postings else 0.0
