"""The people and jobs of the market, with what they show and what they hide.

Each posting and seeker carries the public record the contract sends (a
:class:`~schemas.postings.Posting`, a :class:`~schemas.profiles.Profile`) and hidden truth
no feature sees directly: a posting's real occupation and place (even when the record
lacks the code) and its attractiveness; a seeker's real occupations and taste.

Pure: every function draws from the ``random.Random`` it is given, so a seed fixes it all.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone

from schemas.postings import Posting, Wage
from schemas.profiles import DesiredWage, Profile
from simulator.geography import Geography, Place
from simulator.vocabulary import (
    DAYS_PER_MONTH,
    EDUCATION_MIXES,
    EMPLOYMENT_MIXES,
    GENERIC_SKILLS,
    HOURS_PER_MONTH,
    LEGAL_FORMS,
    MINIMUM_HOURLY_WAGE,
    MONTHS_PER_YEAR,
    NAME_STEMS,
    NAME_SUFFIXES,
    TITLE_PATTERNS,
    WAGE_TYPES,
    OccupationProfile,
)

KST = timezone(timedelta(hours=9))
DAY_MS = 86_400_000

# Occupations that need a licence: their postings nearly always name the certificate.
LICENSED = frozenset({"036", "037", "038", "041", "042", "043", "044", "068", "071", "07A", "084"})
# Occupations where seekers over 50 are common on 고용24 (경비, 청소, 돌봄, 단순노무).
OLDER_LEANING = frozenset({"067", "069", "068", "06A", "086", "135", "126", "07A", "131"})

AGE_MIX: tuple[tuple[str, float], ...] = (
    ("15-29", 0.21),
    ("30-39", 0.19),
    ("40-49", 0.20),
    ("50-59", 0.21),
    ("60+", 0.19),
)
AGE_MIX_OLDER: tuple[tuple[str, float], ...] = (
    ("15-29", 0.08),
    ("30-39", 0.10),
    ("40-49", 0.17),
    ("50-59", 0.30),
    ("60+", 0.35),
)
# Years of career a seeker of each age band can have.
CAREER_RANGE: dict[str, tuple[int, int]] = {
    "15-29": (0, 6),
    "30-39": (0, 15),
    "40-49": (0, 25),
    "50-59": (0, 35),
    "60+": (0, 45),
}
# A seeker's education, by the usual level of their main occupation.
SEEKER_EDUCATION: dict[str, tuple[tuple[str, float], ...]] = {
    "0": (("01", 0.05), ("02", 0.10), ("03", 0.52), ("04", 0.17), ("05", 0.16)),
    "3": (("02", 0.03), ("03", 0.45), ("04", 0.25), ("05", 0.27)),
    "4": (("03", 0.20), ("04", 0.40), ("05", 0.35), ("06", 0.05)),
    "5": (("03", 0.05), ("04", 0.18), ("05", 0.62), ("06", 0.12), ("07", 0.03)),
}
HEADCOUNTS: tuple[tuple[int | None, float], ...] = (
    (1, 0.45),
    (2, 0.18),
    (3, 0.12),
    (5, 0.10),
    (10, 0.05),
    (None, 0.10),
)


def pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    """One value of a ``(value, weight)`` mix."""
    x = rng.random() * sum(w for _, w in mix)
    for value, weight in mix:
        x -= weight
        if x < 0:
            return value
    return mix[-1][0]


def ms_to_date(ms: int) -> date:
    """The Korean calendar date of an epoch-millisecond instant."""
    return datetime.fromtimestamp(ms / 1000, KST).date()


def date_to_ms(day: date) -> int:
    """Midnight KST at the start of ``day``, in epoch milliseconds."""
    return (
        int(datetime(day.year, day.month, day.day, tzinfo=KST).astimezone(UTC).timestamp()) * 1000
    )


def to_monthly(wage_type: str, amount: float) -> float:
    """Pay in KRW per month, whatever period it was quoted for."""
    if wage_type == "hourly":
        return amount * HOURS_PER_MONTH
    if wage_type == "daily":
        return amount * DAYS_PER_MONTH
    if wage_type == "annual":
        return amount / MONTHS_PER_YEAR
    return amount


def from_monthly(wage_type: str, monthly: float) -> int:
    """Monthly pay quoted the way job sites quote that period, never below the minimum wage."""
    if wage_type == "hourly":
        return max(MINIMUM_HOURLY_WAGE, int(round(monthly / HOURS_PER_MONTH, -1)))
    floor = MINIMUM_HOURLY_WAGE * HOURS_PER_MONTH
    monthly = max(monthly, floor)
    if wage_type == "daily":
        return int(round(monthly / DAYS_PER_MONTH, -3))
    if wage_type == "annual":
        return int(round(monthly * MONTHS_PER_YEAR, -6))  # 만원 steps of 100: "3,200만원"
    return int(round(monthly, -4))


@dataclass(slots=True)
class Employer:
    """A company that posts jobs: a skewed share of postings, a home 시군구."""

    employer_id: str
    name: str
    group: str  # top-level occupation code of its business
    home: Place
    weight: float  # relative share of the market's postings


@dataclass(slots=True)
class PostingState:
    """A posting's public record plus what no feature sees."""

    index: int
    posting: Posting
    occupation: str  # real middle-level occupation, set even when the record has none
    place: Place  # real place, set even when the record has no region code
    attractiveness: float  # hidden appeal (pay extras, reputation, workplace)
    capacity: int  # hires that fill it
    expires_at: int | None  # when the deadline passes (ms), None: 채용시까지
    hires: int = 0
    open: bool = True
    closed_at: int | None = None


