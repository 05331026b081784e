"""The contract, declared once: every field of every event, its kind and its limits.

:mod:`schemas.validate` checks messages against these declarations and
:mod:`schemas.jsonschema_gen` turns them into the committed JSON Schema files, so a limit
changed here changes both. The envelope of each event (``v``, ``event_id``, ``ts``,
``op``) is checked in :mod:`schemas.validate`, from the kinds declared here.

Examples
--------
>>> ID.check("P-100.a_1")
'P-100.a_1'
>>> EPOCH_MS.check(1764230400)  # seconds, not milliseconds  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
schemas.errors.ValidationError: expected an integer epoch time in milliseconds ..., got 1764230400
"""

from __future__ import annotations

from schemas import reference
from schemas.errors import ValidationError
from schemas.fields import (
    CONTROL_CHARACTERS,
    TEXT_CONTROL_CHARACTERS,
    CrossCheck,
    Date,
    Enum,
    Int,
    ListOf,
    Nullable,
    Obj,
    Prop,
    Str,
)
from schemas.interactions import ACTIONS, SOURCES, Interaction
from schemas.postings import EMPLOYMENT_TYPES, POSTING_OPS, WAGE_TYPES, Posting, Wage
from schemas.profiles import AGE_BANDS, PROFILE_OPS, DesiredWage, Profile

SCHEMA_VERSION = 1
MAX_MESSAGE_BYTES = 65536

# [2000-01-01, 2100-01-01) in epoch milliseconds: catches seconds sent for milliseconds.
EPOCH_MS_MIN = 946_684_800_000
EPOCH_MS_MAX = 4_102_444_800_000 - 1
MAX_WAGE = 10**10  # KRW; a sanity cap far above any real wage
MAX_CAREER_YEARS = 60

EDUCATION_LEVELS: tuple[str, ...] = ("00", "01", "02", "03", "04", "05", "06", "07")

ID = Str(
    pattern="[A-Za-z0-9_.-]{1,64}",
    expected="an id of 1 to 64 characters from [A-Za-z0-9_.-]",
)
EVENT_ID = Str(
    pattern="[A-Za-z0-9_.:-]{1,128}",
    expected="an event id of 1 to 128 characters from [A-Za-z0-9_.:-]",
    doc="Unique per event; a replayed or duplicated event with the same id changes nothing.",
)
EPOCH_MS = Int(
    EPOCH_MS_MIN,
    EPOCH_MS_MAX,
    expected="an integer epoch time in milliseconds from 2000-01-01 to 2100-01-01",
)
DATE = Date()
EDUCATION = Enum(
    EDUCATION_LEVELS,
    expected='an education code from "00" (학력무관) to "07" (박사)',
    doc=(
        "00 학력무관, 01 초졸이하, 02 중졸, 03 고졸, 04 대졸(2~3년), 05 대졸(4년), "
        "06 석사, 07 박사."
    ),
)
WAGE_TYPE = Enum(WAGE_TYPES)
WAGE_AMOUNT = Int(0, MAX_WAGE, show_maximum=False, doc="KRW per wage period.")
CAREER_YEARS = Int(0, MAX_CAREER_YEARS)
OCCUPATION_CODE = Enum(
    reference.middle_occupation_codes,
    expected='a middle-level 고용24 occupation code such as "07C" (schemas/data/occupations.csv)',
    def_name="OccupationCode",
    doc="고용24 middle-level occupation code (schemas/data/occupations.csv).",
)
SIGUNGU_CODE = Enum(
    reference.sigungu_codes,
    expected='a 5-digit 시군구 code in force such as "41590" (schemas/data/regions.csv)',
    def_name="SigunguCode",
    doc="5-digit 시군구 code in force (schemas/data/regions.csv).",
)


def _sido_or_sigungu() -> tuple[str, ...]:
    return reference.sido_codes() + reference.sigungu_codes()


REGION_CODE = Enum(
    _sido_or_sigungu,
    expected='a 2-digit 시도 or 5-digit 시군구 code in force such as "41" or "41590"',
    def_name="RegionCode",
    doc="2-digit 시도 or 5-digit 시군구 code in force (schemas/data/regions.csv).",
)
EMPLOYMENT_TYPE_LIST = ListOf(Enum(EMPLOYMENT_TYPES), max_items=6, unique=True)


def line(min_length: int, max_length: int) -> Str:
    """A name, title or tag: a string without control characters."""
    return Str(min_length, max_length, forbidden=CONTROL_CHARACTERS)


TAG = line(1, 50)
SKILLS = ListOf(TAG, max_items=50)
CERTIFICATES = ListOf(TAG, max_items=30)
POSITION = Int(0, 10_000)
HEADCOUNT = Int(1, 10_000)

# ---------------------------------------------------------------- the envelope of every event
V = Int(SCHEMA_VERSION, SCHEMA_VERSION, expected=f"the schema version {SCHEMA_VERSION}")
POSTING_OP = Enum(POSTING_OPS)
PROFILE_OP = Enum(PROFILE_OPS)


# ---------------------------------------------------------------- postings
def _wage_max_not_below_min(wage: Wage) -> None:
    if wage.max is not None and wage.max < wage.min:
        raise ValidationError(
            "max", f"expected null or an integer >= min ({wage.min}), got {wage.max}"
        )


