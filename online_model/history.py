"""What a seeker has done: applied and dismissed postings, applied occupations and employers,
and their recent engagements (click, save, apply, hire, dismiss).

:class:`SeekerHistory` is immutable; :meth:`SeekerHistory.with_interaction` returns a new
one. The worker keeps it in a Faust table as the JSON-able :meth:`SeekerHistory.to_obj`.

Bounds (so a long-lived seeker's state stays small):

* applied and dismissed posting ids: the most recent ``MAX_POSTINGS`` (500) of each;
* applied-occupation and applied-employer counts: the ``MAX_COUNTS`` (50) most recent keys;
* engagements: the ``MAX_ENGAGEMENTS`` (50) most recent (posting id, action, ts).

Engagements keep only ids, actions and times, never posting fields: the implicit profile
(:mod:`online_model.implicit`) is derived from them at rank time from the postings the
worker knows then, so a click that arrives before its posting (topics are not ordered with
each other) ranks the same once the posting is read, in the live worker as in a replay.

An event repeated (same action on the same posting) changes nothing: a posting already in
the applied set is not counted again, so a replayed or duplicated apply is idempotent as long
as the posting is still among the last 500 applied. An engagement already recorded (same
posting, action and ts) is not recorded again; the worker also drops a redelivered event by
its ``event_id`` before it reaches the history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.interactions import Interaction
from schemas.postings import Posting

MAX_POSTINGS = 500
MAX_COUNTS = 50
MAX_ENGAGEMENTS = 50

# Actions recorded as engagements: the positive ones feed the implicit profile, "dismiss"
# its negative side. Impressions say nothing about what the seeker likes.
ENGAGEMENT_ACTIONS = frozenset({"click", "save", "apply", "hire", "dismiss"})

# Actions that put a posting in the applied set ("hire" implies an application).
_APPLY_ACTIONS = frozenset({"apply", "hire"})


def _bump(counts: tuple[tuple[str, int], ...], key: str) -> tuple[tuple[str, int], ...]:
    # Most recently bumped key last; the oldest keys fall off beyond MAX_COUNTS.
    current = dict(counts)
    n = current.pop(key, 0) + 1
    items = [*current.items(), (key, n)]
    return tuple(items[-MAX_COUNTS:])


@dataclass(frozen=True, slots=True)
class SeekerHistory:
    """Applied and dismissed postings of a seeker, and counts by occupation and employer.

    Parameters
    ----------
    applied
        Posting ids applied to, oldest first (at most ``MAX_POSTINGS``).
    dismissed
        Posting ids dismissed, oldest first (at most ``MAX_POSTINGS``).
    occupation_counts
        (occupation code, applies) pairs, least recently bumped first.
    employer_counts
        (employer id, applies) pairs, least recently bumped first.
    engagements
        (posting id, action, ts) of the last ``MAX_ENGAGEMENTS`` engagements, oldest first.

    Examples
    --------
    >>> from schemas.interactions import Interaction
    >>> from schemas.postings import Posting
    >>> p = Posting("P1", "E1", "(주)한빛", "지게차 운전원", 0, occupation_code="07C")
    >>> h = SeekerHistory().with_interaction(Interaction("ev1", 1, "S1", "P1", "apply"), p)
    >>> h.has_applied("P1"), h.occupation_count("07C"), h.employer_count("E1")
    (True, 1, 1)
    >>> h.with_interaction(Interaction("ev1", 1, "S1", "P1", "apply"), p) == h  # idempotent
    True
    >>> h = h.with_interaction(Interaction("ev2", 2, "S1", "P2", "click"), None)
    >>> h.engagements
    (('P1', 'apply', 1), ('P2', 'click', 2))
    >>> SeekerHistory.from_obj(h.to_obj()) == h
    True
    >>> SeekerHistory.from_obj({"applied": ["P1"]}).engagements  # stored before engagements
    ()
    """

    applied: tuple[str, ...] = ()
    dismissed: tuple[str, ...] = ()
    occupation_counts: tuple[tuple[str, int], ...] = ()
    employer_counts: tuple[tuple[str, int], ...] = ()
    engagements: tuple[tuple[str, str, int], ...] = ()
    _applied_set: frozenset[str] = field(default=frozenset(), init=False, compare=False)
    _dismissed_set: frozenset[str] = field(default=frozenset(), init=False, compare=False)
    _occupations: Mapping[str, int] = field(default_factory=dict, init=False, compare=False)
    _employers: Mapping[str, int] = field(default_factory=dict, init=False, compare=False)

    def __post_init__(self) -> None:
        # Lookup forms built once; the dataclass is frozen, hence object.__setattr__.
        object.__setattr__(self, "_applied_set", frozenset(self.applied))
        object.__setattr__(self, "_dismissed_set", frozenset(self.dismissed))
        object.__setattr__(self, "_occupations", dict(self.occupation_counts))
        object.__setattr__(self, "_employers", dict(self.employer_counts))

    def has_applied(self, posting_id: str) -> bool:
        """Whether the seeker applied to this posting (within the bound)."""
        return posting_id in self._applied_set

    def has_dismissed(self, posting_id: str) -> bool:
        """Whether the seeker dismissed this posting (within the bound)."""
        return posting_id in self._dismissed_set

    def occupation_count(self, code: str | None) -> int:
        """Applies in occupation ``code`` (0 for None)."""
        return self._occupations.get(code, 0) if code else 0

    def employer_count(self, employer_id: str) -> int:
        """Applies to ``employer_id``."""
        return self._employers.get(employer_id, 0)

    @property
    def occupations(self) -> Mapping[str, int]:
        """Occupation code to applies (read-only view)."""
        return self._occupations

    @property
    def employers(self) -> Mapping[str, int]:
        """Employer id to applies (read-only view)."""
        return self._employers

    def with_interaction(self, interaction: Interaction, posting: Posting | None) -> SeekerHistory:
        """The history after ``interaction``; ``self`` when it changes nothing.

        Parameters
        ----------
        interaction
            Any interaction; clicks, saves, applies, hires and dismissals are recorded as
            engagements, applies/hires and dismissals also in the applied/dismissed sets.
        posting
            The posting acted on, for the occupation and employer counts; None when it is
            no longer known (the posting id is still recorded).
        """
        pid = interaction.posting_id
        action = interaction.action
        if action not in ENGAGEMENT_ACTIONS:
            return self
        engagement = (pid, action, int(interaction.ts))
        new_engagement = engagement not in self.engagements
        engagements = (
            (*self.engagements, engagement)[-MAX_ENGAGEMENTS:]
            if new_engagement
            else self.engagements
        )
        applied, dismissed = self.applied, self.dismissed
        occupations, employers = self.occupation_counts, self.employer_counts
        if action in _APPLY_ACTIONS and pid not in self._applied_set:
            if posting is not None:
                if posting.occupation_code:
                    occupations = _bump(occupations, posting.occupation_code)
                employers = _bump(employers, posting.employer_id)
            applied = (*applied, pid)[-MAX_POSTINGS:]
        elif action == "dismiss" and pid not in self._dismissed_set:
            dismissed = (*dismissed, pid)[-MAX_POSTINGS:]
        elif not new_engagement:
            return self
        return SeekerHistory(
            applied=applied,
            dismissed=dismissed,
            occupation_counts=occupations,
            employer_counts=employers,
            engagements=engagements,
        )

    def to_obj(self) -> dict[str, Any]:
        """A JSON-able dict (lists and objects only); :meth:`from_obj` restores it."""
        return {
            "applied": list(self.applied),
            "dismissed": list(self.dismissed),
            "occupations": [[k, n] for k, n in self.occupation_counts],
            "employers": [[k, n] for k, n in self.employer_counts],
            "engagements": [[p, a, t] for p, a, t in self.engagements],
        }

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any]) -> SeekerHistory:
        """The history that :meth:`to_obj` wrote.

        Raises
        ------
        ValueError
            When ``obj`` is not such a dict.
        """
        try:
            return cls(
                applied=tuple(str(p) for p in obj.get("applied", ())),
                dismissed=tuple(str(p) for p in obj.get("dismissed", ())),
                occupation_counts=tuple((str(k), int(n)) for k, n in obj.get("occupations", ())),
                employer_counts=tuple((str(k), int(n)) for k, n in obj.get("employers", ())),
                # Absent from histories stored before engagements were recorded.
                engagements=tuple(
                    (str(p), str(a), int(t)) for p, a, t in obj.get("engagements", ())
                ),
            )
        except (TypeError, ValueError, AttributeError) as err:
            raise ValueError(
                f"not a SeekerHistory object ({err}): expected the dict that to_obj() writes"
            ) from None


EMPTY_HISTORY = SeekerHistory()
