"""schemas.reference serves the shipped code lists, which match the raw public lists."""

from __future__ import annotations

import csv

from schemas import reference
from tests.schemas.schema_corpus import SHARED

RAW = SHARED / "data" / "reference"


def _raw_rows(name: str) -> list[dict[str, str]]:
    with (RAW / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_region_counts_and_levels() -> None:
    assert len(reference.sido_codes()) == 17
    assert len(reference.sigungu_codes()) == 264
    assert all(len(c) == 2 for c in reference.sido_codes())
    assert all(len(c) == 5 for c in reference.sigungu_codes())
    # Every 시군구 belongs to a 시도 that exists.
    assert {c[:2] for c in reference.sigungu_codes()} <= set(reference.sido_codes())


def test_sigungu_codes_are_the_raw_codes_in_force() -> None:
    in_force = {
        r["법정동코드"][:5]
        for r in _raw_rows("molit_legal_dong_codes_20250415.csv")
        if not r["삭제일자"] and r["법정동코드"][5:] == "00000" and r["법정동코드"][2:5] != "000"
    }
    # 세종 has a single 시군구 row (36110) under a 시도 of its own.
    assert set(reference.sigungu_codes()) == in_force | {"36110"}


def test_region_lookup() -> None:
    seongnam = reference.region("41135")
    assert seongnam is not None
    assert (seongnam.level, seongnam.sido_code, seongnam.sido_short) == ("sigungu", "41", "경기")
    seoul = reference.region("11")
    assert seoul is not None and (seoul.name, seoul.level) == ("서울특별시", "sido")
    assert reference.region("") is None
    assert reference.region("4159") is None


def test_occupations_match_the_raw_lists() -> None:
    top = [r["code"] for r in _raw_rows("work24_occupation_level_top.csv")]
    middle = _raw_rows("work24_occupation_level_middle.csv")
    assert list(reference.top_occupation_codes()) == top
    assert list(reference.middle_occupation_codes()) == [r["code"] for r in middle]
    for r in middle:
        occ = reference.occupation(r["code"])
        assert occ is not None
        assert (occ.level, occ.name, occ.parent) == ("middle", r["name"], r["upstream_code"])


def test_occupation_lookup() -> None:
    forklift = reference.occupation("07C")
    top = reference.occupation("07")
    assert forklift is not None and top is not None
    assert forklift.parent == top.code
    assert top.parent is None and top.level == "top"
    assert reference.occupation("07c") is None  # codes are case-sensitive
