"""The hidden preference: each seeker's utility for each posting, and who would apply.

utility = w_occupation · occupation match (real occupation: 1, same top group: 0.35)
        + w_region · region fit (same city 1, desired 시도 0.8, home 시도 0.45,
                                  neighbouring 시도 0, far -1)
        + w_wage · wage fit (offer / seeker's minimum - 1; below the minimum counts double;
                             협의 -0.15)
        + w_employment · employment type fit (+1 overlap, -1 none, 0 no preference)
        + w_skills · shared skills (up to 3) / 3
        + w_certificates · certificate fit (+1 has a listed one, -0.6 lacks all listed)
        - 1.5 if the posting asks for more education, - 0.6 for more than a year too little
          career
        + the posting's hidden attractiveness

The weights are the seeker's own (hidden :class:`~simulator.entities.Taste`);
``would_apply`` is ``utility > threshold``, deterministic: the noise of behaviour is added
elsewhere. Computed with numpy over many postings at once: sessions score a whole list in
one call, the ground truth a seeker against every posting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from schemas.postings import EMPLOYMENT_TYPES
from simulator.entities import PostingState, SeekerState, to_monthly
from simulator.geography import NEIGHBOURS, Geography, geography
from simulator.vocabulary import GENERIC_SKILLS, OccupationProfile, occupation_profiles

SAME_TOP_GROUP = 0.35
REGION_SAME_CITY = 1.0
REGION_DESIRED_SIDO = 0.8
REGION_HOME_SIDO = 0.45
REGION_NEIGHBOUR = 0.0
REGION_FAR = -1.0
WAGE_UNDISCLOSED = -0.15
CERTIFICATE_MISSING = -0.6
EDUCATION_SHORT = 1.5
CAREER_SHORT = 0.6

_EMPLOYMENT_BITS = {kind: 1 << i for i, kind in enumerate(EMPLOYMENT_TYPES)}


def employment_mask(kinds: tuple[str, ...]) -> int:
    mask = 0
    for kind in kinds:
        mask |= _EMPLOYMENT_BITS[kind]
    return mask


def _wage_monthly(posting_wage: object) -> float:
    if posting_wage is None:
        return math.nan
    w = posting_wage  # schemas.postings.Wage
    high = w.max if w.max is not None else w.min  # type: ignore[attr-defined]
    return to_monthly(w.type, (w.min + high) / 2)  # type: ignore[attr-defined]


class PostingColumns:
    """Every posting of the market as numpy columns, row = posting index (grown amortised)."""

    def __init__(
        self, geo: Geography, occupations: dict[str, OccupationProfile], *, capacity: int = 1024
    ) -> None:
        self._geo = geo
        self.occupation_index = {code: i for i, code in enumerate(occupations)}
        tops = sorted({o.top for o in occupations.values()})
        self.top_of_occupation = np.array(
            [tops.index(o.top) for o in occupations.values()], dtype=np.int16
        )
        skills = sorted({s for o in occupations.values() for s in o.skills} | set(GENERIC_SKILLS))
        self.skill_index = {s: i for i, s in enumerate(skills)}
        certs = sorted({c for o in occupations.values() for c in o.certificates})
        self.certificate_index = {c: i for i, c in enumerate(certs)}
        self.size = 0
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        def grow(old: np.ndarray | None, shape: tuple[int, ...], dtype: type) -> np.ndarray:
            new: np.ndarray = np.zeros(shape, dtype=dtype)
            if old is not None:
                new[: self.size] = old[: self.size]
            return new

        n_skills, n_certs = len(self.skill_index), len(self.certificate_index)
        get = self.__dict__.get
        self.occupation = grow(get("occupation"), (capacity,), np.int16)
        self.place = grow(get("place"), (capacity,), np.int16)
        self.wage_monthly = grow(get("wage_monthly"), (capacity,), np.float64)
        self.employment = grow(get("employment"), (capacity,), np.uint8)
        self.education = grow(get("education"), (capacity,), np.int8)
        self.career = grow(get("career"), (capacity,), np.int8)
        # Skill and certificate flags are stored one row per skill (certificate): a seeker
        # has few, so their rows are picked first and only then the postings' columns.
        self.skills = grow_columns(get("skills"), n_skills, capacity, self.size)
        self.certificates = grow_columns(get("certificates"), n_certs, capacity, self.size)
        self.lists_certificates = grow(get("lists_certificates"), (capacity,), np.bool_)
        self.attractiveness = grow(get("attractiveness"), (capacity,), np.float64)
        self.capacity = capacity

    def add(self, state: PostingState) -> None:
        """Append the posting with index ``self.size`` (postings are added in index order)."""
        if state.index != self.size:
            raise ValueError(f"posting {state.index} added out of order (expected {self.size})")
        if self.size == self.capacity:
            self._allocate(self.capacity * 2)
        i = self.size
        p = state.posting
        self.occupation[i] = self.occupation_index[state.occupation]
        self.place[i] = self._geo.index[state.place.code]
        self.wage_monthly[i] = _wage_monthly(p.wage)
        self.employment[i] = employment_mask(p.employment_types)
        self.education[i] = int(p.education_min)
        self.career[i] = p.career_min_years
        for s in p.skills:
            self.skills[self.skill_index[s], i] = True
        for c in p.certificates:
            self.certificates[self.certificate_index[c], i] = True
        self.lists_certificates[i] = bool(p.certificates)
        self.attractiveness[i] = state.attractiveness
        self.size += 1


def grow_columns(old: np.ndarray | None, rows: int, capacity: int, size: int) -> np.ndarray:
    new = np.zeros((rows, capacity), dtype=np.bool_)
    if old is not None:
        new[:, :size] = old[:, :size]
    return new


@dataclass(frozen=True)
class SeekerVector:
    """One seeker's preference as lookup tables, rebuilt when their profile changes."""

    occupation_score: np.ndarray  # per occupation index
    region_score: np.ndarray  # per place index
    wage_min_monthly: float  # nan: no desired wage
    employment: int  # bit mask, 0: no preference
    skills: np.ndarray  # skill indexes the seeker has
    certificates: np.ndarray  # certificate indexes the seeker has
    education: int
    career: int


