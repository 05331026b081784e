"""What a portal shows: typed display fields of a posting, list items, and their sort orders.

Pure: no Redis and no HTTP. ``redis_reader`` fills these types from Redis, ``server`` turns
them into JSON. Frontends that read Redis themselves should sort the same way (docs/portal.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

# The recommender compares wages on the same monthly scale: 209 paid hours and 21.75 paid
# days per month (the 주 40시간 standard of the Korean minimum-wage notice).
HOURS_PER_MONTH = 209.0
DAYS_PER_MONTH = 21.75
_TO_MONTHLY = {"hourly": HOURS_PER_MONTH, "daily": DAYS_PER_MONTH, "monthly": 1.0, "annual": 1 / 12}

# The sort orders a portal offers, the first is the default.
SORTS = ("relevance", "wage", "deadline", "newest")


def monthly_wage(wage_type: str | None, amount: float | None) -> float | None:
    """An hourly, daily, monthly or annual amount in won per month; None if unknown.

    >>> monthly_wage("hourly", 10_000)
    2090000.0
    >>> monthly_wage("annual", 36_000_000)
    3000000.0
    >>> monthly_wage(None, 3_000_000) is None
    True
    """
    factor = _TO_MONTHLY.get(wage_type or "")
    if factor is None or amount is None:
        return None
    return round(amount * factor, 2)


def _text(fields: Mapping[str, str], name: str) -> str | None:
    value = fields.get(name)
    # Writers may store a JSON null or an empty string for "absent".
    if value is None or value in ("", "null", "None"):
        return None
    return value


def _number(fields: Mapping[str, str], name: str) -> int | None:
    value = _text(fields, name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None  # A bad field must not break the page: show it as absent.


def _date(fields: Mapping[str, str], name: str) -> str | None:
    value = _text(fields, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _string_list(value: str | None) -> tuple[str, ...]:
    """A JSON list of strings, or a comma-separated string; anything else is empty."""
    if not value:
        return ()
    if value.startswith("["):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return ()
        if isinstance(parsed, list):
            return tuple(str(item) for item in parsed if isinstance(item, str | int | float))
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class PostingDisplay:
    """The display fields of one posting; ``found`` is False when its hash is missing."""

    posting_id: str
    found: bool
    title: str | None = None
    employer_name: str | None = None
    region_name: str | None = None
    occupation_code: str | None = None
    wage_type: str | None = None
    wage_min: int | None = None
    wage_max: int | None = None
    deadline: str | None = None  # ISO date; None means 채용시까지 (until filled)
    posted_at: int | None = None  # epoch milliseconds
    employment_types: tuple[str, ...] = ()

    @classmethod
    def from_hash(cls, posting_id: str, fields: Mapping[str, str]) -> PostingDisplay:
        """Parse ``jobmatch:posting:{id}``; an empty mapping means the hash is missing."""
        if not fields:
            return cls(posting_id=posting_id, found=False)
        return cls(
            posting_id=posting_id,
            found=True,
            title=_text(fields, "title"),
            employer_name=_text(fields, "employer_name"),
            region_name=_text(fields, "region_name"),
            occupation_code=_text(fields, "occupation_code"),
            wage_type=_text(fields, "wage_type"),
            wage_min=_number(fields, "wage_min"),
            wage_max=_number(fields, "wage_max"),
            deadline=_date(fields, "deadline"),
            posted_at=_number(fields, "posted_at"),
            employment_types=_string_list(_text(fields, "employment_types")),
        )

    @property
    def monthly_wage(self) -> float | None:
        """The wage used for sorting: the lower bound (else the upper) on the monthly scale."""
        amount = self.wage_min if self.wage_min is not None else self.wage_max
        return monthly_wage(self.wage_type, amount)

    def to_json(self) -> dict[str, Any]:
        has_wage = self.wage_type is not None and (
            self.wage_min is not None or self.wage_max is not None
        )
        wage = (
            {
                "type": self.wage_type,
                "min": self.wage_min,
                "max": self.wage_max,
                "monthly": self.monthly_wage,
            }
            if has_wage
            else None  # 협의 (negotiable)
        )
        return {
            "found": self.found,
            "title": self.title,
            "employer_name": self.employer_name,
            "region_name": self.region_name,
            "occupation_code": self.occupation_code,
            "wage": wage,
            "deadline": self.deadline,
            "posted_at": self.posted_at,
            "employment_types": list(self.employment_types),
        }


@dataclass(frozen=True)
class ListItem:
    """One posting of a seeker's list; ``rank`` is its 1-based place by relevance."""

    rank: int
    posting_id: str
    score: float
    reasons: tuple[str, ...]
    posting: PostingDisplay

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "posting_id": self.posting_id,
            "score": self.score,
            "reasons": list(self.reasons),
            "posting": self.posting.to_json(),
        }


