"""Region text -> 시군구 code: every shape of the real exports, and the odd ones."""

from __future__ import annotations

import pytest

from importers.regions import RegionGuess, resolve_region
from schemas import reference


@pytest.mark.parametrize(
    ("text", "code", "name", "noted"),
    [
        ("서울 강남구", "11680", "서울 강남구", False),
        ("경기 성남시 분당구", "41135", "경기 성남시 분당구", False),
        ("경기 성남시", "41130", "경기 성남시", False),
        ("경기 부천시 원미구", "41192", "경기 부천시 원미구", False),
        ("경기 광주시", "41610", "경기 광주시", False),  # not 광주광역시
        ("대구 동구", "27140", "대구 동구", False),  # 동구 exists in five 시도
        ("전북 익산시", "52140", "전북 익산시", False),  # 전북특별자치도 since 2024
        ("전라북도 익산시", "52140", "전북 익산시", False),
        ("제주 제주시", "50110", "제주 제주시", False),
        ("세종특별자치시 조치원읍", "36110", "세종", False),
        ("서울특별시 강남구 테헤란로38길", "11680", "서울 강남구", False),
        ("경기도 성남시분당구 판교역로", "41135", "경기 성남시 분당구", False),
        ("성남시 분당구", "41135", "경기 성남시 분당구", False),  # unique without 시도
        ("서울 강남구 등", "11680", "서울 강남구", True),
        ("경기 성남시 분당구 등", "41135", "경기 성남시 분당구", True),
        ("서울 강남구, 서울 서초구", "11680", "서울 강남구", True),
        ("서울 강남구 외 2곳", "11680", "서울 강남구", True),
        ("서울전체", None, "서울", True),
        ("경기전체", None, "경기", True),
        ("서울 전체", None, "서울", True),
        ("서울 등", None, "서울", True),
        ("서울", None, "서울", True),
        ("중구", None, "중구", True),  # six 시도 have one: no guess
        ("해외", None, "해외", True),
        ("", None, None, True),
    ],
)
def test_resolve_region(text: str, code: str | None, name: str | None, noted: bool) -> None:
    parsed = resolve_region(text)
    assert parsed.value == RegionGuess(code, name)
    assert (parsed.note is not None) == noted


def test_every_sigungu_name_resolves_to_its_code() -> None:
    # Written the way job sites print them: "<시도 short> <시군구 name>".
    for region in reference.regions():
        if region.level != "sigungu" or region.sido_code == "36":
            continue
        guess = resolve_region(f"{region.sido_short} {region.name}").value
        assert guess.code == region.code, region
