"""The two real exports: every row imports into a valid event; a sample checked by hand.

The expected values below were read off the raw rows of ../shared/data/postings/ (the
files are not copied into the repository; only the few values checked are quoted).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from importers import (
    ImportFormatError,
    ImportResult,
    check_export,
    import_rows,
    note_kind,
    saramin,
)
from schemas import encode, parse_event
from schemas.postings import Posting, Wage

from .exports import EXPORTS

MAN = 10_000  # 만원
SARAMIN_HEADER = ",".join(saramin.COLUMNS) + "\n"


def nine_kst_ms(year: int, month: int, day: int) -> int:
    """09:00 KST is 00:00 UTC of the same day."""
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize("fmt", ["work24", "saramin"])
def test_every_row_imports_into_a_valid_event(
    imported: dict[str, list[ImportResult]], fmt: str
) -> None:
    results = imported[fmt]
    assert len(results) == {"work24": 257, "saramin": 1000}[fmt]
    assert [r.line for r in results] == list(range(1, len(results) + 1))
    for r in results:
        # The contract's validator is the judge: encode, parse back, nothing lost.
        assert parse_event("postings", encode(r.event)) == r.event, r.line
        assert r.event.op == "upsert" and r.event.posting is not None
        assert r.event.event_id == f"import-{r.event.posting_id}"
        assert r.event.ts == r.event.posting.posted_at
    assert len({r.event.posting_id for r in results}) == len(results)


def test_import_is_deterministic(imported: dict[str, list[ImportResult]]) -> None:
    again = list(import_rows("saramin", EXPORTS["saramin"]))
    assert [r.event for r in again] == [r.event for r in imported["saramin"]]


def test_same_company_gets_one_employer_id(imported: dict[str, list[ImportResult]]) -> None:
    def posting(fmt: str, line: int) -> Posting:
        event = imported[fmt][line - 1].event
        assert event.posting is not None
        return event.posting

    # work24 has no company key: "㈜코어소사이어티" (row 7) and "(주)코어소사이어티" (row 63).
    assert posting("work24", 7).employer_id == posting("work24", 63).employer_id
    assert posting("work24", 7).employer_id != posting("work24", 6).employer_id
    # saramin: rows 72 and 75 share the company link's csn (인파트너스).
    assert posting("saramin", 72).employer_id == posting("saramin", 75).employer_id
    assert posting("saramin", 72).employer_id.startswith("E-")


# Hand-checked work24 rows: salary range / 이상, 경력N년 / 신입 / 신입/경력 / bare 경력,
# the education levels and ranges, street addresses, "등" lists, 시도-only regions.
WORK24_SAMPLE: dict[int, dict[str, Any]] = {
    1: dict(
        title="간병/돌봄 플랫폼 고객상담·서비스 운영 매니저 채용",
        employer_name="주식회사 돌봄의신",
        wage=Wage("annual", 3000 * MAN, None),  # 연봉 3,000 만원 이상
        career=(3, None),  # 경력3년
        education_min="00",  # 학력무관
        region=("11680", "서울 강남구"),  # 서울특별시 강남구 테헤란로38길
        occupation_code="01A",
        description="주5일 주 40시간 근로 09:00 ~ 18:00",
        deadline="2026-08-28",
        posted=(2026, 8, 7),
        note_kinds=set(),
    ),
    2: dict(
        title="간호간병통합병동 간호조무사(3교대) 모집",
        employer_name="우리들병원",
        wage=Wage("annual", 2700 * MAN, 3200 * MAN),
        career=(0, None),  # 경력무관
        education_min="00",
        region=("11680", "서울 강남구"),  # 서울특별시 강남구 학동로
        occupation_code="044",
        deadline="2026-09-05",
        posted=(2026, 8, 7),
        note_kinds=set(),
    ),
    6: dict(
        employer_name="(주)지엔지니어링",
        wage=Wage("annual", 3200 * MAN, 3200 * MAN),  # 3,200 ~ 3,200
        career=(0, 0),  # 신입
        education_min="04",  # 대졸(2~3년)
        region=("11680", "서울 강남구"),
        occupation_code="019",
        deadline="2026-09-06",
        posted=(2026, 8, 7),
        note_kinds=set(),
    ),
    7: dict(
        employer_name="㈜코어소사이어티",
        wage=Wage("annual", 3480 * MAN, 4800 * MAN),
        career=(0, None),  # 신입/경력
        education_min="00",
        region=("41450", "경기 하남시"),  # 경기 하남시 등
        occupation_code="064",
        description="기타",
        deadline="2026-09-06",
        posted=(2026, 8, 7),
        note_kinds={"region"},
    ),
    9: dict(
        wage=Wage("annual", 7000 * MAN, 8000 * MAN),
        career=(12, None),  # 경력12년
        education_min="05",  # 대졸(4년)
        region=("11680", "서울 강남구"),
        occupation_code="015",
        posted=(2026, 8, 7),
        note_kinds=set(),
    ),
    15: dict(
        wage=Wage("annual", 4800 * MAN, 4800 * MAN),
        career=(1, None),  # 경력 (no years)
        education_min="03",  # 고졸
        region=("11680", "서울 강남구"),  # 서울 강남구 등
        occupation_code="073",
        note_kinds={"career", "region"},
    ),
    21: dict(
        employer_name="세무법인맥",
        wage=Wage("annual", 4000 * MAN, 5000 * MAN),
        career=(5, None),
        education_min="03",  # 고졸 ~ 대졸(4년): the lowest
        region=("11680", "서울 강남구"),  # 서울특별시 강남구 논현로
        occupation_code="018",
        deadline="2026-08-27",
        posted=(2026, 8, 6),
        note_kinds=set(),
    ),
    33: dict(
        employer_name="압구정경희한의원",
        wage=Wage("annual", 3500 * MAN, 3500 * MAN),
        region=(None, "서울"),  # 서울 등
        occupation_code="044",
        description="",
        posted=(2026, 8, 6),
        note_kinds={"region"},
    ),
    55: dict(
        wage=Wage("annual", 2717 * MAN, 3641 * MAN),
        occupation_code="118",
        deadline="2026-09-04",
        posted=(2026, 8, 5),
        note_kinds=set(),
    ),
    97: dict(
        career=(0, None),  # 신입/경력2년
        wage=Wage("annual", 3600 * MAN, 3800 * MAN),
        posted=(2026, 8, 4),
        note_kinds=set(),
    ),
    108: dict(
        career=(0, 0),
        education_min="04",  # 대졸(2~3년) ~ 대졸(4년)
        region=("11680", "서울 강남구"),  # 서울특별시 강남구 압구정로28길
        occupation_code="028",
        posted=(2026, 8, 3),
        note_kinds=set(),
    ),
    218: dict(
        wage=Wage("annual", 4500 * MAN, 6000 * MAN),
        career=(3, None),
        education_min="05",
        region=(None, "경기"),  # 경기 등
        occupation_code="01B",
        deadline="2026-08-27",
        posted=(2026, 7, 28),
        note_kinds={"region"},
    ),
}

# Hand-checked saramin rows: 정보 없음 / bare annual / monthly-looking / placeholder
# salaries, 경력 N~M년 / N년↓ / bare 경력 / 신입, every education mark, mixed employment
# types, 시도-only regions, deadlines in the wrong year, 채용시 and 상시채용.
SARAMIN_SAMPLE: dict[int, dict[str, Any]] = {
    1: dict(
        posting_id="SR-48917246",
        employer_name="(주)마더케이",
        wage=None,  # 정보 없음
        career=(0, None),  # 신입·경력
        education_min="04",  # 초대졸↑
        employment_types=("regular",),
        region=("41135", "경기 성남시 분당구"),
        skills=("기술지원", "백엔드/서버개발", "앱개발", "웹개발", "유지보수"),
        occupation_code="024",
        deadline="2024-12-31",
        posted=(2024, 11, 29),
        note_kinds={"salary"},
    ),
    4: dict(
        posting_id="SR-49331516",
        region=("52140", "전북 익산시"),
        education_min="00",
        occupation_code="024",  # by the tags: 백엔드/서버개발, 웹개발
        deadline="2025-01-04",  # printed 2024/01/04 for a posting of 2024/11/27
        posted=(2024, 11, 27),
        note_kinds={"salary", "deadline"},
    ),
    8: dict(
        posting_id="SR-49498329",
        career=(1, None),  # 경력
        education_min="05",  # 대졸↑
        region=("11680", "서울 강남구"),
        occupation_code="015",  # 인플루언서 마케팅
        deadline="2025-01-09",
        posted=(2024, 11, 29),
        note_kinds={"career", "salary", "deadline"},
    ),
    18: dict(
        posting_id="SR-49502216",
        region=(None, "서울"),  # 서울전체
        employment_types=("part_time", "contract"),  # 파트·계약직
        occupation_code="033",  # 코딩학원 ... 강사
        deadline=None,  # 상시채용
        posted=(2024, 12, 1),
        note_kinds={"region", "salary"},
    ),
    22: dict(
        posting_id="SR-49502202",
        career=(0, 0),  # 신입
        employment_types=("contract", "intern"),  # 계약직·인턴직
        occupation_code="015",
        note_kinds={"region", "salary"},
    ),
    64: dict(
        posting_id="SR-49453921",
        education_min="06",  # 석사↑
        region=("41460", "경기 용인시"),
        occupation_code="021",
        deadline="2024-12-06",
        posted=(2024, 11, 22),
        note_kinds={"salary"},
    ),
    72: dict(
        posting_id="SR-49496302",
        employer_name="인파트너스",
        wage=Wage("annual", 6000 * MAN, 6000 * MAN),  # 6,000 만원
        career=(6, 15),  # 경력 6~15년
        region=("11650", "서울 서초구"),
        occupation_code="024",
        note_kinds=set(),
    ),
    85: dict(
        posting_id="SR-49482596",
        career=(3, 5),  # 경력 3~5년
        education_min="04",
        employment_types=("contract",),  # 계약직·프리랜서
        deadline="2024-12-08",
        posted=(2024, 11, 28),
        note_kinds={"region", "salary", "employment_type"},
    ),
    157: dict(
        posting_id="SR-49501874",
        wage=Wage("monthly", 226 * MAN, 226 * MAN),  # 226 만원 in the 연봉 column
        employment_types=("dispatch",),  # 파견직
        note_kinds={"salary"},
    ),
    163: dict(
        posting_id="SR-49456335",
        wage=None,  # 100,000 만원 (10억) is a placeholder
        career=(4, 12),
        note_kinds={"salary"},
    ),
    369: dict(
        posting_id="SR-49060485",
        region=("41192", "경기 부천시 원미구"),
        career=(5, 13),
        skills=("H/W", "S/W", "기술엔지니어", "전기시공"),  # H/W listed twice in the row
        deadline=None,  # 채용시
        note_kinds={"salary"},
    ),
    994: dict(
        posting_id="SR-49498047",
        employer_name="티아이에스 주식회사",
        career=(1, 15),  # 경력15년↓
        region=("41590", "경기 화성시"),
        occupation_code="024",
        deadline="2024-12-29",
        posted=(2024, 11, 29),
        note_kinds={"salary"},
    ),
}


def _check(result: ImportResult, expected: dict[str, Any]) -> None:
    posting = result.event.posting
    assert posting is not None
    for key, want in expected.items():
        if key == "career":
            assert (posting.career_min_years, posting.career_max_years) == want
        elif key == "region":
            assert (posting.region_code, posting.region_name) == want
        elif key == "posted":
            assert posting.posted_at == nine_kst_ms(*want)
        elif key == "note_kinds":
            assert {note_kind(n) for n in result.notes} == want, result.notes
        else:
            assert getattr(posting, key) == want, key


@pytest.mark.parametrize("line", sorted(WORK24_SAMPLE))
def test_work24_sample_row(imported: dict[str, list[ImportResult]], line: int) -> None:
    _check(imported["work24"][line - 1], WORK24_SAMPLE[line])


@pytest.mark.parametrize("line", sorted(SARAMIN_SAMPLE))
def test_saramin_sample_row(imported: dict[str, list[ImportResult]], line: int) -> None:
    _check(imported["saramin"][line - 1], SARAMIN_SAMPLE[line])


def test_work24_posting_id_hashes_title_company_and_date(
    imported: dict[str, list[ImportResult]],
) -> None:
    identity = "간병/돌봄 플랫폼 고객상담·서비스 운영 매니저 채용|주식회사 돌봄의신|2026-08-07"
    expected = "W24-" + hashlib.sha1(identity.encode("utf-8")).hexdigest()[:12]
    assert imported["work24"][0].event.posting_id == expected


def test_notes_quote_the_raw_value(imported: dict[str, list[ImportResult]]) -> None:
    assert imported["saramin"][0].notes == ['salary: "정보 없음" -> wage left empty (협의)']


def test_wrong_format_is_refused_with_a_hint() -> None:
    with pytest.raises(ImportFormatError, match="use FORMAT saramin"):
        check_export("work24", EXPORTS["saramin"])
    with pytest.raises(ImportFormatError, match="unknown format 'jobkorea'"):
        check_export("jobkorea", EXPORTS["saramin"])


def test_non_utf8_file_is_refused(tmp_path: Any) -> None:
    path = tmp_path / "cp949.csv"
    path.write_bytes(SARAMIN_HEADER.encode("cp949"))
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        check_export("saramin", path)


def test_a_row_with_empty_cells_still_gives_a_valid_event(tmp_path: Any) -> None:
    path = tmp_path / "sparse.csv"
    path.write_text(SARAMIN_HEADER + ",,,,,,,,,,2024/11/29,\n", encoding="utf-8")
    (result,) = import_rows("saramin", path)
    assert parse_event("postings", encode(result.event)) == result.event
    assert result.event.posting_id.startswith("SR-")
    assert {"title", "company", "link", "region", "salary"} <= {note_kind(n) for n in result.notes}
