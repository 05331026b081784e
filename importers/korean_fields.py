"""Pure parsers for the raw Korean strings of job-site exports.

Each parser takes the text of one cell and returns a :class:`Parsed` value; when the
text cannot be mapped faithfully the value is the contract's "unknown" (None, 학력무관,
no years) and ``note`` says why. None of them raises on odd input: a job-site export
is full of free text, and one bad cell must not lose the row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone

from importers.parsed import Parsed
from schemas.postings import EmploymentType, Wage

KST = timezone(timedelta(hours=9), "KST")

# ---------------------------------------------------------------------------------------
# Salary

# The pay period words job sites print before an amount.
_WAGE_PERIODS: dict[str, str] = {
    "연봉": "annual",
    "연": "annual",
    "월급": "monthly",
    "월": "monthly",
    "일급": "daily",
    "일당": "daily",
    "시급": "hourly",
}
_PERIOD_RE = re.compile(r"^(연봉|월급|일급|일당|시급|연|월)\s*")
# An amount: digits with thousands commas (and an optional decimal), then a unit.
_AMOUNT_RE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(억|천만원|천만|만원|만|천원|원)?")
_UNIT_KRW = {
    "억": 100_000_000,
    "천만원": 10_000_000,
    "천만": 10_000_000,
    "만원": 10_000,
    "만": 10_000,
    "천원": 1_000,
    "원": 1,
    None: 1,
}
# Words that mean "negotiable / not stated": the contract's wage None.
_NEGOTIABLE_RE = re.compile(r"정보\s*없음|협의|면접\s*후|내규|추후|결정|미정|무관")
# Above these a value is a placeholder, not a wage (10억 a year for a 기술PM).
_WAGE_CEILING = {
    "hourly": 1_000_000,
    "daily": 5_000_000,
    "monthly": 50_000_000,
    "annual": 500_000_000,
}
# An "annual" amount below this (1,000만원) is a monthly wage whose period the export
# dropped: 사람인's 연봉 column shows "226 만원" for a 월급 226만원 posting.
_LOWEST_ANNUAL = 10_000_000


def _krw(number: str, unit: str | None) -> int:
    return round(float(number.replace(",", "")) * _UNIT_KRW[unit])


def _amounts(text: str) -> list[int]:
    """Every amount in ``text`` in KRW; "1억 2,000만원" is one amount."""
    amounts: list[int] = []
    joined_to_previous = False
    for m in _AMOUNT_RE.finditer(text):
        value = _krw(m.group(1), m.group(2))
        if joined_to_previous and amounts:
            amounts[-1] += value
        else:
            amounts.append(value)
        joined_to_previous = m.group(2) == "억"
    return amounts


def parse_salary(text: str, *, default_type: str | None = None) -> Parsed[Wage | None]:
    """Read a salary text into a :class:`Wage` in KRW, or None when it is not stated.

    ``default_type`` is the pay period when the text carries none (사람인's 연봉 column
    prints a bare "6,000 만원").

    >>> parse_salary("연봉 2,700 만원 ~ 3,200 만원").value
    Wage(type='annual', min=27000000, max=32000000)
    >>> parse_salary("연봉 3,000 만원 이상").value
    Wage(type='annual', min=30000000, max=None)
    >>> parse_salary("월급 250만원").value
    Wage(type='monthly', min=2500000, max=2500000)
    >>> parse_salary("시급 10,030원").value
    Wage(type='hourly', min=10030, max=10030)
    >>> parse_salary("일급 15만원").value
    Wage(type='daily', min=150000, max=150000)
    >>> parse_salary("연봉 1억 2,000만원").value
    Wage(type='annual', min=120000000, max=120000000)
    >>> parse_salary("정보 없음")
    Parsed(value=None, note='wage left empty (협의)')
    >>> parse_salary("면접 후 결정").value is None
    True
    >>> bare = parse_salary("226 만원", default_type="annual")
    >>> bare.value, bare.note
    (Wage(type='monthly', min=2260000, max=2260000), 'below any annual wage: read as monthly')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    period = _PERIOD_RE.match(raw)
    wage_type = _WAGE_PERIODS[period.group(1)] if period else default_type
    body = raw[period.end() :] if period else raw
    amounts = _amounts(body)
    if not amounts:
        if not raw or _NEGOTIABLE_RE.search(raw):
            return Parsed(None, "wage left empty (협의)")
        return Parsed(None, "no amount found; wage left empty")
    note = None
    if wage_type is None:
        wage_type = _type_by_size(amounts[0])
        note = f"no pay period given: read as {wage_type} by its size"
    elif wage_type == "annual" and not period and max(amounts) < _LOWEST_ANNUAL:
        wage_type, note = "monthly", "below any annual wage: read as monthly"
    low = amounts[0]
    if re.search(r"이상|부터|~\s*$", body) and len(amounts) == 1:
        high: int | None = None
    elif re.search(r"이하|까지", body) and len(amounts) == 1:
        return Parsed(None, "only an upper bound is given; wage left empty")
    else:
        high = amounts[1] if len(amounts) > 1 else low
    if high is not None and high < low:
        low, high = high, low
        note = "minimum and maximum were swapped"
    if (high or low) > _WAGE_CEILING[wage_type]:
        return Parsed(None, f"not a plausible {wage_type} wage; wage left empty")
    return Parsed(Wage(type=wage_type, min=low, max=high), note)  # type: ignore[arg-type]


