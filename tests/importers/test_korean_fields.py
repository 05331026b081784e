"""Table tests of the Korean field parsers (every distinct shape of both real exports)."""

from __future__ import annotations

import doctest
from datetime import date

import pytest

import importers.ids
import importers.korean_fields
import importers.occupations
import importers.regions
import importers.result
import importers.saramin
from importers.korean_fields import (
    parse_career,
    parse_date,
    parse_deadline,
    parse_education,
    parse_employment_types,
    parse_salary,
    posted_at_ms,
    split_tags,
)
from schemas.postings import Wage

MAN = 10_000  # 만원


@pytest.mark.parametrize(
    "module",
    [
        importers.korean_fields,
        importers.regions,
        importers.occupations,
        importers.ids,
        importers.result,
        importers.saramin,
    ],
    ids=lambda m: m.__name__,
)
def test_doctests(module: object) -> None:
    # streams/ is not in pytest's doctest paths, so the examples run here.
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert attempted > 0 and failed == 0


@pytest.mark.parametrize(
    ("text", "default_type", "wage", "noted"),
    [
        ("연봉 2,700 만원 ~ 3,200 만원", None, Wage("annual", 2700 * MAN, 3200 * MAN), False),
        ("연봉 3,000 만원 ~ 3,000 만원", None, Wage("annual", 3000 * MAN, 3000 * MAN), False),
        ("연봉 3,000 만원 이상", None, Wage("annual", 3000 * MAN, None), False),
        ("연봉 2,717 만원 ~ 3,641 만원", None, Wage("annual", 2717 * MAN, 3641 * MAN), False),
        ("연봉3500만원", None, Wage("annual", 3500 * MAN, 3500 * MAN), False),
        ("연봉 1억 2,000만원", None, Wage("annual", 12000 * MAN, 12000 * MAN), False),
        ("월급 250만원", None, Wage("monthly", 250 * MAN, 250 * MAN), False),
        ("월 250만원 ~ 300만원", None, Wage("monthly", 250 * MAN, 300 * MAN), False),
        ("시급 10,030원", None, Wage("hourly", 10030, 10030), False),
        ("시급 10,030원 이상", None, Wage("hourly", 10030, None), False),
        ("일급 15만원", None, Wage("daily", 150_000, 150_000), False),
        ("일당 130,000원", None, Wage("daily", 130_000, 130_000), False),
        # 사람인's 연봉 column: bare amounts, annual unless too small to be one.
        ("6,000 만원", "annual", Wage("annual", 6000 * MAN, 6000 * MAN), False),
        ("10,000 만원", "annual", Wage("annual", 10000 * MAN, 10000 * MAN), False),
        ("2,550 만원", "annual", Wage("annual", 2550 * MAN, 2550 * MAN), False),
        ("226 만원", "annual", Wage("monthly", 226 * MAN, 226 * MAN), True),
        ("700 만원", "annual", Wage("monthly", 700 * MAN, 700 * MAN), True),
        # No period and no default: guessed from the size, with a note.
        ("250만원", None, Wage("monthly", 250 * MAN, 250 * MAN), True),
        ("연봉 3,200 만원 ~ 3,000 만원", None, Wage("annual", 3000 * MAN, 3200 * MAN), True),
        # Not stated: the contract's wage None (협의).
        ("정보 없음", "annual", None, True),
        ("면접 후 결정", None, None, True),
        ("회사내규에 따름", None, None, True),
        ("협의", None, None, True),
        ("", None, None, True),
        ("연봉 3,000만원 이하", None, None, True),
        ("100,000 만원", "annual", None, True),  # 10억 a year is a placeholder
        ("급여 좋음", None, None, True),
    ],
)
def test_parse_salary(text: str, default_type: str | None, wage: Wage | None, noted: bool) -> None:
    parsed = parse_salary(text, default_type=default_type)
    assert parsed.value == wage
    assert (parsed.note is not None) == noted