@dataclass(frozen=True)
class SeekerList:
    """A seeker's live list with the ``:meta`` of its last refresh (None when absent)."""

    seeker_id: str
    items: tuple[ListItem, ...]
    updated_at: int | None
    model_version: str | None
    reason: str | None

    def to_json(self, sort: str) -> dict[str, Any]:
        return {
            "seeker_id": self.seeker_id,
            "sort": sort,
            "updated_at": self.updated_at,
            "model_version": self.model_version,
            "reason": self.reason,
            "items": [item.to_json() for item in sort_items(self.items, sort)],
        }


@dataclass(frozen=True)
class Candidate:
    """One seeker in a posting's candidate list (the employers' view)."""

    rank: int
    seeker_id: str
    score: float


@dataclass(frozen=True)
class PostingCandidates:
    """A posting's display fields and its ranked candidates."""

    posting: PostingDisplay
    candidates: tuple[Candidate, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "posting_id": self.posting.posting_id,
            "posting": self.posting.to_json(),
            "candidates": [
                {"rank": c.rank, "seeker_id": c.seeker_id, "score": c.score}
                for c in self.candidates
            ],
        }


def parse_reasons(raw: str | None) -> tuple[str, ...]:
    """The ``:why`` value of one posting: a JSON list of short reasons; junk gives none.

    >>> parse_reasons('["희망 직종 일치", "거주지 인근"]')
    ('희망 직종 일치', '거주지 인근')
    >>> parse_reasons("not json")
    ()
    """
    if not raw or not raw.startswith("["):
        return ()
    return _string_list(raw)


def sort_items(items: Iterable[ListItem], sort: str) -> list[ListItem]:
    """Order list items for display.

    ``relevance``: best score first. ``wage``: highest monthly-equivalent wage first.
    ``deadline``: soonest deadline first. ``newest``: latest ``posted_at`` first. Items
    without the value (협의, 채용시까지, a missing display hash) go last; ties keep the
    relevance order.

    >>> def item(rank, wage):
    ...     posting = PostingDisplay(f"P{rank}", True, wage_type="monthly", wage_min=wage)
    ...     return ListItem(rank, f"P{rank}", 1 / rank, (), posting)
    >>> items = [item(1, 2_000_000), item(2, None), item(3, 3_000_000)]
    >>> [i.posting_id for i in sort_items(items, "wage")]
    ['P3', 'P1', 'P2']
    """
    by_rank = sorted(items, key=lambda i: i.rank)
    if sort == "relevance":
        return by_rank
    key = _SORT_KEYS.get(sort)
    if key is None:
        raise ValueError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    # sorted() is stable, so equal keys stay in relevance order.
    return sorted(by_rank, key=lambda i: key(i.posting))


# Sort keys of the non-default orders; the leading bool puts missing values last.
_SORT_KEYS: dict[str, Callable[[PostingDisplay], tuple[bool, Any]]] = {
    "wage": lambda p: (p.monthly_wage is None, -(p.monthly_wage or 0.0)),
    "deadline": lambda p: (p.deadline is None, p.deadline or ""),
    "newest": lambda p: (p.posted_at is None, -(p.posted_at or 0)),
}
