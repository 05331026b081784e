"""Seeker profile events (topic ``jobmatch.profiles``, key ``seeker_id``).

A profile holds what a seeker wants and can offer, never who they are: no names,
contact details or other direct identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.postings import EmploymentType, WageType

ProfileOp = Literal["upsert", "deactivate"]
PROFILE_OPS: tuple[str, ...] = ("upsert", "deactivate")

# Age bands as Korean labour statistics report them; optional, used only to watch
# coverage for skew against older seekers (never as a ranking feature).
AGE_BANDS: tuple[str, ...] = ("15-29", "30-39", "40-49", "50-59", "60+")


@dataclass(frozen=True, slots=True)
class DesiredWage:
    """The lowest wage a seeker accepts, in KRW per ``type`` period."""

    type: WageType
    min: int


@dataclass(frozen=True, slots=True)
class Profile:
    """What a seeker wants (occupations, titles, regions, wage) and offers."""

    seeker_id: str
    desired_occupation_codes: tuple[str, ...] = ()
    desired_titles: tuple[str, ...] = ()
    desired_region_codes: tuple[str, ...] = ()  # 2-digit 시도 or 5-digit 시군구
    home_region_code: str | None = None
    desired_wage: DesiredWage | None = None
    education_level: str | None = None  # "00".."07"
    career_years: int = 0
    skills: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    employment_types: tuple[EmploymentType, ...] = ()
    age_band: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileEvent:
    """One message of ``jobmatch.profiles``; ``profile`` is None for ``deactivate``."""

    event_id: str
    ts: int
    op: ProfileOp
    seeker_id: str
    profile: Profile | None = None
    v: int = 1