@dataclass(slots=True)
class Taste:
    """A seeker's hidden preference: weights of the utility, threshold, noise, activity."""

    occupation: float
    region: float
    wage: float
    employment: float
    skills: float
    certificates: float
    threshold: float  # would apply when utility exceeds it
    noise: float  # spread of the session noise added on top of the utility
    sessions_per_day: float


@dataclass(slots=True)
class SeekerState:
    """A seeker's current profile plus hidden occupations and taste."""

    index: int
    occupations: tuple[str, ...]  # what they really want, first = main
    profile: Profile
    taste: Taste
    active: bool = True
    deactivated_at: int | None = None
    applied: set[int] = field(default_factory=set)
    clicked: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)

    @property
    def seeker_id(self) -> str:
        return self.profile.seeker_id


def seeker_id(index: int) -> str:
    return f"S{index + 1:06d}"


def posting_id(index: int) -> str:
    return f"P{index + 1:06d}"


def employer_id(index: int) -> str:
    return f"E{index + 1:05d}"


def index_of(entity_id: str) -> int:
    """``"P000123"`` -> 122, the position in the market's tables."""
    return int(entity_id[1:]) - 1


class Generator:
    """Draws employers, postings, seekers and profile changes from one ``random.Random``."""

    def __init__(
        self, rng: random.Random, geo: Geography, occupations: dict[str, OccupationProfile]
    ) -> None:
        self.rng = rng
        self.geo = geo
        self.occupations = occupations
        codes = list(occupations)
        self._codes = codes
        self._posting_cum = _cumulative([occupations[c].posting_weight for c in codes])
        self._seeker_cum = _cumulative([occupations[c].seeker_weight for c in codes])
        self._by_group: dict[str, list[str]] = {}
        for code in codes:
            self._by_group.setdefault(occupations[code].top, []).append(code)
        groups = sorted(self._by_group)
        self._groups = groups
        self._group_cum = _cumulative(
            [sum(occupations[c].posting_weight for c in self._by_group[g]) for g in groups]
        )

    # --- employers -------------------------------------------------------------------

    def employers(self, count: int) -> list[Employer]:
        """``count`` employers; a few big ones hold many postings (Zipf-like weights)."""
        rng = self.rng
        out = []
        for i in range(count):
            group = rng.choices(self._groups, cum_weights=self._group_cum)[0]
            # Jobs concentrate in 수도권 a little more than people do.
            home = self.geo.sample_place(rng, self.geo.sample_sido(rng, capital_boost=1.15))
            name = (
                pick(rng, LEGAL_FORMS) + rng.choice(NAME_STEMS) + rng.choice(NAME_SUFFIXES[group])
            )
            weight = min(rng.paretovariate(1.3), 60.0)  # a few staffing firms post a lot
            out.append(Employer(employer_id(i), name, group, home, weight))
        return out

    # --- postings --------------------------------------------------------------------

    def posting(
        self, index: int, employer: Employer, posted_at: int, open_from: int
    ) -> PostingState:
        """A new posting of ``employer`` posted at ``posted_at`` and still open at ``open_from``."""
        rng = self.rng
        if rng.random() < 0.75:
            group_codes = self._by_group[employer.group]
            weights = [self.occupations[c].posting_weight for c in group_codes]
            code = rng.choices(group_codes, weights=weights)[0]
        else:
            code = rng.choices(self._codes, cum_weights=self._posting_cum)[0]
        occ = self.occupations[code]
        roll = rng.random()
        if roll < 0.80:
            place = employer.home
        elif roll < 0.92:
            place = self.geo.sample_place(rng, employer.home.sido)
        else:
            place = self.geo.sample_place(rng, self.geo.sample_sido(rng, capital_boost=1.15))

        job = rng.choice(occ.jobs)
        short_name = employer.name.replace("(주)", "").replace("주식회사 ", "").replace("(유)", "")
        title = pick(rng, TITLE_PATTERNS).format(
            job=job, area=place.display.split(" ")[0], employer=short_name
        )
        career_min = rng.choices((0, 1, 2, 3, 5, 10), weights=(55, 12, 10, 12, 8, 3))[0]
        career_max = career_min + rng.randint(2, 10) if rng.random() < 0.2 else None
        education = pick(rng, EDUCATION_MIXES[occ.education])
        kinds = [pick(rng, EMPLOYMENT_MIXES[occ.employment])]
        if rng.random() < 0.25:
            other = pick(rng, EMPLOYMENT_MIXES[occ.employment])
            if other not in kinds:
                kinds.append(other)
        skills = rng.sample(occ.skills, k=min(len(occ.skills), rng.randint(1, 3)))
        if rng.random() < 0.10:
            extra = rng.choice(GENERIC_SKILLS)
            if extra not in skills:
                skills.append(extra)
        certificates: list[str] = []
        if occ.certificates and rng.random() < (0.85 if code in LICENSED else 0.30):
            certificates.append(rng.choice(occ.certificates))
        headcount = rng.choices([h for h, _ in HEADCOUNTS], weights=[w for _, w in HEADCOUNTS])[0]
        capacity = headcount if headcount is not None else rng.randint(1, 3)

        deadline: str | None = None
        expires_at: int | None = None
        if rng.random() < 0.70:
            posted_day = ms_to_date(posted_at)
            first_day = ms_to_date(open_from)
            days = rng.randint(7, 45)
            day = posted_day + timedelta(days=days)
            if day < first_day:  # an initial posting must still be open at the start
                day = first_day + timedelta(days=rng.randint(0, 20))
            deadline = day.isoformat()
            # The site closes a posting in its nightly batch after the last day.
            expires_at = date_to_ms(day + timedelta(days=1)) + rng.randint(0, 1_800_000)

        posting = Posting(
            posting_id=posting_id(index),
            employer_id=employer.employer_id,
            employer_name=employer.name,
            title=title,
            posted_at=posted_at,
            description=(
                f"{employer.name}에서 {job}을(를) 채용합니다. 근무지: {place.display}. "
                f"우대: {', '.join(skills)}."
            ),
            occupation_code=code if rng.random() < 0.85 else None,
            region_code=place.code if rng.random() < 0.90 else None,
            region_name=place.display,
            wage=self._wage(occ, career_min) if rng.random() >= 0.15 else None,
            education_min=education,
            career_min_years=career_min,
            career_max_years=career_max,
            employment_types=tuple(kinds),  # type: ignore[arg-type]
            skills=tuple(skills),
            certificates=tuple(certificates),
            headcount=headcount,
            deadline=deadline,
        )
        return PostingState(
            index=index,
            posting=posting,
            occupation=code,
            place=place,
            attractiveness=rng.gauss(0.0, 0.5),
            capacity=capacity,
            expires_at=expires_at,
        )

    def _wage(self, occ: OccupationProfile, career_min: int) -> Wage:
        rng = self.rng
        wage_type = pick(rng, WAGE_TYPES[occ.wage_kind])
        monthly = occ.median_monthly * math.exp(rng.gauss(0.0, 0.15)) * (1 + 0.03 * career_min)
        low = from_monthly(wage_type, monthly)
        high = None
        if rng.random() < 0.5:
            high = max(low, from_monthly(wage_type, monthly * rng.uniform(1.05, 1.4)))
        return Wage(wage_type, low, high)  # type: ignore[arg-type]

    # --- seekers ---------------------------------------------------------------------

    def seeker(self, index: int) -> SeekerState:
        """A new seeker with hidden occupations and taste and the profile they publish."""
        rng = self.rng
        main = rng.choices(self._codes, cum_weights=self._seeker_cum)[0]
        occupations = [main]
        for _ in range(rng.choices((0, 1, 2), weights=(45, 35, 20))[0]):
            if rng.random() < 0.6:
                group_codes = self._by_group[self.occupations[main].top]
                code = rng.choice(group_codes)
            else:
                code = rng.choices(self._codes, cum_weights=self._seeker_cum)[0]
            if code not in occupations:
                occupations.append(code)
        occ = self.occupations[main]
        age_band = pick(rng, AGE_MIX_OLDER if main in OLDER_LEANING else AGE_MIX)
        education = pick(rng, SEEKER_EDUCATION[occ.education])
        if age_band == "60+" and rng.random() < 0.4:
            education = rng.choice(("01", "02", "03"))
        low, high = CAREER_RANGE[age_band]
        career = 0 if rng.random() < 0.25 else rng.randint(low, high)
        home = self.geo.sample_place(rng, self.geo.sample_sido(rng))

        desired_codes: tuple[str, ...] = ()
        if rng.random() < 0.85:
            desired_codes = tuple(occupations) if rng.random() < 0.7 else (main,)
        keywords = [k for c in occupations for k in self.occupations[c].keywords]
        titles: tuple[str, ...] = ()
        if not desired_codes or rng.random() < 0.4:
            titles = tuple(
                dict.fromkeys(rng.sample(keywords, k=min(len(keywords), rng.randint(1, 2))))
            )

        skill_pool = sorted({s for c in occupations for s in self.occupations[c].skills})
        skills = rng.sample(skill_pool, k=min(len(skill_pool), rng.randint(0, 5)))
        if rng.random() < 0.2:
            extra = rng.choice(GENERIC_SKILLS)
            if extra not in skills:
                skills.append(extra)
        cert_pool = sorted({c for o in occupations for c in self.occupations[o].certificates})
        certificates: list[str] = []
        if cert_pool and rng.random() < (0.8 if main in LICENSED else 0.45):
            certificates = rng.sample(cert_pool, k=min(len(cert_pool), rng.randint(1, 2)))

        kinds: list[str] = []
        if rng.random() < 0.9:
            kinds.append(pick(rng, EMPLOYMENT_MIXES[occ.employment]))
            if rng.random() < 0.45:
                other = pick(rng, EMPLOYMENT_MIXES[occ.employment])
                if other not in kinds:
                    kinds.append(other)
            if age_band == "60+" and "part_time" not in kinds and rng.random() < 0.4:
                kinds.append("part_time")

        profile = Profile(
            seeker_id=seeker_id(index),
            desired_occupation_codes=desired_codes,
            desired_titles=titles,
            desired_region_codes=self._desired_regions(home),
            home_region_code=home.code,
            desired_wage=self._desired_wage(occ, career) if rng.random() < 0.85 else None,
            education_level=education,
            career_years=career,
            skills=tuple(skills),
            certificates=tuple(certificates),
            employment_types=tuple(kinds),  # type: ignore[arg-type]
            age_band=age_band,
        )
        return SeekerState(index, tuple(occupations), profile, self._taste())

    def _desired_regions(self, home: Place) -> tuple[str, ...]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return (home.code,)
        if roll < 0.55:
            near = self.geo.sample_place(rng, home.sido)
            return tuple(dict.fromkeys((home.code, near.code)))
        if roll < 0.78:
            return (home.sido,)
        if roll < 0.90:
            return (home.code, home.sido)
        if roll < 0.95 and home.sido in ("11", "28", "41"):
            # 수도권 commuters often accept the whole capital area.
            return tuple(sorted({home.sido, "11", "41"}))
        return ()

    def _desired_wage(self, occ: OccupationProfile, career: int) -> DesiredWage:
        rng = self.rng
        kind = occ.wage_kind
        if kind == "H" and rng.random() < 0.5:
            wage_type = "hourly"
        elif kind == "D" and rng.random() < 0.5:
            wage_type = "daily"
        elif kind == "A" and rng.random() < 0.6:
            wage_type = "annual"
        else:
            wage_type = "monthly"
        monthly = occ.median_monthly * rng.uniform(0.72, 1.0) * (1 + 0.02 * min(career, 15))
        return DesiredWage(wage_type, from_monthly(wage_type, monthly))  # type: ignore[arg-type]

    def _taste(self) -> Taste:
        rng = self.rng

        def spread(base: float) -> float:
            return base * math.exp(rng.gauss(0.0, 0.25))

        return Taste(
            occupation=spread(2.0),
            region=spread(1.2),
            wage=spread(1.0),
            employment=spread(0.4),
            skills=spread(0.6),
            certificates=spread(0.5),
            threshold=rng.gauss(2.7, 0.35),
            noise=rng.uniform(0.2, 1.0),
            sessions_per_day=0.4 * math.exp(rng.gauss(-0.18, 0.6)),  # mean about 0.4
        )

    # --- profile changes -------------------------------------------------------------

    def changed_profile(self, seeker: SeekerState) -> Profile | None:
        """The seeker's profile after one realistic edit, or None when nothing changes."""
        rng = self.rng
        p = seeker.profile
        kind = rng.choices(("wage", "skill", "certificate", "region"), weights=(35, 30, 15, 20))[0]
        if kind == "wage" and p.desired_wage is not None:
            amount = p.desired_wage.min * rng.uniform(0.92, 1.08)
            monthly = to_monthly(p.desired_wage.type, amount)
            new = DesiredWage(p.desired_wage.type, from_monthly(p.desired_wage.type, monthly))
            return _replace_profile(p, desired_wage=new)
        if kind == "skill":
            pool = [s for c in seeker.occupations for s in self.occupations[c].skills]
            fresh = [s for s in dict.fromkeys(pool) if s not in p.skills]
            if fresh and len(p.skills) < 50:
                return _replace_profile(p, skills=(*p.skills, rng.choice(fresh)))
        if kind == "certificate":
            pool = [c for o in seeker.occupations for c in self.occupations[o].certificates]
            fresh = [c for c in dict.fromkeys(pool) if c not in p.certificates]
            if fresh and len(p.certificates) < 30:
                return _replace_profile(p, certificates=(*p.certificates, rng.choice(fresh)))
        if kind == "region" and p.home_region_code is not None:
            home = self.geo.place(p.home_region_code)
            extra = self.geo.sample_place(rng, home.sido).code if rng.random() < 0.7 else home.sido
            if extra not in p.desired_region_codes and len(p.desired_region_codes) < 30:
                return _replace_profile(p, desired_region_codes=(*p.desired_region_codes, extra))
        return None


def _replace_profile(profile: Profile, **changes: object) -> Profile:
    return replace(profile, **changes)  # type: ignore[arg-type]


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
