"""Interaction events (topic ``jobmatch.interactions``, key ``seeker_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["impression", "click", "save", "apply", "dismiss", "hire"]
Source = Literal["reco", "search", "other"]

ACTIONS: tuple[str, ...] = ("impression", "click", "save", "apply", "dismiss", "hire")
SOURCES: tuple[str, ...] = ("reco", "search", "other")


@dataclass(frozen=True, slots=True)
class Interaction:
    """A seeker saw or acted on a posting."""

    event_id: str
    ts: int
    seeker_id: str
    posting_id: str
    action: Action
    source: Source = "other"
    position: int | None = None  # 0-based rank shown, when known
    v: int = 1
