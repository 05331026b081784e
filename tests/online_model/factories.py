"""Factories for postings, profiles and a small synthetic job market (deterministic by seed).

The market is shaped like the Korean one where it matters to ranking: occupations from the
고용24 code list with a skewed (Zipf-like) popularity, regions weighted towards 서울/경기,
titles built from the words of the occupation names, a mix of wage types, some postings
without a region code (only a region name) or without any location, some with required
certificates and some already past their deadline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas import reference
from schemas.interactions import Interaction
from schemas.postings import EMPLOYMENT_TYPES, Posting, Wage
from schemas.profiles import DesiredWage, Profile

NOW_MS = 1_790_000_000_000  # 2026-09-21 (a fixed "now": rankings never read the clock)
DAY_MS = 86_400_000

CERTIFICATES: tuple[str, ...] = (
    "지게차운전기능사",
    "전기기능사",
    "요양보호사",
    "정보처리기사",
    "한식조리기능사",
    "용접기능사",
    "간호조무사",
    "전산회계1급",
    "건설기계정비기능사",
    "미용사(일반)",
)
GENERIC_SKILLS: tuple[str, ...] = ("엑셀", "운전", "고객응대", "문서작성", "python", "영어", "포장")
TITLE_SUFFIXES: tuple[str, ...] = ("채용", "모집", "직원 모집", "담당자 채용", "", "신입/경력 채용")


def _words(name: str) -> list[str]:
    out: list[str] = []
    for part in name.replace(",", "·").replace(" 및 ", "·").split("·"):
        for word in part.split():
            word = word.strip("()")
            if len(word) >= 2 and word not in ("기타", "관련", "등"):
                out.append(word)
    return out or [name]


@dataclass(frozen=True)
class Vocabulary:
    """Occupation codes with their title words, regions with their names."""

    occupations: tuple[str, ...]
    occupation_weights: tuple[float, ...]
    words: dict[str, list[str]]
    sigungu: tuple[str, ...]
    sigungu_weights: tuple[float, ...]
    region_names: dict[str, str]


def vocabulary(seed: int = 0) -> Vocabulary:
    """The code lists, with a popularity order shuffled by ``seed``."""
    rng = random.Random(seed)
    occs = [o for o in reference.occupations() if o.level == "middle"]
    rng.shuffle(occs)
    weights = tuple(1.0 / (i + 3) for i in range(len(occs)))
    regions = [r for r in reference.regions() if r.level == "sigungu"]
    heavy = {"11": 3.0, "41": 3.0, "28": 1.5, "26": 1.5}
    return Vocabulary(
        occupations=tuple(o.code for o in occs),
        occupation_weights=weights,
        words={o.code: _words(o.name) for o in occs},
        sigungu=tuple(r.code for r in regions),
        sigungu_weights=tuple(heavy.get(r.sido_code, 1.0) for r in regions),
        region_names={r.code: f"{r.sido_short} {r.name}" for r in regions},
    )


class WordTokenizer:
    """Whole words as tokens: another ``Tokenizer``, as an experiment would plug one in."""

    name = "words"

    def tokens(self, text: str) -> frozenset[str]:
        return frozenset(text.split())


def make_posting(posting_id: str = "P1", **fields: Any) -> Posting:
    """A plausible posting; any field can be overridden."""
    base: dict[str, Any] = {
        "posting_id": posting_id,
        "employer_id": "E1",
        "employer_name": "(주)한빛물류",
        "title": "물류센터 지게차 운전원 채용",
        "posted_at": NOW_MS - 2 * DAY_MS,
        "occupation_code": "07C",
        "region_code": "41590",
        "region_name": "경기 화성시",
        "wage": Wage("monthly", 2_800_000, 3_200_000),
        "education_min": "03",
        "employment_types": ("regular",),
        "skills": ("지게차",),
        "deadline": "2026-12-31",
    }
    base.update(fields)
    return Posting(**base)


def make_profile(seeker_id: str = "S1", **fields: Any) -> Profile:
    """A plausible profile; any field can be overridden."""
    base: dict[str, Any] = {
        "seeker_id": seeker_id,
        "desired_occupation_codes": ("07C",),
        "desired_titles": ("지게차",),
        "desired_region_codes": ("41590", "41"),
        "home_region_code": "41590",
        "desired_wage": DesiredWage("monthly", 2_500_000),
        "education_level": "03",
        "career_years": 2,
        "skills": ("지게차",),
        "employment_types": ("regular", "contract"),
    }
    base.update(fields)
    return Profile(**base)


def make_interaction(
    seeker_id: str, posting_id: str, action: str, ts: int, event_id: str | None = None, **kw: Any
) -> Interaction:
    """An interaction; the event id defaults to one derived from its fields."""
    eid = event_id or f"ev-{seeker_id}-{posting_id}-{action}-{ts}"
    return Interaction(eid, ts, seeker_id, posting_id, action, **kw)  # type: ignore[arg-type]


def _date(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d")


def random_posting(rng: random.Random, voc: Vocabulary, i: int, n_employers: int) -> Posting:
    """One synthetic posting."""
    occ = rng.choices(voc.occupations, voc.occupation_weights)[0]
    words = voc.words[occ]
    title = " ".join(rng.sample(words, min(len(words), rng.randint(1, 2))))
    title = f"{title} {rng.choice(TITLE_SUFFIXES)}".strip()
    sigungu = rng.choices(voc.sigungu, voc.sigungu_weights)[0]
    region_code: str | None = sigungu
    region_name: str | None = voc.region_names[sigungu]
    r = rng.random()
    if r < 0.10:
        region_code = None  # only the name, as many real postings
    elif r < 0.13:
        region_code, region_name = None, None
    wr = rng.random()
    wage: Wage | None
    if wr < 0.6:
        lo = rng.randrange(2_100_000, 4_500_000, 50_000)
        wage = Wage("monthly", lo, lo + rng.choice((0, 300_000, 600_000)))
    elif wr < 0.72:
        wage = Wage("hourly", rng.randrange(10_030, 18_000, 10))
    elif wr < 0.85:
        lo = rng.randrange(26_000_000, 60_000_000, 1_000_000)
        wage = Wage("annual", lo, rng.choice((None, lo + 5_000_000)))
    elif wr < 0.92:
        wage = Wage("daily", rng.randrange(90_000, 200_000, 5_000))
    else:
        wage = None
    posted = NOW_MS - rng.randrange(0, 30 * DAY_MS)
    deadline = None if rng.random() < 0.3 else _date(NOW_MS + rng.randrange(-3, 45) * DAY_MS)
    cmin = rng.choice((0, 0, 0, 1, 2, 3, 5))
    employer = min(int(rng.paretovariate(1.2)) - 1, n_employers - 1)
    employer = employer if rng.random() < 0.3 else rng.randrange(n_employers)
    return Posting(
        posting_id=f"P{i}",
        employer_id=f"E{employer}",
        employer_name=f"(주)회사{employer}",
        title=title,
        posted_at=posted,
        occupation_code=occ if rng.random() < 0.9 else None,
        region_code=region_code,
        region_name=region_name,
        wage=wage,
        education_min=rng.choice(("00", "00", "00", "03", "03", "04", "05")),
        career_min_years=cmin,
        career_max_years=rng.choice((None, cmin + 5)),
        employment_types=tuple(
            sorted(set(rng.sample(EMPLOYMENT_TYPES, rng.randint(0, 2))))  # type: ignore[arg-type]
        ),
        skills=tuple(rng.sample(words, min(len(words), rng.randint(0, 2))))
        + tuple(rng.sample(GENERIC_SKILLS, rng.randint(0, 1))),
        certificates=(rng.choice(CERTIFICATES),) if rng.random() < 0.12 else (),
        headcount=rng.randint(1, 5),
        deadline=deadline,
    )


def random_profile(rng: random.Random, voc: Vocabulary, i: int) -> Profile:
    """One synthetic seeker profile."""
    occs = rng.choices(voc.occupations, voc.occupation_weights, k=rng.randint(0, 2))
    words = [w for o in occs for w in voc.words[o]]
    home = rng.choices(voc.sigungu, voc.sigungu_weights)[0]
    rr = rng.random()
    desired: tuple[str, ...]
    if rr < 0.5:
        desired = (home,)
    elif rr < 0.75:
        desired = (home[:2],)
    elif rr < 0.85:
        desired = (home, rng.choices(voc.sigungu, voc.sigungu_weights)[0])
    else:
        desired = ()
    wage = None
    if rng.random() < 0.7:
        wage = rng.choice(
            (
                DesiredWage("monthly", rng.randrange(2_000_000, 4_000_000, 100_000)),
                DesiredWage("hourly", rng.randrange(10_030, 15_000, 10)),
                DesiredWage("annual", rng.randrange(25_000_000, 50_000_000, 1_000_000)),
            )
        )
    return Profile(
        seeker_id=f"S{i}",
        desired_occupation_codes=tuple(dict.fromkeys(occs)),
        desired_titles=tuple(rng.sample(words, min(len(words), rng.randint(0, 2)))),
        desired_region_codes=desired,
        home_region_code=home if rng.random() < 0.9 else None,
        desired_wage=wage,
        education_level=rng.choice((None, "02", "03", "03", "04", "05", "06")),
        career_years=rng.choice((0, 0, 1, 2, 3, 5, 10)),
        skills=tuple(rng.sample(words, min(len(words), rng.randint(0, 2)))),
        certificates=(rng.choice(CERTIFICATES),) if rng.random() < 0.2 else (),
        employment_types=tuple(
            sorted(set(rng.sample(EMPLOYMENT_TYPES, rng.randint(0, 2))))  # type: ignore[arg-type]
        ),
    )


@dataclass(frozen=True)
class Market:
    """Synthetic postings and profiles."""

    postings: list[Posting]
    profiles: list[Profile]


def synthetic_market(n_postings: int, n_seekers: int, *, seed: int = 0) -> Market:
    """A market of ``n_postings`` postings and ``n_seekers`` seekers, reproducible by seed."""
    rng = random.Random(seed)
    voc = vocabulary(seed)
    n_employers = max(1, n_postings // 4)
    postings = [random_posting(rng, voc, i, n_employers) for i in range(n_postings)]
    profiles = [random_profile(rng, voc, i) for i in range(n_seekers)]
    return Market(postings, profiles)


def replace(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` re-exported for tests."""
    return dataclasses.replace(obj, **changes)


def ids(items: Sequence[Any]) -> list[str]:
    """The posting ids of a sequence of postings."""
    return [p.posting_id for p in items]