def _type_by_size(krw: int) -> str:
    if krw >= _LOWEST_ANNUAL:
        return "annual"
    if krw >= 1_000_000:
        return "monthly"
    if krw >= 50_000:
        return "daily"
    return "hourly"


# ---------------------------------------------------------------------------------------
# Career

_RANGE_YEARS_RE = re.compile(r"(\d+)\s*(?:년)?\s*~\s*(\d+)\s*년")
_MIN_YEARS_RE = re.compile(r"(\d+)\s*년\s*(?:↑|이상|차\s*이상)?")
_MAX_YEARS_RE = re.compile(r"(\d+)\s*년\s*(?:↓|이하|미만)")
_MAX_CAREER_YEARS = 60


def parse_career(text: str) -> Parsed[tuple[int, int | None]]:
    """Read a career requirement into ``(career_min_years, career_max_years)``.

    A max of None means no upper limit. "신입" alone is (0, 0); when 신입 and 경력 are
    both welcome the posting takes anyone, whatever years the 경력 part names.

    >>> parse_career("경력3년").value
    (3, None)
    >>> parse_career("경력 3~5년").value
    (3, 5)
    >>> parse_career("경력5년↑").value
    (5, None)
    >>> parse_career("경력15년↓").value
    (1, 15)
    >>> parse_career("신입").value
    (0, 0)
    >>> parse_career("신입·경력").value, parse_career("신입/경력2년").value
    ((0, None), (0, None))
    >>> parse_career("경력무관").value
    (0, None)
    >>> parse_career("경력")
    Parsed(value=(1, None), note='no years given: at least 1 year assumed')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw or "무관" in raw:
        return Parsed((0, None), None if raw else "no career requirement given")
    if "신입" in raw:
        return Parsed((0, None) if "경력" in raw else (0, 0))
    if m := _RANGE_YEARS_RE.search(raw):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return Parsed((min(low, _MAX_CAREER_YEARS), min(high, _MAX_CAREER_YEARS)))
    if m := _MAX_YEARS_RE.search(raw):
        high = min(int(m.group(1)), _MAX_CAREER_YEARS)
        return Parsed((min(1, high), high))
    if m := _MIN_YEARS_RE.search(raw):
        return Parsed((min(int(m.group(1)), _MAX_CAREER_YEARS), None))
    if "경력" in raw:
        return Parsed((1, None), "no years given: at least 1 year assumed")
    return Parsed((0, None), "not a career requirement I can read; left open")


# ---------------------------------------------------------------------------------------
# Education

# Alternatives are tried left to right at each position, so the longer spellings come
# first ("초대졸" must not be read as "대졸", "대졸(2~3년)" not as 4-year "대졸").
_EDUCATION_RE = re.compile(
    r"(?P<e00>학력\s*무관|무관)"
    r"|(?P<e04>초대졸|전문대|대졸\s*\(\s*2\s*[~,]\s*3\s*년\s*\)|대학\s*\(\s*2\s*[~,]\s*3\s*년\s*\)"
    r"|2\s*[~,]\s*3\s*년제)"
    r"|(?P<e05>대졸|대학교|4\s*년제|학사)"
    r"|(?P<e01>초졸|초등학교)"
    r"|(?P<e02>중졸|중학교)"
    r"|(?P<e03>고졸|고등학교)"
    r"|(?P<e06>석사)"
    r"|(?P<e07>박사)"
)


def parse_education(text: str) -> Parsed[str]:
    """Read an education requirement into the contract's level ``"00"``..``"07"``.

    A range ("고졸 ~ 대졸(4년)") requires its lowest level.

    >>> [parse_education(t).value for t in ("고졸", "초대졸↑", "대졸↑", "학력무관", "석사↑")]
    ['03', '04', '05', '00', '06']
    >>> parse_education("대졸(2~3년)").value, parse_education("대졸(4년)").value
    ('04', '05')
    >>> parse_education("고졸 ~ 대졸(4년)").value
    '03'
    >>> parse_education("기타")
    Parsed(value='00', note='not an education level I know; left as 학력무관 (00)')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    levels = [m.lastgroup[1:] for m in _EDUCATION_RE.finditer(raw) if m.lastgroup]
    if not levels:
        why = "not an education level I know" if raw else "no education given"
        return Parsed("00", f"{why}; left as 학력무관 (00)")
    return Parsed(min(levels))