def _career_max_not_below_min(posting: Posting) -> None:
    hi, lo = posting.career_max_years, posting.career_min_years
    if hi is not None and hi < lo:
        raise ValidationError(
            "career_max_years",
            f"expected null or an integer >= career_min_years ({lo}), got {hi}",
        )


WAGE = Obj(
    Wage,
    (
        Prop("type", WAGE_TYPE, True, "Wage period."),
        Prop("min", WAGE_AMOUNT, True, "Lowest offered wage, KRW per period."),
        Prop("max", Nullable(WAGE_AMOUNT), False, "Highest offered wage; null if open-ended."),
    ),
    def_name="Wage",
    cross_checks=(CrossCheck("`wage.max` is null or >= `wage.min`", _wage_max_not_below_min),),
    doc="Offered wage in KRW.",
)

POSTING = Obj(
    Posting,
    (
        Prop("posting_id", ID, True, "The posting's id; also the Kafka key."),
        Prop("employer_id", ID, True, "The employer's id."),
        Prop("employer_name", line(1, 100), True, "Employer name as displayed."),
        Prop("title", line(1, 200), True, "Posting title."),
        Prop("description", Str(0, 10_000, forbidden=TEXT_CONTROL_CHARACTERS), False, "Free text."),
        Prop("occupation_code", Nullable(OCCUPATION_CODE), False),
        Prop("region_code", Nullable(SIGUNGU_CODE), False, "Workplace 시군구 (5 digits)."),
        Prop("region_name", Nullable(line(0, 100)), False, "Workplace as displayed."),
        Prop("wage", Nullable(WAGE), False, "Offered wage; null means negotiable (협의)."),
        Prop("education_min", EDUCATION, False, "Lowest education required."),
        Prop("career_min_years", CAREER_YEARS, False, "Years of experience required."),
        Prop("career_max_years", Nullable(CAREER_YEARS), False, "Most years wanted; null: any."),
        Prop("employment_types", EMPLOYMENT_TYPE_LIST, False, "Offered employment types."),
        Prop("skills", SKILLS, False, "Skill tags."),
        Prop("certificates", CERTIFICATES, False, "Certificates asked for."),
        Prop("headcount", Nullable(HEADCOUNT), False, "People hired; null if not stated."),
        Prop("posted_at", EPOCH_MS, True, "When the posting opened, epoch ms."),
        Prop("deadline", Nullable(DATE), False, "Last day to apply; null: until filled."),
    ),
    def_name="Posting",
    cross_checks=(
        CrossCheck(
            "`career_max_years` is null or >= `career_min_years`", _career_max_not_below_min
        ),
    ),
    doc="An open job posting.",
)

# ---------------------------------------------------------------- profiles
DESIRED_WAGE = Obj(
    DesiredWage,
    (
        Prop("type", WAGE_TYPE, True, "Wage period."),
        Prop("min", WAGE_AMOUNT, True, "Lowest acceptable wage, KRW per period."),
    ),
    def_name="DesiredWage",
    doc="The lowest wage the seeker accepts.",
)

PROFILE = Obj(
    Profile,
    (
        Prop("seeker_id", ID, True, "The seeker's id; also the Kafka key."),
        Prop("desired_occupation_codes", ListOf(OCCUPATION_CODE, max_items=20), False),
        Prop("desired_titles", ListOf(TAG, max_items=20), False, "Job titles wanted, free text."),
        Prop(
            "desired_region_codes",
            ListOf(REGION_CODE, max_items=30),
            False,
            "Where the seeker wants to work: 시도 (2 digits) or 시군구 (5 digits).",
        ),
        Prop("home_region_code", Nullable(SIGUNGU_CODE), False, "Home 시군구 (5 digits)."),
        Prop("desired_wage", Nullable(DESIRED_WAGE), False),
        Prop("education_level", Nullable(EDUCATION), False, "Highest education completed."),
        Prop("career_years", CAREER_YEARS, False, "Years of experience."),
        Prop("skills", SKILLS, False, "Skill tags."),
        Prop("certificates", CERTIFICATES, False, "Certificates held."),
        Prop("employment_types", EMPLOYMENT_TYPE_LIST, False, "Acceptable employment types."),
        Prop(
            "age_band",
            Nullable(Enum(AGE_BANDS)),
            False,
            "Only to monitor coverage by age; never a ranking feature.",
        ),
    ),
    def_name="Profile",
    doc="What a seeker wants and offers; no names, contact details or other identifiers.",
)

# ---------------------------------------------------------------- interactions
# An interaction is flat: its envelope fields sit beside its own.
INTERACTION = Obj(
    Interaction,
    (
        Prop("event_id", EVENT_ID, True),
        Prop("ts", EPOCH_MS, True, "When it happened, epoch ms."),
        Prop("seeker_id", ID, True, "Who acted; also the Kafka key."),
        Prop("posting_id", ID, True, "On which posting."),
        Prop("action", Enum(ACTIONS), True, "What the seeker did."),
        Prop("source", Enum(SOURCES), True, "Where the posting was shown: reco is our list."),
        Prop("position", Nullable(POSITION), False, "0-based rank shown, when known."),
    ),
    doc="A seeker saw or acted on a posting.",
)

# The payload declaration of each topic family, for tools that walk the contract.
PAYLOADS: dict[str, Obj] = {"postings": POSTING, "profiles": PROFILE, "interactions": INTERACTION}