@pytest.mark.parametrize(
    ("text", "years", "noted"),
    [
        ("경력무관", (0, None), False),
        ("신입", (0, 0), False),
        ("신입·경력", (0, None), False),
        ("신입/경력", (0, None), False),
        ("신입/경력2년", (0, None), False),
        ("경력1년", (1, None), False),
        ("경력12년", (12, None), False),
        ("경력3년↑", (3, None), False),
        ("경력 3년 이상", (3, None), False),
        ("경력 3~5년", (3, 5), False),
        ("경력 16~30년", (16, 30), False),
        ("경력5년↓", (1, 5), False),
        ("경력 10~5년", (5, 10), False),
        ("경력 70년↑", (60, None), False),  # the contract's ceiling
        ("경력", (1, None), True),
        ("", (0, None), True),
        ("우대", (0, None), True),
    ],
)
def test_parse_career(text: str, years: tuple[int, int | None], noted: bool) -> None:
    parsed = parse_career(text)
    assert parsed.value == years
    assert (parsed.note is not None) == noted


@pytest.mark.parametrize(
    ("text", "level", "noted"),
    [
        ("학력무관", "00", False),
        ("초졸", "01", False),
        ("중졸", "02", False),
        ("고졸", "03", False),
        ("고졸↑", "03", False),
        ("대졸(2~3년)", "04", False),
        ("초대졸↑", "04", False),
        ("대졸(4년)", "05", False),
        ("대졸↑", "05", False),
        ("석사↑", "06", False),
        ("박사", "07", False),
        ("고졸 ~ 대졸(4년)", "03", False),
        ("대졸(2~3년) ~ 대졸(4년)", "04", False),
        ("", "00", True),
        ("기타", "00", True),
    ],
)
def test_parse_education(text: str, level: str, noted: bool) -> None:
    parsed = parse_education(text)
    assert parsed.value == level
    assert (parsed.note is not None) == noted


@pytest.mark.parametrize(
    ("text", "kinds", "noted"),
    [
        ("정규직", ("regular",), False),
        ("정규직·계약직", ("regular", "contract"), False),
        ("계약직·파견직", ("contract", "dispatch"), False),
        ("기간제·계약직", ("contract",), False),
        ("정규직·인턴직", ("regular", "intern"), False),
        ("파트·기간제", ("part_time", "contract"), False),
        ("일용직", ("daily",), False),
        ("프리랜서", (), True),
        ("계약직·프리랜서", ("contract",), True),
        ("전문연구요원·병역특례", (), True),
        ("정규직·위촉직", ("regular",), True),
        ("교육생", (), True),
        ("정보 없음", (), True),
    ],
)
def test_parse_employment_types(text: str, kinds: tuple[str, ...], noted: bool) -> None:
    parsed = parse_employment_types(text)
    assert parsed.value == kinds
    assert (parsed.note is not None) == noted


NOV_27 = date(2024, 11, 27)


@pytest.mark.parametrize(
    ("text", "posted", "deadline", "noted"),
    [
        ("2024/12/31", NOV_27, "2024-12-31", False),
        ("2026-08-28", date(2026, 8, 7), "2026-08-28", False),
        ("2024/11/27", NOV_27, "2024-11-27", False),  # closes the day it opens
        ("~12/31(화)", NOV_27, "2024-12-31", False),
        ("~01/10(금)", NOV_27, "2025-01-10", False),
        ("상시채용", NOV_27, None, False),
        ("채용시", NOV_27, None, False),
        ("채용시까지", NOV_27, None, False),
        ("2024/01/04", NOV_27, "2025-01-04", True),  # the export wrote the wrong year
        ("정보 없음", NOV_27, None, True),
        ("", NOV_27, None, True),
        ("2024/02/30", NOV_27, None, True),
        ("곧 마감", NOV_27, None, True),
    ],
)
def test_parse_deadline(text: str, posted: date, deadline: str | None, noted: bool) -> None:
    parsed = parse_deadline(text, posted=posted)
    assert parsed.value == deadline
    assert (parsed.note is not None) == noted


def test_dates_and_posted_at() -> None:
    assert parse_date("2024/11/29") == date(2024, 11, 29)
    assert parse_date("2026-08-07") == date(2026, 8, 7)
    assert parse_date("2024.11.29") == date(2024, 11, 29)
    assert parse_date("정보 없음") is None
    # 09:00 KST is 00:00 UTC the same day.
    assert posted_at_ms(date(2026, 8, 7)) == 1_786_060_800_000


def test_split_tags() -> None:
    assert split_tags("H/W, S/W, 기술엔지니어, 전기시공, H/W") == (
        "H/W",
        "S/W",
        "기술엔지니어",
        "전기시공",
    )
    assert split_tags("") == ()
    assert split_tags("가" * 80) == ("가" * 50,)  # the contract's 50-character limit
    assert len(split_tags(",".join(f"t{i}" for i in range(80)))) == 50