def seeker_vector(seeker: SeekerState, columns: PostingColumns) -> SeekerVector:
    """The lookup tables of ``seeker``'s current profile and hidden occupations."""
    p = seeker.profile
    cities: set[str] = set()
    desired_sidos: set[str] = set()
    home_sidos: set[str] = set()
    for code in p.desired_region_codes:
        if len(code) == 2:
            desired_sidos.add(code)
        else:
            cities.add(code[:4])
            home_sidos.add(code[:2])
    if p.home_region_code is not None:
        cities.add(p.home_region_code[:4])
        home_sidos.add(p.home_region_code[:2])
    wage = math.nan
    if p.desired_wage is not None and p.desired_wage.min > 0:
        wage = to_monthly(p.desired_wage.type, p.desired_wage.min)
    skills = sorted(columns.skill_index[s] for s in p.skills if s in columns.skill_index)
    certs = sorted(
        columns.certificate_index[c] for c in p.certificates if c in columns.certificate_index
    )
    return SeekerVector(
        occupation_score=_occupation_table(tuple(sorted(seeker.occupations))),
        region_score=_region_table(
            tuple(sorted(cities)), tuple(sorted(desired_sidos)), tuple(sorted(home_sidos))
        ),
        wage_min_monthly=wage,
        employment=employment_mask(p.employment_types),
        skills=np.array(skills, dtype=np.intp),
        certificates=np.array(certs, dtype=np.intp),
        education=int(p.education_level or "03"),
        career=p.career_years,
    )


# Many seekers share occupations and regions: their (read-only) tables are shared too.
# Both are indexed like every market's columns: occupations in code order
# (``occupation_profiles()``), places in code order (``geography().places``).
@cache
def _occupation_table(occupations: tuple[str, ...]) -> np.ndarray:
    profiles = occupation_profiles()
    tops = {profiles[c].top for c in occupations}
    occ = np.array([SAME_TOP_GROUP if p.top in tops else 0.0 for p in profiles.values()])
    for i, code in enumerate(profiles):
        if code in occupations:
            occ[i] = 1.0
    occ.setflags(write=False)
    return occ


@cache
def _region_table(
    cities: tuple[str, ...], desired_sidos: tuple[str, ...], home_sidos: tuple[str, ...]
) -> np.ndarray:
    place_city, place_sido = _place_codes()
    near = sorted({n for s in home_sidos + desired_sidos for n in NEIGHBOURS[s]})
    region = np.full(len(place_city), REGION_FAR)
    # Later assignments win: from the weakest tie to the strongest.
    region[np.isin(place_sido, near)] = REGION_NEIGHBOUR
    region[np.isin(place_sido, home_sidos)] = REGION_HOME_SIDO
    region[np.isin(place_sido, desired_sidos)] = REGION_DESIRED_SIDO
    region[np.isin(place_city, cities)] = REGION_SAME_CITY
    region.setflags(write=False)
    return region


@cache
def _place_codes() -> tuple[np.ndarray, np.ndarray]:
    places = geography().places
    return np.array([p.city for p in places]), np.array([p.sido for p in places])


def utilities(
    seeker: SeekerState, vector: SeekerVector, columns: PostingColumns, rows: np.ndarray
) -> np.ndarray:
    """The seeker's utility for each posting index in ``rows`` (float64, same order)."""
    t = seeker.taste
    u: np.ndarray = t.occupation * vector.occupation_score[columns.occupation[rows]]
    u += t.region * vector.region_score[columns.place[rows]]
    if not math.isnan(vector.wage_min_monthly):
        ratio = columns.wage_monthly[rows] / vector.wage_min_monthly - 1.0
        fit = np.where(ratio < 0, np.maximum(2.0 * ratio, -1.5), np.minimum(ratio, 0.5))
        u += t.wage * np.where(np.isnan(ratio), WAGE_UNDISCLOSED, fit)
    if vector.employment:
        kinds = columns.employment[rows]
        fit = np.where(kinds & vector.employment, 1.0, np.where(kinds == 0, 0.0, -1.0))
        u += t.employment * fit
    if vector.skills.size:
        shared = columns.skills[vector.skills][:, rows].sum(axis=0)
        u += t.skills * np.minimum(shared, 3) / 3.0
    listed = columns.lists_certificates[rows]
    if vector.certificates.size:
        has = columns.certificates[vector.certificates][:, rows].any(axis=0)
    else:
        has = np.zeros(len(rows), dtype=bool)
    u += t.certificates * np.where(listed, np.where(has, 1.0, CERTIFICATE_MISSING), 0.0)
    u -= EDUCATION_SHORT * (columns.education[rows] > vector.education)
    u -= CAREER_SHORT * (columns.career[rows] > vector.career + 1)
    u += columns.attractiveness[rows]
    return u
