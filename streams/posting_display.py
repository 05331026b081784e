"""A posting's display fields (``jobmatch:posting:{id}``) and the postings table record.

The postings agent keeps, per posting it owns, the version and display fields of the
latest event; the writer renders the Redis hash from it. Values are strings; a field
whose value is unknown (wage 협의, no deadline) is left out rather than written empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from online_model.live.engine import deadline_expire_at
from schemas.postings import Posting


@dataclass(frozen=True)
class PostingView:
    """A posting's display fields; ``expire_at`` (unix s, 0 = never) bounds its keys."""

    display: Mapping[str, str]
    expire_at: int = 0


def display_fields(posting: Posting) -> dict[str, str]:
    """What a portal needs to render and sort a list entry."""
    fields: dict[str, str | int | None] = {
        "title": posting.title,
        "employer_name": posting.employer_name,
        "employer_id": posting.employer_id,
        "region_name": posting.region_name,
        "occupation_code": posting.occupation_code,
        "deadline": posting.deadline,
        "posted_at": posting.posted_at,
        "employment_types": ",".join(posting.employment_types) or None,
    }
    if posting.wage is not None:
        fields["wage_type"] = posting.wage.type
        fields["wage_min"] = posting.wage.min
        fields["wage_max"] = posting.wage.max
    return {name: str(value) for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class PostingRecord:
    """The postings table value: the latest event's version and what to display."""

    version: tuple[int, str]  # (ts, event_id)
    open: bool
    display: dict[str, str]
    expire_at: int = 0

    @classmethod
    def of(cls, ts: int, event_id: str, posting: Posting | None) -> PostingRecord:
        if posting is None:
            return cls((ts, event_id), False, {})
        return cls((ts, event_id), True, display_fields(posting), deadline_expire_at(posting))

    def to_obj(self) -> dict[str, object]:
        """JSON-able form, the ``postings`` table value (Faust serializes it)."""
        return {
            "version": list(self.version),
            "open": self.open,
            "display": self.display,
            "expire_at": self.expire_at,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> PostingRecord:
        version = (int(obj["version"][0]), str(obj["version"][1]))
        return cls(version, bool(obj["open"]), dict(obj["display"]), int(obj["expire_at"]))

    def view(self) -> PostingView | None:
        return PostingView(self.display, self.expire_at) if self.open else None
