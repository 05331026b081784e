"""Posting events (topic ``jobmatch.postings``, key ``posting_id``).

The dataclasses mirror the JSON of the public contract field for field (docs/events.md).
Validation and parsing from bytes live in :mod:`schemas.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WageType = Literal["hourly", "daily", "monthly", "annual"]
EmploymentType = Literal["regular", "contract", "part_time", "daily", "dispatch", "intern"]
PostingOp = Literal["upsert", "close"]

WAGE_TYPES: tuple[str, ...] = ("hourly", "daily", "monthly", "annual")
EMPLOYMENT_TYPES: tuple[str, ...] = (
    "regular",
    "contract",
    "part_time",
    "daily",
    "dispatch",
    "intern",
)
POSTING_OPS: tuple[str, ...] = ("upsert", "close")


@dataclass(frozen=True, slots=True)
class Wage:
    """Offered wage in KRW; ``max`` is None for an open-ended range ("3,000만원 이상")."""

    type: WageType
    min: int
    max: int | None = None


@dataclass(frozen=True, slots=True)
class Posting:
    """An open job posting: everything matching, filtering and display need."""

    posting_id: str
    employer_id: str
    employer_name: str
    title: str
    posted_at: int  # epoch milliseconds
    description: str = ""
    occupation_code: str | None = None  # 고용24 middle-level code, e.g. "07C"
    region_code: str | None = None  # 5-digit 시군구 code, e.g. "41590"
    region_name: str | None = None  # display text, e.g. "경기 화성시"
    wage: Wage | None = None  # None: 협의 (negotiable)
    education_min: str = "00"  # "00" 학력무관 .. "07" 박사
    career_min_years: int = 0
    career_max_years: int | None = None
    employment_types: tuple[EmploymentType, ...] = ()
    skills: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    headcount: int | None = None
    deadline: str | None = None  # "YYYY-MM-DD"; None: 채용시까지 (until filled)


@dataclass(frozen=True, slots=True)
class PostingEvent:
    """One message of ``jobmatch.postings``.

    ``posting`` is set for ``op == "upsert"``; a ``close`` carries only ``posting_id``.
    """

    event_id: str
    ts: int  # event time, epoch milliseconds
    op: PostingOp
    posting_id: str
    posting: Posting | None = None
    v: int = 1
