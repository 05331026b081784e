"""What the live engine tells its sink to write: one value per list that changed.

A sink (Redis, or memory in tests) renders a seeker's list when it writes it, so a change
names the list, not its contents: many changes to one list between two writes cost one
write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SeekerListChanged:
    """A seeker's list changed: whole (``posting_ids`` None; a deleted list too) or only
    the members named (joined, left or re-scored)."""

    seeker_id: str
    reason: str
    posting_ids: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class EmployerListChanged:
    """Members entered (with their score) or left a posting's employer list."""

    posting_id: str
    add: Mapping[str, float] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    expire_at: int = 0  # unix seconds after which the list may go; 0: none


@dataclass(frozen=True, slots=True)
class EmployerListDropped:
    """The posting closed: its employer list goes."""

    posting_id: str


Change = SeekerListChanged | EmployerListChanged | EmployerListDropped