# ---------------------------------------------------------------------------------------
# Employment type

_EMPLOYMENT_TYPES: dict[str, EmploymentType] = {
    "정규직": "regular",
    "정규": "regular",
    "계약직": "contract",
    "계약": "contract",
    "기간제": "contract",
    "파견직": "dispatch",
    "파견": "dispatch",
    "인턴직": "intern",
    "인턴": "intern",
    "파트": "part_time",
    "파트타임": "part_time",
    "아르바이트": "part_time",
    "알바": "part_time",
    "시간제": "part_time",
    "일용직": "daily",
    "일용": "daily",
}
_EMPLOYMENT_SPLIT_RE = re.compile(r"[·・,/|\s]+")


def parse_employment_types(text: str) -> Parsed[tuple[EmploymentType, ...]]:
    """Read "정규직·계약직" into contract employment types, in order, without repeats.

    Kinds the contract has no type for (프리랜서, 위촉직, 교육생, 병역특례...) are left
    out, and the note names them.

    >>> parse_employment_types("정규직·계약직").value
    ('regular', 'contract')
    >>> parse_employment_types("기간제·계약직").value
    ('contract',)
    >>> parse_employment_types("인턴직").value, parse_employment_types("파견직").value
    (('intern',), ('dispatch',))
    >>> parse_employment_types("정규직·병역특례")
    Parsed(value=('regular',), note='병역특례 has no contract employment type; left out')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw or "없음" in raw:
        return Parsed((), "no employment type given")
    kinds: list[EmploymentType] = []
    unknown: list[str] = []
    for part in filter(None, _EMPLOYMENT_SPLIT_RE.split(raw)):
        kind = _EMPLOYMENT_TYPES.get(part)
        if kind is None:
            unknown.append(part)
        elif kind not in kinds:
            kinds.append(kind)
    verb = "have" if len(unknown) > 1 else "has"
    named = ", ".join(unknown)
    note = f"{named} {verb} no contract employment type; left out" if unknown else None
    return Parsed(tuple(kinds), note)


# ---------------------------------------------------------------------------------------
# Dates

_FULL_DATE_RE = re.compile(r"(\d{4})\s*[-/.년]\s*(\d{1,2})\s*[-/.월]\s*(\d{1,2})")
_MONTH_DAY_RE = re.compile(r"(\d{1,2})\s*[/.월]\s*(\d{1,2})")
# Postings that stay open until filled: the contract's deadline None.
_OPEN_ENDED_RE = re.compile(r"상시|채용\s*시|수시|마감\s*시")


def parse_date(text: str) -> date | None:
    """A full calendar date ("2024/11/29", "2026-08-07", "2024.11.29"), or None.

    >>> parse_date("2024/11/29"), parse_date("2026-08-07")
    (datetime.date(2024, 11, 29), datetime.date(2026, 8, 7))
    >>> parse_date("2024/02/30") is None, parse_date("채용시") is None
    (True, True)
    """
    m = _FULL_DATE_RE.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_deadline(text: str, *, posted: date) -> Parsed[str | None]:
    """Read a deadline into ``"YYYY-MM-DD"``, or None for 채용시까지.

    ``posted`` (the registration date) gives the year when the text has none
    ("~12/31(화)"), and fixes a year the export got wrong: 사람인 printed January
    deadlines of postings registered in November 2024 as "2024/01/..".

    >>> parse_deadline("2024/11/29", posted=date(2024, 11, 1)).value
    '2024-11-29'
    >>> parse_deadline("~12/31(화)", posted=date(2024, 11, 29)).value
    '2024-12-31'
    >>> parse_deadline("~01/10(금)", posted=date(2024, 11, 29)).value
    '2025-01-10'
    >>> parse_deadline("상시채용", posted=date(2024, 11, 29))
    Parsed(value=None, note=None)
    >>> parse_deadline("2024/01/04", posted=date(2024, 11, 27))
    Parsed(value='2025-01-04', note='before the registration date: read as 2025-01-04')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    if _OPEN_ENDED_RE.search(raw):
        return Parsed(None)
    if not raw or "없음" in raw:
        return Parsed(None, "no deadline given; left empty (채용시까지)")
    full = _FULL_DATE_RE.search(raw)
    if full:
        day = parse_date(raw)
        if day is None:
            return Parsed(None, "not a calendar date; left empty (채용시까지)")
        if day >= posted:
            return Parsed(day.isoformat())
        moved = _next_after(posted, day.month, day.day)
        if moved is None:
            return Parsed(None, "before the registration date; left empty (채용시까지)")
        return Parsed(moved.isoformat(), f"before the registration date: read as {moved}")
    month_day = _MONTH_DAY_RE.search(raw)
    if month_day:
        moved = _next_after(posted, int(month_day.group(1)), int(month_day.group(2)))
        if moved is not None:
            return Parsed(moved.isoformat())
    return Parsed(None, "not a date I can read; left empty (채용시까지)")


