"""Rows of a 사람인 (saramin.co.kr) search export -> posting events.

The posting id is 사람인's ``rec_idx`` from the posting link, the employer id a hash of
the ``csn`` of the company link. ``직무 분야`` holds up to five tags, which become the
posting's skills and, with the title, drive the occupation guess. The ``연봉`` column
prints bare amounts ("6,000 만원"), read as annual unless too small to be one.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from importers import korean_fields as kf
from importers.ids import employer_id_from_name, employer_id_from_source, short_hash
from importers.occupations import guess_occupation
from importers.regions import resolve_region
from importers.result import ImportResult, Notes, upsert_event
from schemas.postings import Posting

NAME = "saramin"
COLUMNS: tuple[str, ...] = (
    "채용 제목",
    "채용 링크",
    "회사명",
    "회사 링크",
    "지역",
    "경력",
    "학력",
    "고용형태",
    "연봉",
    "직무 분야",
    "등록일",
    "마감일",
)


def _query_value(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values and values[0] else None


def posting_id_for(link: str) -> str | None:
    """``SR-<rec_idx>`` from a posting link, or None when the link has no numeric rec_idx.

    >>> posting_id_for("https://www.saramin.co.kr/zf_user/jobs/relay/view?rec_idx=48917246&x=1")
    'SR-48917246'
    """
    rec_idx = _query_value(link, "rec_idx")
    return f"SR-{rec_idx}" if rec_idx and rec_idx.isdigit() else None


def map_row(row: dict[str, str], line: int) -> ImportResult:
    """Map one CSV row (column -> text) to an upsert event and its notes."""
    cell = {c: (row.get(c) or "").strip() for c in COLUMNS}
    notes = Notes()
    title = notes.text("title", cell["채용 제목"], max_chars=200, fallback="(제목 없음)")
    company = notes.text("company", cell["회사명"], max_chars=100, fallback="(회사명 없음)")
    posted = kf.parse_date(cell["등록일"])
    if posted is None:
        posted = date.today()
        notes.add("registration_date", cell["등록일"], "not a date; today is used")
    posting_id = posting_id_for(cell["채용 링크"])
    if posting_id is None:
        identity = "|".join((cell["채용 제목"], cell["회사명"], cell["등록일"]))
        posting_id = f"SR-{short_hash(identity)}"
        notes.add("link", cell["채용 링크"], f"no rec_idx; id {posting_id} hashed from the row")
    csn = _query_value(cell["회사 링크"], "csn")
    employer_id = employer_id_from_source(NAME, csn) if csn else employer_id_from_name(company)
    skills = kf.split_tags(cell["직무 분야"])
    career_min, career_max = notes.take("career", cell["경력"], kf.parse_career(cell["경력"]))
    region = notes.take("region", cell["지역"], resolve_region(cell["지역"]))
    wage = notes.take("salary", cell["연봉"], kf.parse_salary(cell["연봉"], default_type="annual"))
    posting = Posting(
        posting_id=posting_id,
        employer_id=employer_id,
        employer_name=company,
        title=title,
        posted_at=kf.posted_at_ms(posted),
        occupation_code=notes.take("occupation", title, guess_occupation(title, skills)),
        region_code=region.code,
        region_name=region.name,
        wage=wage,
        education_min=notes.take("education", cell["학력"], kf.parse_education(cell["학력"])),
        career_min_years=career_min,
        career_max_years=career_max,
        employment_types=notes.take(
            "employment_type", cell["고용형태"], kf.parse_employment_types(cell["고용형태"])
        ),
        skills=skills,
        deadline=notes.take(
            "deadline", cell["마감일"], kf.parse_deadline(cell["마감일"], posted=posted)
        ),
    )
    return ImportResult(line=line, event=upsert_event(posting), notes=notes.items)
