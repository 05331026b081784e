"""What a worker stores per seeker (the ``seekers`` table) and how events change it.

The table value is the seeker's latest profile with its version, their interaction
history, and the ids of recent events that changed the state, so a redelivered event
changes nothing. Pure functions only: the agents call them and write the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from online_model.history import SeekerHistory
from schemas import profile_from_obj, to_obj
from schemas.interactions import Interaction
from schemas.postings import Posting
from schemas.profiles import Profile, ProfileEvent

Outcome = Literal["applied", "duplicate", "stale"]

# How many event ids to remember per seeker for de-duplication. Redelivery after a crash
# or a rebalance replays at most the events since the last commit (seconds of traffic),
# so a few hundred per seeker is ample.
RECENT_EVENT_IDS = 256

# Interactions that change what a seeker's list may hold (applied and dismissed postings
# are filtered out) or what their history says (engagements feed the implicit profile).
STATE_CHANGING_ACTIONS = frozenset({"apply", "dismiss", "hire", "save", "click"})


@dataclass(frozen=True)
class SeekerState:
    """One seeker as the worker that owns their partition knows them."""

    profile: Profile | None = None  # None: no profile yet, or deactivated
    profile_version: tuple[int, str] = (0, "")  # (ts, event_id) of the last profile event
    history: SeekerHistory = field(default_factory=SeekerHistory)
    recent_event_ids: tuple[str, ...] = ()
    last_event_ms: int = 0

    @property
    def active(self) -> bool:
        return self.profile is not None

    def seen(self, event_id: str) -> bool:
        return event_id in self.recent_event_ids

    def remember(self, event_id: str, ts: int) -> SeekerState:
        recent = (*self.recent_event_ids, event_id)[-RECENT_EVENT_IDS:]
        return replace(self, recent_event_ids=recent, last_event_ms=max(self.last_event_ms, ts))

    def to_obj(self) -> dict[str, object]:
        """JSON-able form, the ``seekers`` table value (Faust serializes it)."""
        return {
            "profile": to_obj(self.profile) if self.profile is not None else None,
            "profile_version": list(self.profile_version),
            "history": self.history.to_obj(),
            "recent": list(self.recent_event_ids),
            "last_event_ms": self.last_event_ms,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> SeekerState:
        profile = obj["profile"]
        return cls(
            profile=profile_from_obj(profile) if profile is not None else None,
            profile_version=(int(obj["profile_version"][0]), str(obj["profile_version"][1])),
            history=SeekerHistory.from_obj(obj["history"]),
            recent_event_ids=tuple(obj["recent"]),
            last_event_ms=int(obj["last_event_ms"]),
        )


def apply_profile_event(state: SeekerState, event: ProfileEvent) -> tuple[SeekerState, Outcome]:
    """Apply an upsert or deactivate unless it is a duplicate or older than what we have.

    Versions order by (ts, event_id), so two events with the same ts resolve the same way
    on every worker and in every replay.
    """
    if state.seen(event.event_id):
        return state, "duplicate"
    version = (event.ts, event.event_id)
    if version <= state.profile_version:
        return state, "stale"
    profile = event.profile if event.op == "upsert" else None
    updated = replace(state, profile=profile, profile_version=version)
    return updated.remember(event.event_id, event.ts), "applied"


def apply_interaction(
    state: SeekerState, interaction: Interaction, posting: Posting | None
) -> tuple[SeekerState, Outcome]:
    """Fold an interaction into the seeker's history.

    Impressions change no state (the trainer de-duplicates them by event id); clicks,
    saves, applies, dismissals and hires do, and are de-duplicated here.
    """
    if interaction.action not in STATE_CHANGING_ACTIONS:
        return state, "applied"
    if state.seen(interaction.event_id):
        return state, "duplicate"
    history = state.history.with_interaction(interaction, posting)
    return replace(state, history=history).remember(interaction.event_id, interaction.ts), "applied"
