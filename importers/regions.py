"""Region text of job postings -> 5-digit 시군구 code and display name.

Job sites write the place of work in many ways: "서울 강남구", "경기 성남시 분당구",
"서울특별시 강남구 테헤란로38길" (a street address), "서울전체" (anywhere in the 시도),
"서울 강남구 등" (several places). The names come from :mod:`schemas.reference`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from importers.parsed import Parsed
from schemas import reference

# Old or long names of a 시도 that postings still use, beyond the table's own names.
_SIDO_ALIASES = {
    "강원도": "51",
    "강원특별자치도": "51",
    "전라북도": "52",
    "전북특별자치도": "52",
    "제주도": "50",
    "세종시": "36",
}
# "등" / "외" / "외 2곳" at the end: the posting lists more places than the first.
_MORE_PLACES_RE = re.compile(r"\s*(?:등|외(?:\s*\d+\s*곳)?)\s*$")
_PLACE_SEPARATORS_RE = re.compile(r"\s*[,/|;]\s*")
_WHOLE_SIDO = "전체"


@dataclass(frozen=True, slots=True)
class RegionGuess:
    """``code`` is a 5-digit 시군구 code or None; ``name`` the display text."""

    code: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class _Sigungu:
    code: str
    name: str  # "성남시 분당구"
    sido_short: str  # "경기"


@dataclass(frozen=True, slots=True)
class _Table:
    sido_by_name: dict[str, str]  # "서울", "서울특별시" -> "11"
    sido_short: dict[str, str]  # "11" -> "서울"
    sigungu: dict[str, dict[str, _Sigungu]]  # "41" -> {"성남시 분당구": ...}


@cache
def _table() -> _Table:
    sido_by_name: dict[str, str] = dict(_SIDO_ALIASES)
    sido_short: dict[str, str] = {}
    sigungu: dict[str, dict[str, _Sigungu]] = {}
    for region in reference.regions():
        if region.level == "sido":
            sido_by_name[region.name] = region.code
            sido_by_name[region.sido_short] = region.code
            sido_short[region.code] = region.sido_short
        else:
            entry = _Sigungu(region.code, region.name, region.sido_short)
            sigungu.setdefault(region.sido_code, {})[region.name] = entry
    return _Table(sido_by_name, sido_short, sigungu)


def resolve_region(text: str) -> Parsed[RegionGuess]:
    """Find the 시군구 of a posting's region text.

    >>> resolve_region("서울 강남구").value
    RegionGuess(code='11680', name='서울 강남구')
    >>> resolve_region("경기 성남시 분당구").value
    RegionGuess(code='41135', name='경기 성남시 분당구')
    >>> resolve_region("서울특별시 강남구 테헤란로38길").value
    RegionGuess(code='11680', name='서울 강남구')
    >>> whole = resolve_region("서울전체")
    >>> whole.value
    RegionGuess(code=None, name='서울')
    >>> whole.note
    'only the 시도 is known (11 서울); region_code left empty'
    >>> several = resolve_region("서울 서초구 등")
    >>> several.value.code, several.note
    ('11650', 'several places; kept the first (11650 서울 서초구)')
    """
    raw = " ".join(unicodedata.normalize("NFKC", text).split())
    if not raw:
        return Parsed(RegionGuess(None, None), "no region given")
    first, *others = _PLACE_SEPARATORS_RE.split(_MORE_PLACES_RE.sub("", raw))
    several = bool(others) or _MORE_PLACES_RE.search(raw) is not None
    guess = _resolve_place(first)
    if guess is None:
        return Parsed(
            RegionGuess(None, raw[:100]), "no 시도 or 시군구 name found; region_code left empty"
        )
    if guess.code is None:
        sido = _table().sido_by_name[guess.name or ""]
        return Parsed(
            guess, f"only the 시도 is known ({sido} {guess.name}); region_code left empty"
        )
    if several:
        return Parsed(guess, f"several places; kept the first ({guess.code} {guess.name})")
    return Parsed(guess)


def _resolve_place(place: str) -> RegionGuess | None:
    table = _table()
    tokens = place.split()
    if not tokens:
        return None
    head = tokens[0]
    if head.endswith(_WHOLE_SIDO) and head != _WHOLE_SIDO:  # "서울전체"
        tokens = [head.removesuffix(_WHOLE_SIDO), _WHOLE_SIDO, *tokens[1:]]
    sido = table.sido_by_name.get(tokens[0])
    if sido is None:
        return _resolve_without_sido(tokens)
    short = table.sido_short[sido]
    in_sido = table.sigungu.get(sido, {})
    if len(in_sido) == 1:  # 세종특별자치시 has a single 시군구 code and no names below
        (only,) = in_sido.values()
        return RegionGuess(only.code, short)
    found = _match_sigungu(tokens[1:], in_sido)
    if found is None:
        return RegionGuess(None, short)
    return RegionGuess(found.code, f"{short} {found.name}")


def _match_sigungu(tokens: list[str], in_sido: dict[str, _Sigungu]) -> _Sigungu | None:
    """The longest 시군구 name the tokens start with ("성남시 분당구" before "성남시")."""
    if not tokens:
        return None
    first = _split_gu(tokens[0])  # "성남시분당구" -> ["성남시", "분당구"]
    tokens = first + tokens[1:]
    if len(tokens) >= 2 and f"{tokens[0]} {tokens[1]}" in in_sido:
        return in_sido[f"{tokens[0]} {tokens[1]}"]
    return in_sido.get(tokens[0])


def _split_gu(token: str) -> list[str]:
    m = re.fullmatch(r"(\S+시)(\S+구)", token)
    return [m.group(1), m.group(2)] if m else [token]


def _resolve_without_sido(tokens: list[str]) -> RegionGuess | None:
    """A place written without its 시도 ("성남시 분당구"): accept it only when unique."""
    hits = [
        found
        for sido, in_sido in _table().sigungu.items()
        if len(in_sido) > 1 and (found := _match_sigungu(tokens, in_sido)) is not None
    ]
    if len(hits) != 1:
        return None  # "중구" is in six 시도: no guess
    return RegionGuess(hits[0].code, f"{hits[0].sido_short} {hits[0].name}")
