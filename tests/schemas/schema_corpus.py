"""Valid and invalid events shared by the schema tests: builders and a labelled corpus.

``INVALID`` is the table behind the "each rejected with a message naming the right field"
acceptance test and the JSON Schema agreement test: every row says which field path the
Python validator must name, which reason it must give, and, when JSON Schema cannot agree,
why (``gap``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tests.shared_data import SHARED_DIR as SHARED

ROOT = Path(__file__).resolve().parents[2]
DESIGN_MD = SHARED / "DESIGN.md"

# Known, documented differences between the Python validator and JSON Schema.
# Cross-field rules (wage.max >= wage.min, ...) cannot be written in JSON Schema.
GAP_CROSS_FIELD = "cross-field rule, Python only (docs/events.md)"
# The `jsonschema` package runs "pattern" with Python's re.search, whose "$" also matches
# before a final newline, so it accepts "P100\n" although the schema (ECMA-262) does not.
GAP_RE_DOLLAR = "jsonschema package: Python re '$' matches before a trailing newline"


def design_examples() -> dict[str, dict[str, Any]]:
    """The JSON examples of ../shared/DESIGN.md, by the topic section they appear in."""
    text = DESIGN_MD.read_text("utf-8")
    out: dict[str, dict[str, Any]] = {}
    for section, block in re.findall(r"### jobmatch\.(\w+)\s+```json\n(.*?)```", text, re.S):
        out[section] = orjson.loads(block)
    return out


POSTING_EVENT: dict[str, Any] = {
    "v": 1,
    "event_id": "ev-1",
    "ts": 1764230400000,
    "op": "upsert",
    "posting": {
        "posting_id": "P100",
        "employer_id": "E7",
        "employer_name": "(주)한빛물류",
        "title": "물류센터 지게차 운전원 채용",
        "description": "…",
        "occupation_code": "07C",
        "region_code": "41590",
        "region_name": "경기 화성시",
        "wage": {"type": "monthly", "min": 2800000, "max": 3200000},
        "education_min": "03",
        "career_min_years": 0,
        "career_max_years": None,
        "employment_types": ["regular"],
        "skills": ["지게차"],
        "certificates": ["지게차운전기능사"],
        "headcount": 3,
        "posted_at": 1764230400000,
        "deadline": "2026-12-31",
    },
}
PROFILE_EVENT: dict[str, Any] = {
    "v": 1,
    "event_id": "ev-2",
    "ts": 1764230400000,
    "op": "upsert",
    "profile": {
        "seeker_id": "S42",
        "desired_occupation_codes": ["07C"],
        "desired_titles": ["지게차"],
        "desired_region_codes": ["41590", "41"],
        "home_region_code": "41590",
        "desired_wage": {"type": "monthly", "min": 2500000},
        "education_level": "03",
        "career_years": 2,
        "skills": ["지게차"],
        "certificates": ["지게차운전기능사"],
        "employment_types": ["regular", "contract"],
    },
}
INTERACTION: dict[str, Any] = {
    "v": 1,
    "event_id": "ev-3",
    "ts": 1764230460000,
    "seeker_id": "S42",
    "posting_id": "P100",
    "action": "apply",
    "source": "reco",
    "position": 3,
}
BASES: dict[str, dict[str, Any]] = {
    "postings": POSTING_EVENT,
    "profiles": PROFILE_EVENT,
    "interactions": INTERACTION,
}

_MISSING = object()


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        steps.append(int(part[1:-1]) if part.startswith("[") else part)
    return steps


def edit(base: dict[str, Any], path: str, value: Any = _MISSING) -> dict[str, Any]:
    """A deep copy of ``base`` with ``path`` set to ``value`` (or deleted when omitted)."""
    out = copy.deepcopy(base)
    *parents, last = _steps(path)
    node: Any = out
    for step in parents:
        node = node[step]
    if value is _MISSING:
        del node[last]
    else:
        node[last] = value
    return out


def posting(path: str, value: Any = _MISSING) -> dict[str, Any]:
    return edit(POSTING_EVENT, path, value)


def profile(path: str, value: Any = _MISSING) -> dict[str, Any]:
    return edit(PROFILE_EVENT, path, value)


def interaction(path: str, value: Any = _MISSING) -> dict[str, Any]:
    return edit(INTERACTION, path, value)


def minimal_posting() -> dict[str, Any]:
    p = POSTING_EVENT["posting"]
    keep = ("posting_id", "employer_id", "employer_name", "title", "posted_at")
    return {**edit(POSTING_EVENT, "posting"), "posting": {k: p[k] for k in keep}}


CLOSE = {"v": 1, "event_id": "ev-9", "ts": 1764230400000, "op": "close"}
CLOSE["posting"] = {"posting_id": "P100"}
DEACTIVATE = {"v": 1, "event_id": "ev-8", "ts": 1764230400000, "op": "deactivate"}
DEACTIVATE["profile"] = {"seeker_id": "S42"}


@dataclass(frozen=True)
class Case:
    label: str
    family: str
    event: Any
    path: str
    reason: str = "schema"
    gap: str | None = None


def _all_nulls_posting() -> dict[str, Any]:
    ev = minimal_posting()
    for name in (
        "occupation_code",
        "region_code",
        "region_name",
        "wage",
        "career_max_years",
        "headcount",
        "deadline",
    ):
        ev["posting"][name] = None
    return ev


def _all_nulls_profile() -> dict[str, Any]:
    ev = edit(PROFILE_EVENT, "profile", {"seeker_id": "S1"})
    for name in ("home_region_code", "desired_wage", "education_level", "age_band"):
        ev["profile"][name] = None
    return ev


def _extra_everywhere() -> dict[str, Any]:
    ev = posting("posting.wage.currency", "KRW")
    ev["trace"] = {"hop": 1}
    ev["posting"]["logo_url"] = "https://example.com/x.png"
    return ev


VALID: list[tuple[str, str, dict[str, Any]]] = [
    ("design posting example", "postings", POSTING_EVENT),
    ("design profile example", "profiles", PROFILE_EVENT),
    ("design interaction example", "interactions", INTERACTION),
    ("minimal posting", "postings", minimal_posting()),
    ("every nullable posting field null", "postings", _all_nulls_posting()),
    ("close with only the id", "postings", CLOSE),
    ("close ignores other posting fields", "postings", edit(CLOSE, "posting.title", 7)),
    ("unknown fields at every level", "postings", _extra_everywhere()),
    ("64-character ids", "postings", posting("posting.employer_id", "E" * 64)),
    ("128-character event id", "postings", posting("event_id", "e:" * 64)),
    ("ts at the lower bound", "postings", posting("ts", 946684800000)),
    ("ts just below the upper bound", "postings", posting("ts", 4102444799999)),
    ("integral float is an integer", "postings", posting("posting.headcount", 3.0)),
    ("v as 1.0", "interactions", interaction("v", 1.0)),
    ("open-ended wage", "postings", posting("posting.wage.max", None)),
    ("wage without max", "postings", posting("posting.wage.max")),
    ("wage max equal to min", "postings", posting("posting.wage.max", 2800000)),
    ("wage at the cap", "postings", posting("posting.wage", {"type": "annual", "min": 10**10})),
    ("negotiable wage", "postings", posting("posting.wage", None)),
    ("leap day deadline", "postings", posting("posting.deadline", "2028-02-29")),
    ("sejong region", "postings", posting("posting.region_code", "36110")),
    ("career range", "postings", posting("posting.career_max_years", 5)),
    ("200-character title", "postings", posting("posting.title", "가" * 200)),
    ("empty description", "postings", posting("posting.description", "")),
    (
        "all six employment types",
        "postings",
        posting(
            "posting.employment_types",
            ["regular", "contract", "part_time", "daily", "dispatch", "intern"],
        ),
    ),
    ("50 skills", "postings", posting("posting.skills", [f"s{i}" for i in range(50)])),
    ("duplicate skills are allowed", "postings", posting("posting.skills", ["a", "a"])),
    ("headcount 10000", "postings", posting("posting.headcount", 10000)),
    ("minimal profile", "profiles", edit(PROFILE_EVENT, "profile", {"seeker_id": "S1"})),
    ("every nullable profile field null", "profiles", _all_nulls_profile()),
    ("deactivate", "profiles", DEACTIVATE),
    ("profile with age band", "profiles", profile("profile.age_band", "60+")),
    ("30 desired regions", "profiles", profile("profile.desired_region_codes", ["11"] * 30)),
    ("interaction without position", "interactions", interaction("position")),
    ("interaction position null", "interactions", interaction("position", None)),
    ("interaction position 0", "interactions", interaction("position", 0)),
]

_ID_65 = "x" * 65

INVALID: list[Case] = [
    # -------------------------------------------------------------- whole message / envelope
    Case("not an object", "postings", [POSTING_EVENT], "", "bad_json"),
    Case("a string", "interactions", "ev-3", "", "bad_json"),
    Case("v missing", "postings", posting("v"), "v"),
    Case("v 2", "postings", posting("v", 2), "v", "unsupported_version"),
    Case("v as a string", "profiles", profile("v", "1"), "v", "unsupported_version"),
    Case("v true", "interactions", interaction("v", True), "v", "unsupported_version"),
    Case("event_id missing", "postings", posting("event_id"), "event_id"),
    Case("event_id empty", "postings", posting("event_id", ""), "event_id"),
    Case("event_id with a space", "profiles", profile("event_id", "ev 2"), "event_id"),
    Case("event_id 129 chars", "interactions", interaction("event_id", "e" * 129), "event_id"),
    Case("ts a string", "postings", posting("ts", "1764230400000"), "ts"),
    Case("ts in seconds", "postings", posting("ts", 1764230400), "ts"),
    Case("ts a boolean", "interactions", interaction("ts", True), "ts"),
    Case("ts in 2100", "profiles", profile("ts", 4102444800000), "ts"),
    Case("ts fractional", "postings", posting("ts", 1764230400000.5), "ts"),
    Case("op unknown", "postings", posting("op", "delete"), "op"),
    Case("op missing", "postings", posting("op"), "op"),
    Case("posting missing", "postings", posting("posting"), "posting"),
    Case("posting a list", "postings", posting("posting", []), "posting"),
    Case("posting null on upsert", "postings", posting("posting", None), "posting"),
    # -------------------------------------------------------------- posting fields
    Case("posting_id missing", "postings", posting("posting.posting_id"), "posting.posting_id"),
    Case(
        "posting_id 65 chars",
        "postings",
        posting("posting.posting_id", _ID_65),
        "posting.posting_id",
    ),
    Case(
        "posting_id with a space",
        "postings",
        posting("posting.posting_id", "P 1"),
        "posting.posting_id",
    ),
    Case(
        "posting_id Korean",
        "postings",
        posting("posting.posting_id", "공고1"),
        "posting.posting_id",
    ),
    Case(
        "posting_id trailing newline",
        "postings",
        posting("posting.posting_id", "P100\n"),
        "posting.posting_id",
        gap=GAP_RE_DOLLAR,
    ),
    Case("employer_id missing", "postings", posting("posting.employer_id"), "posting.employer_id"),
    Case(
        "employer_name empty",
        "postings",
        posting("posting.employer_name", ""),
        "posting.employer_name",
    ),
    Case(
        "employer_name 101 chars",
        "postings",
        posting("posting.employer_name", "a" * 101),
        "posting.employer_name",
    ),
    Case("title missing", "postings", posting("posting.title"), "posting.title"),
    Case("title 201 chars", "postings", posting("posting.title", "가" * 201), "posting.title"),
    Case("title a number", "postings", posting("posting.title", 123), "posting.title"),
    Case(
        "description null", "postings", posting("posting.description", None), "posting.description"
    ),
    Case(
        "description too long",
        "postings",
        posting("posting.description", "a" * 10001),
        "posting.description",
    ),
    Case(
        "occupation top-level code",
        "postings",
        posting("posting.occupation_code", "07"),
        "posting.occupation_code",
    ),
    Case(
        "occupation unknown",
        "postings",
        posting("posting.occupation_code", "999"),
        "posting.occupation_code",
    ),
    Case(
        "region_code a 시도",
        "postings",
        posting("posting.region_code", "41"),
        "posting.region_code",
    ),
    Case(
        "region_code unknown",
        "postings",
        posting("posting.region_code", "99999"),
        "posting.region_code",
    ),
    Case(
        "region_code an integer",
        "postings",
        posting("posting.region_code", 41590),
        "posting.region_code",
    ),
    Case(
        "region_code a 법정동",
        "postings",
        posting("posting.region_code", "4159025300"),
        "posting.region_code",
    ),
    Case(
        "region_name too long",
        "postings",
        posting("posting.region_name", "a" * 101),
        "posting.region_name",
    ),
    Case("wage a string", "postings", posting("posting.wage", "협의"), "posting.wage"),
    Case(
        "wage type weekly", "postings", posting("posting.wage.type", "weekly"), "posting.wage.type"
    ),
    Case("wage type missing", "postings", posting("posting.wage.type"), "posting.wage.type"),
    Case(
        "wage min Korean text",
        "postings",
        posting("posting.wage.min", "삼백만원"),
        "posting.wage.min",
    ),
    Case("wage min negative", "postings", posting("posting.wage.min", -1), "posting.wage.min"),
    Case("wage min missing", "postings", posting("posting.wage.min"), "posting.wage.min"),
    Case(
        "wage min over the cap",
        "postings",
        posting("posting.wage.min", 10**10 + 1),
        "posting.wage.min",
    ),
    Case(
        "wage max a string", "postings", posting("posting.wage.max", "3200000"), "posting.wage.max"
    ),
    Case(
        "wage max below min",
        "postings",
        posting("posting.wage.max", 100),
        "posting.wage.max",
        gap=GAP_CROSS_FIELD,
    ),
    Case(
        "education_min 08",
        "postings",
        posting("posting.education_min", "08"),
        "posting.education_min",
    ),
    Case(
        "education_min a number",
        "postings",
        posting("posting.education_min", 3),
        "posting.education_min",
    ),
    Case(
        "career_min_years 61",
        "postings",
        posting("posting.career_min_years", 61),
        "posting.career_min_years",
    ),
    Case(
        "career_min_years 1.5",
        "postings",
        posting("posting.career_min_years", 1.5),
        "posting.career_min_years",
    ),
    Case(
        "career_min_years null",
        "postings",
        posting("posting.career_min_years", None),
        "posting.career_min_years",
    ),
    Case(
        "career_max below min",
        "postings",
        edit(posting("posting.career_min_years", 5), "posting.career_max_years", 3),
        "posting.career_max_years",
        gap=GAP_CROSS_FIELD,
    ),
    Case(
        "employment_types a string",
        "postings",
        posting("posting.employment_types", "regular"),
        "posting.employment_types",
    ),
    Case(
        "employment type unknown",
        "postings",
        posting("posting.employment_types", ["fulltime"]),
        "posting.employment_types[0]",
    ),
    Case(
        "employment type repeated",
        "postings",
        posting("posting.employment_types", ["regular", "regular"]),
        "posting.employment_types[1]",
    ),
    Case(
        "employment types 7 items",
        "postings",
        posting("posting.employment_types", ["regular"] * 7),
        "posting.employment_types",
    ),
    Case(
        "skills 51 items",
        "postings",
        posting("posting.skills", [f"s{i}" for i in range(51)]),
        "posting.skills",
    ),
    Case("skill empty", "postings", posting("posting.skills", ["지게차", ""]), "posting.skills[1]"),
    Case("skill 51 chars", "postings", posting("posting.skills", ["a" * 51]), "posting.skills[0]"),
    Case("skill a number", "postings", posting("posting.skills", [1]), "posting.skills[0]"),
    Case(
        "certificates 31 items",
        "postings",
        posting("posting.certificates", ["c"] * 31),
        "posting.certificates",
    ),
    Case(
        "certificate null",
        "postings",
        posting("posting.certificates", [None]),
        "posting.certificates[0]",
    ),
    Case("headcount 0", "postings", posting("posting.headcount", 0), "posting.headcount"),
    Case("headcount 10001", "postings", posting("posting.headcount", 10001), "posting.headcount"),
    Case("posted_at missing", "postings", posting("posting.posted_at"), "posting.posted_at"),
    Case(
        "posted_at a date",
        "postings",
        posting("posting.posted_at", "2026-01-01"),
        "posting.posted_at",
    ),
    Case(
        "deadline 2026-02-30",
        "postings",
        posting("posting.deadline", "2026-02-30"),
        "posting.deadline",
    ),
    Case(
        "deadline with slashes",
        "postings",
        posting("posting.deadline", "2026/12/31"),
        "posting.deadline",
    ),
    Case(
        "deadline basic format",
        "postings",
        posting("posting.deadline", "20261231"),
        "posting.deadline",
    ),
    Case(
        "deadline a number", "postings", posting("posting.deadline", 20261231), "posting.deadline"
    ),
    Case(
        "deadline with a time",
        "postings",
        posting("posting.deadline", "2026-12-31T00:00"),
        "posting.deadline",
    ),
    Case(
        "deadline month 13",
        "postings",
        posting("posting.deadline", "2026-13-01"),
        "posting.deadline",
    ),
    Case("close without posting", "postings", edit(CLOSE, "posting"), "posting"),
    Case("close without posting_id", "postings", edit(CLOSE, "posting", {}), "posting.posting_id"),
    Case("close posting a string", "postings", edit(CLOSE, "posting", "P100"), "posting"),
    Case(
        "close bad posting_id",
        "postings",
        edit(CLOSE, "posting.posting_id", "P/1"),
        "posting.posting_id",
    ),
    # -------------------------------------------------------------- profiles
    Case("seeker_id missing", "profiles", profile("profile.seeker_id"), "profile.seeker_id"),
    Case("profile missing", "profiles", profile("profile"), "profile"),
    Case("profile op unknown", "profiles", profile("op", "delete"), "op"),
    Case(
        "desired occupation top-level",
        "profiles",
        profile("profile.desired_occupation_codes", ["07"]),
        "profile.desired_occupation_codes[0]",
    ),
    Case(
        "desired occupations 21",
        "profiles",
        profile("profile.desired_occupation_codes", ["07C"] * 21),
        "profile.desired_occupation_codes",
    ),
    Case(
        "desired title empty",
        "profiles",
        profile("profile.desired_titles", [""]),
        "profile.desired_titles[0]",
    ),
    Case(
        "desired titles 21",
        "profiles",
        profile("profile.desired_titles", ["t"] * 21),
        "profile.desired_titles",
    ),
    Case(
        "desired region 4 digits",
        "profiles",
        profile("profile.desired_region_codes", ["41", "4159"]),
        "profile.desired_region_codes[1]",
    ),
    Case(
        "desired region 00",
        "profiles",
        profile("profile.desired_region_codes", ["00"]),
        "profile.desired_region_codes[0]",
    ),
    Case(
        "desired regions 31",
        "profiles",
        profile("profile.desired_region_codes", ["11"] * 31),
        "profile.desired_region_codes",
    ),
    Case(
        "home region a 시도",
        "profiles",
        profile("profile.home_region_code", "41"),
        "profile.home_region_code",
    ),
    Case(
        "desired wage without min",
        "profiles",
        profile("profile.desired_wage.min"),
        "profile.desired_wage.min",
    ),
    Case(
        "desired wage type yearly",
        "profiles",
        profile("profile.desired_wage.type", "yearly"),
        "profile.desired_wage.type",
    ),
    Case(
        "desired wage a number",
        "profiles",
        profile("profile.desired_wage", 2500000),
        "profile.desired_wage",
    ),
    Case(
        "education_level 8",
        "profiles",
        profile("profile.education_level", "8"),
        "profile.education_level",
    ),
    Case(
        "career_years negative",
        "profiles",
        profile("profile.career_years", -1),
        "profile.career_years",
    ),
    Case("age band Korean", "profiles", profile("profile.age_band", "40대"), "profile.age_band"),
    Case(
        "profile employment type hyphen",
        "profiles",
        profile("profile.employment_types", ["part-time"]),
        "profile.employment_types[0]",
    ),
    Case(
        "profile skills a dict", "profiles", profile("profile.skills", {"a": 1}), "profile.skills"
    ),
    Case(
        "deactivate empty seeker_id",
        "profiles",
        edit(DEACTIVATE, "profile.seeker_id", ""),
        "profile.seeker_id",
    ),
    Case("deactivate profile null", "profiles", edit(DEACTIVATE, "profile", None), "profile"),
    # -------------------------------------------------------------- interactions
    Case("action unknown", "interactions", interaction("action", "view"), "action"),
    Case("action missing", "interactions", interaction("action"), "action"),
    Case("source unknown", "interactions", interaction("source", "email"), "source"),
    Case("source missing", "interactions", interaction("source"), "source"),
    Case("position negative", "interactions", interaction("position", -1), "position"),
    Case("position a string", "interactions", interaction("position", "3"), "position"),
    Case("position too large", "interactions", interaction("position", 10001), "position"),
    Case("interaction posting_id missing", "interactions", interaction("posting_id"), "posting_id"),
    Case(
        "interaction seeker_id a number", "interactions", interaction("seeker_id", 42), "seeker_id"
    ),
]
