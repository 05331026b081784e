"""Rows of a 고용24 (work24.go.kr) job search export -> posting events.

The export has no posting id, occupation code, employment type or skills: the id is a
hash of title, company and registration date, and the occupation is guessed from the
title. ``working_condition`` ("주5일 주 40시간 근로 09:00 ~ 18:00") becomes the
description.
"""

from __future__ import annotations

from datetime import date

from importers import korean_fields as kf
from importers.ids import employer_id_from_name, short_hash
from importers.occupations import guess_occupation
from importers.regions import resolve_region
from importers.result import ImportResult, Notes, upsert_event
from schemas.postings import Posting

NAME = "work24"
COLUMNS: tuple[str, ...] = (
    "position_title",
    "company_name",
    "company_category",
    "recruit_provider",
    "annual_salary",
    "career",
    "education",
    "working_condition",
    "location",
    "deadline_date",
    "registration_date",
)


def posting_id_for(title: str, company: str, registration_date: str) -> str:
    """``W24-<12 hex>``: the export has no id, so the row's identity is hashed."""
    return f"W24-{short_hash(f'{title}|{company}|{registration_date}')}"


def map_row(row: dict[str, str], line: int) -> ImportResult:
    """Map one CSV row (column -> text) to an upsert event and its notes."""
    cell = {c: (row.get(c) or "").strip() for c in COLUMNS}
    notes = Notes()
    title = notes.text("title", cell["position_title"], max_chars=200, fallback="(제목 없음)")
    company = notes.text("company", cell["company_name"], max_chars=100, fallback="(회사명 없음)")
    posted = kf.parse_date(cell["registration_date"])
    if posted is None:
        posted = date.today()
        notes.add("registration_date", cell["registration_date"], "not a date; today is used")
    career_min, career_max = notes.take("career", cell["career"], kf.parse_career(cell["career"]))
    region = notes.take("region", cell["location"], resolve_region(cell["location"]))
    posting = Posting(
        posting_id=posting_id_for(
            cell["position_title"], cell["company_name"], cell["registration_date"]
        ),
        employer_id=employer_id_from_name(company),
        employer_name=company,
        title=title,
        posted_at=kf.posted_at_ms(posted),
        description=cell["working_condition"],
        occupation_code=notes.take("occupation", title, guess_occupation(title)),
        region_code=region.code,
        region_name=region.name,
        wage=notes.take("salary", cell["annual_salary"], kf.parse_salary(cell["annual_salary"])),
        education_min=notes.take(
            "education", cell["education"], kf.parse_education(cell["education"])
        ),
        career_min_years=career_min,
        career_max_years=career_max,
        deadline=notes.take(
            "deadline",
            cell["deadline_date"],
            kf.parse_deadline(cell["deadline_date"], posted=posted),
        ),
    )
    return ImportResult(line=line, event=upsert_event(posting), notes=notes.items)