def _next_after(posted: date, month: int, day: int) -> date | None:
    """The first ``month``/``day`` on or after ``posted`` (this year or next)."""
    for year in (posted.year, posted.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # 2/29 in a common year, or no such day at all
        if candidate >= posted:
            return candidate
    return None


def posted_at_ms(day: date) -> int:
    """Epoch milliseconds of 09:00 KST on ``day``: when an office posting goes live.

    >>> posted_at_ms(date(2024, 11, 29))
    1732838400000
    """
    return int(datetime.combine(day, time(9, 0), tzinfo=KST).timestamp() * 1000)


# ---------------------------------------------------------------------------------------
# Skill tags

_MAX_TAGS = 50
_MAX_TAG_CHARS = 50


def split_tags(text: str) -> tuple[str, ...]:
    """Split a comma separated tag cell into skills: trimmed, without repeats or blanks.

    >>> split_tags("기술지원, 백엔드/서버개발, 앱개발, , 앱개발")
    ('기술지원', '백엔드/서버개발', '앱개발')
    """
    tags: list[str] = []
    for part in unicodedata.normalize("NFKC", text).split(","):
        tag = " ".join(part.split())[:_MAX_TAG_CHARS]
        if tag and tag not in tags:
            tags.append(tag)
    return tuple(tags[:_MAX_TAGS])
