"""Where a posting is and which regions a seeker accepts.

Region codes follow the contract: a 5-digit 시군구 code or a 2-digit 시도 code. Two
normalisations make matching robust:

* a 구 of a city (``41135`` 성남시 분당구) matches on its city (``41130`` 성남시), so a seeker
  who wants 성남시 sees postings of every 성남 구 and the other way round;
* a posting without ``region_code`` is located from its ``region_name`` text
  (``"경기 화성시"``, ``"서울특별시 강남구 테헤란로"``, ``"서울전체"``).

Neighbouring 시도 come from a hand-written land-border table of the 17 시도 (islands such
as 제주 have no neighbours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from schemas import reference
from schemas.postings import Posting
from schemas.profiles import Profile

# Land borders between 시도 (hand-written from the administrative map; symmetric,
# checked by tests). 세종 sits inside 충남/충북/대전; 광주 inside 전남.
_BORDERS: tuple[tuple[str, str], ...] = (
    ("11", "41"),  # 서울-경기
    ("11", "28"),  # 서울-인천 (부천 경계의 강서·구로 쪽)
    ("28", "41"),  # 인천-경기
    ("41", "51"),  # 경기-강원
    ("41", "43"),  # 경기-충북
    ("41", "44"),  # 경기-충남
    ("51", "43"),  # 강원-충북
    ("51", "47"),  # 강원-경북
    ("43", "44"),  # 충북-충남
    ("43", "36"),  # 충북-세종
    ("43", "30"),  # 충북-대전
    ("43", "47"),  # 충북-경북
    ("43", "52"),  # 충북-전북
    ("44", "36"),  # 충남-세종
    ("44", "30"),  # 충남-대전
    ("44", "52"),  # 충남-전북
    ("36", "30"),  # 세종-대전
    ("52", "47"),  # 전북-경북 (무주-김천)
    ("52", "48"),  # 전북-경남
    ("52", "46"),  # 전북-전남
    ("46", "29"),  # 전남-광주
    ("46", "48"),  # 전남-경남
    ("47", "27"),  # 경북-대구
    ("47", "48"),  # 경북-경남
    ("47", "31"),  # 경북-울산
    ("48", "27"),  # 경남-대구
    ("48", "26"),  # 경남-부산
    ("48", "31"),  # 경남-울산
    ("26", "31"),  # 부산-울산
)


@cache
def sido_adjacency() -> dict[str, frozenset[str]]:
    """Neighbouring 시도 of each of the 17 시도 codes.

    Examples
    --------
    >>> sorted(sido_adjacency()["11"])
    ['28', '41']
    >>> sido_adjacency()["50"]
    frozenset()
    """
    out: dict[str, set[str]] = {code: set() for code in reference.sido_codes()}
    for a, b in _BORDERS:
        out[a].add(b)
        out[b].add(a)
    return {code: frozenset(n) for code, n in out.items()}


@cache
def sido_index() -> dict[str, int]:
    """A dense index 0..16 of the 시도 codes (for numpy lookup tables).

    Examples
    --------
    >>> sido_index()["11"], len(sido_index())
    (0, 17)
    """
    return {code: i for i, code in enumerate(reference.sido_codes())}


@cache
def _city_of_district() -> dict[str, str]:
    # "성남시 분당구" -> code of "성남시" in the same 시도.
    by_name = {(r.sido_code, r.name): r.code for r in reference.regions() if r.level == "sigungu"}
    out: dict[str, str] = {}
    for r in reference.regions():
        if r.level == "sigungu" and " " in r.name:
            city = by_name.get((r.sido_code, r.name.split(" ", 1)[0]))
            if city is not None:
                out[r.code] = city
    return out


def canonical_sigungu(code: str) -> str:
    """The code a 시군구 matches on: the city's code for a 구 of a city, else itself.

    Parameters
    ----------
    code
        A 5-digit 시군구 code.

    Examples
    --------
    >>> canonical_sigungu("41135")  # 성남시 분당구 -> 성남시
    '41130'
    >>> canonical_sigungu("41590")
    '41590'
    """
    return _city_of_district().get(code, code)


def sido_of(code: str) -> str | None:
    """The 시도 code of a 2- or 5-digit region code, or None when it is not one.

    Examples
    --------
    >>> sido_of("41590"), sido_of("11"), sido_of("99")
    ('41', '11', None)
    """
    prefix = code[:2]
    return prefix if prefix in sido_index() and len(code) in (2, 5) else None


@cache
def _sido_by_name() -> dict[str, str]:
    out: dict[str, str] = {}
    for r in reference.regions():
        if r.level == "sido":
            out[r.name] = r.code
            out[r.sido_short] = r.code
    # Old and colloquial forms that job sites still print.
    extra = {"서울시": "11", "강원도": "51", "전라북도": "52", "제주도": "50", "세종시": "36"}
    for name, code in extra.items():
        out.setdefault(name, code)
    return out


@cache
def _sigungu_by_name() -> dict[tuple[str, str], str]:
    return {(r.sido_code, r.name): r.code for r in reference.regions() if r.level == "sigungu"}


_SPLIT = re.compile(r"[\s,/>·]+")


@lru_cache(maxsize=8192)
def resolve_region_name(name: str) -> tuple[str | None, str | None]:
    """Locate free text such as ``"경기 성남시 분당구"`` as (canonical 시군구, 시도).

    Parameters
    ----------
    name
        Region text as job sites print it: 시도 first, then 시군구, then anything.

    Examples
    --------
    >>> resolve_region_name("경기 화성시")
    ('41590', '41')
    >>> resolve_region_name("서울특별시 강남구 테헤란로38길")
    ('11680', '11')
    >>> resolve_region_name("경기 성남시 분당구")
    ('41130', '41')
    >>> resolve_region_name("서울전체")
    (None, '11')
    >>> resolve_region_name("해외")
    (None, None)
    """
    words = [w for w in _SPLIT.split(name.strip()) if w]
    if not words:
        return None, None
    first = words[0]
    sido = _sido_by_name().get(first)
    if sido is None:
        # "서울전체", "경기전체": a 시도 name glued to a suffix.
        for key, code in _sido_by_name().items():
            if len(key) >= 2 and first.startswith(key):
                sido = code
                break
    if sido is None:
        return None, None
    by_name = _sigungu_by_name()
    if len(words) >= 3 and (sido, f"{words[1]} {words[2]}") in by_name:
        return canonical_sigungu(by_name[(sido, f"{words[1]} {words[2]}")]), sido
    if len(words) >= 2 and (sido, words[1]) in by_name:
        return canonical_sigungu(by_name[(sido, words[1])]), sido
    if sido == "36":  # 세종 has a single 시군구
        return "36110", sido
    return None, sido


def posting_region(posting: Posting) -> tuple[str | None, str | None]:
    """A posting's (canonical 시군구, 시도), from its code or else its region name.

    Examples
    --------
    >>> from schemas.postings import Posting
    >>> p = Posting("P1", "E1", "(주)한빛", "지게차", 0, region_code="41135")
    >>> posting_region(p)
    ('41130', '41')
    >>> posting_region(Posting("P2", "E1", "(주)한빛", "지게차", 0, region_name="부산 해운대구"))
    ('26350', '26')
    """
    code = posting.region_code
    if code and len(code) == 5 and sido_of(code) is not None:
        return canonical_sigungu(code), code[:2]
    if code and len(code) == 2 and sido_of(code) is not None:
        return None, code
    if posting.region_name:
        return resolve_region_name(posting.region_name)
    return None, None


@dataclass(frozen=True, slots=True)
class AcceptedRegions:
    """Where a seeker accepts to work; the region hard filter and retrieval use it.

    ``everywhere`` when the seeker gave neither desired regions nor a home. Otherwise a
    posting is accepted when its 시군구 is in ``sigungu`` or its 시도 in ``sido``; a
    posting whose location is unknown is always accepted (it cannot be ruled out), and one
    located only to a 시도 is accepted when any accepted 시군구 lies in that 시도
    (``sido_partial``).
    """

    everywhere: bool
    sigungu: frozenset[str]
    sido: frozenset[str]
    sido_partial: frozenset[str]

    def accepts(self, sigungu: str | None, sido: str | None) -> bool:
        """Whether a posting located at (``sigungu``, ``sido``) passes the region filter.

        Examples
        --------
        >>> acc = AcceptedRegions(False, frozenset({"41590"}), frozenset({"11"}), frozenset({"41"}))
        >>> acc.accepts("41590", "41"), acc.accepts("41130", "41"), acc.accepts(None, "41")
        (True, False, True)
        >>> acc.accepts("11680", "11"), acc.accepts(None, None)
        (True, True)
        """
        if self.everywhere or (sigungu is None and sido is None):
            return True
        if sido is not None and sido in self.sido:
            return True
        if sigungu is not None:
            return sigungu in self.sigungu
        return sido in self.sido_partial


@lru_cache(maxsize=65536)
def _accepted(desired: tuple[str, ...], home: str | None) -> AcceptedRegions:
    # The filter only rules out places out of commuting reach: the 시도 of every desired
    # or home region and the 시도 next to them. How close a posting is (same 시군구, same
    # 시도, neighbouring 시도) is left to the ranking, through the region features. A
    # filter as tight as the stated 시군구 threw away most postings seekers would apply
    # to in the offline evaluation (docs/evaluation.md, "The region filter").
    places = _places(desired, home)
    if not places.sido:
        return AcceptedRegions(True, frozenset(), frozenset(), frozenset())
    return AcceptedRegions(False, places.sigungu, places.sido | places.near, frozenset())


def accepted_regions(profile: Profile) -> AcceptedRegions:
    """The regions a seeker accepts (see :class:`AcceptedRegions`).

    Examples
    --------
    >>> from schemas.profiles import Profile
    >>> acc = accepted_regions(Profile("S1", desired_region_codes=("41590", "11")))
    >>> sorted(acc.sigungu), sorted(acc.sido)
    (['41590'], ['11', '28', '41', '43', '44', '51'])
    >>> sorted(accepted_regions(Profile("S2", home_region_code="11680")).sido)
    ['11', '28', '41']
    >>> sorted(accepted_regions(Profile("S4", desired_region_codes=("50110",))).sido)  # 제주
    ['50']
    >>> accepted_regions(Profile("S3")).everywhere
    True
    """
    return _accepted(profile.desired_region_codes, profile.home_region_code)


@dataclass(frozen=True, slots=True)
class SeekerPlaces:
    """The places a seeker's region features compare against.

    ``sigungu``: desired 시군구 and home (canonical); ``sido``: desired 시도, the 시도 of
    desired 시군구, and the home 시도; ``near``: neighbours of those 시도 not in ``sido``.
    """

    sigungu: frozenset[str]
    home: str | None
    sido: frozenset[str]
    near: frozenset[str]


@lru_cache(maxsize=65536)
def _places(desired: tuple[str, ...], home: str | None) -> SeekerPlaces:
    sigungu: set[str] = set()
    sido: set[str] = set()
    for code in (*desired, *((home,) if home else ())):
        s = sido_of(code)
        if s is None:
            continue
        sido.add(s)
        if len(code) == 5:
            sigungu.add(canonical_sigungu(code))
    home_canon = canonical_sigungu(home) if home and len(home) == 5 and sido_of(home) else None
    near: set[str] = set()
    for s in sido:
        near |= sido_adjacency()[s]
    return SeekerPlaces(frozenset(sigungu), home_canon, frozenset(sido), frozenset(near - sido))


def seeker_places(profile: Profile) -> SeekerPlaces:
    """The places of a seeker that region features compare against.

    Examples
    --------
    >>> from schemas.profiles import Profile
    >>> pl = seeker_places(Profile("S1", desired_region_codes=("41590",), home_region_code="11680"))
    >>> sorted(pl.sigungu), pl.home, sorted(pl.sido), sorted(pl.near)
    (['11680', '41590'], '11680', ['11', '41'], ['28', '43', '44', '51'])
    """
    return _places(profile.desired_region_codes, profile.home_region_code)
