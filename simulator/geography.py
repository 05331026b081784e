"""Where seekers live and jobs are: 시도 populations, neighbouring 시도, 시군구 to sample.

Built once from the shipped region table (``schemas/data/regions.csv``). Pure and
deterministic: sampling takes the caller's ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from schemas import reference

# Resident population in millions (행정안전부 주민등록 인구, 2024, rounded): the skew of
# the market. 서울 + 경기 + 인천 (수도권) hold just over half of it.
SIDO_POPULATION: dict[str, float] = {
    "11": 9.40,  # 서울
    "26": 3.28,  # 부산
    "27": 2.36,  # 대구
    "28": 3.02,  # 인천
    "29": 1.41,  # 광주
    "30": 1.44,  # 대전
    "31": 1.10,  # 울산
    "36": 0.39,  # 세종
    "41": 13.69,  # 경기
    "43": 1.59,  # 충북
    "44": 2.13,  # 충남
    "46": 1.79,  # 전남
    "47": 2.54,  # 경북
    "48": 3.24,  # 경남
    "50": 0.67,  # 제주
    "51": 1.52,  # 강원
    "52": 1.74,  # 전북
}

CAPITAL_AREA: frozenset[str] = frozenset({"11", "28", "41"})  # 수도권

# 시도 that share a border (or, for 수도권, a commuting area), written by hand from the map.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "11": ("28", "41"),
    "26": ("31", "48"),
    "27": ("47", "48"),
    "28": ("11", "41"),
    "29": ("46",),
    "30": ("36", "43", "44"),
    "31": ("26", "47", "48"),
    "36": ("30", "43", "44"),
    "41": ("11", "28", "43", "44", "51"),
    "43": ("30", "36", "41", "44", "47", "51", "52"),
    "44": ("30", "36", "41", "43", "52"),
    "46": ("29", "48", "52"),
    "47": ("27", "31", "43", "48", "51", "52"),
    "48": ("26", "27", "31", "46", "47", "52"),
    "50": (),
    "51": ("41", "43", "47"),
    "52": ("43", "44", "46", "47", "48"),
}


@dataclass(frozen=True, slots=True)
class Place:
    """A 시군구 a posting or a seeker can be in."""

    code: str  # 5 digits
    sido: str  # 2 digits
    city: str  # first 4 digits: a city and its 구 share it (41110 수원시, 41111 장안구)
    display: str  # how job sites print it: "경기 화성시"
    name: str  # official 시군구 name: "화성시"


@dataclass(frozen=True)
class Geography:
    """The places of the market and the tables to sample them."""

    places: tuple[Place, ...]  # every 시군구 in force, code order
    index: dict[str, int]  # 시군구 code -> position in ``places``
    sidos: tuple[str, ...]  # the 17 시도 codes, sorted
    sido_index: dict[str, int]
    leaves_by_sido: dict[str, tuple[int, ...]]  # places people live and work in

    def place(self, code: str) -> Place:
        return self.places[self.index[code]]

    def sample_sido(self, rng: random.Random, *, capital_boost: float = 1.0) -> str:
        """A 시도 drawn by population; ``capital_boost`` > 1 concentrates 수도권 further."""
        weights = _sido_weights(capital_boost)
        return rng.choices(self.sidos, cum_weights=weights)[0]

    def sample_place(self, rng: random.Random, sido: str) -> Place:
        """A 시군구 of ``sido``, uniformly among those people live in."""
        return self.places[rng.choice(self.leaves_by_sido[sido])]

    def display_name(self, code: str) -> str:
        return self.place(code).display


@cache
def _sido_weights(capital_boost: float) -> list[float]:
    cum, total = [], 0.0
    for code in sorted(SIDO_POPULATION):
        total += SIDO_POPULATION[code] * (capital_boost if code in CAPITAL_AREA else 1.0)
        cum.append(total)
    return cum


@cache
def geography() -> Geography:
    """The market's geography, built once from the shipped region table."""
    sigungu = [r for r in reference.regions() if r.level == "sigungu"]
    sigungu.sort(key=lambda r: r.code)
    places = tuple(
        Place(r.code, r.sido_code, r.code[:4], f"{r.sido_short} {r.name}", r.name) for r in sigungu
    )
    # A 시 that is split into 구 (수원시 41110 -> 장안구 41111 ...) is not itself a place
    # anyone is sampled into: its 구 are. Every other 시군구 is a leaf.
    city_sizes: dict[str, int] = {}
    for p in places:
        city_sizes[p.city] = city_sizes.get(p.city, 0) + 1
    leaves: dict[str, list[int]] = {}
    for i, p in enumerate(places):
        is_split_city = p.code.endswith("0") and city_sizes[p.city] > 1
        if not is_split_city:
            leaves.setdefault(p.sido, []).append(i)
    sidos = tuple(sorted(SIDO_POPULATION))
    if set(sidos) != {p.sido for p in places}:
        raise RuntimeError("schemas/data/regions.csv and SIDO_POPULATION disagree on the 시도")
    return Geography(
        places=places,
        index={p.code: i for i, p in enumerate(places)},
        sidos=sidos,
        sido_index={s: i for i, s in enumerate(sidos)},
        leaves_by_sido={s: tuple(v) for s, v in sorted(leaves.items())},
    )
