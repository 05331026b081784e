"""The code lists jobmatch ships: 시도/시군구 regions and 고용24 occupation groups.

Read lazily (once, on first use) from ``schemas/data/regions.csv`` and
``schemas/data/occupations.csv``, which ``scripts/build_reference_tables.py`` derives
from the public raw lists.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

RegionLevel = Literal["sido", "sigungu"]
OccupationLevel = Literal["top", "middle"]


@dataclass(frozen=True, slots=True)
class Region:
    """A 시도 (2-digit code) or 시군구 (5-digit code) in force.

    ``name`` is the official name (``"경기도"``, ``"성남시 분당구"``); ``sido_short`` the
    short 시도 form job sites print (``"경기"``).
    """

    code: str
    level: RegionLevel
    name: str
    sido_code: str
    sido_short: str


@dataclass(frozen=True, slots=True)
class Occupation:
    """A 고용24 occupation group: a top level (``"07"``) or a middle level (``"07C"``)."""

    code: str
    level: OccupationLevel
    name: str
    parent: str | None  # the top-level code of a middle-level group


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("schemas").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def regions() -> tuple[Region, ...]:
    """Every region, 시도 first, in code order.

    Examples
    --------
    >>> len(regions())
    281
    """
    out: list[Region] = []
    for r in _rows("regions.csv"):
        level: RegionLevel = "sido" if r["level"] == "sido" else "sigungu"
        out.append(Region(r["code"], level, r["name"], r["sido_code"], r["sido_short"]))
    return tuple(out)


@cache
def occupations() -> tuple[Occupation, ...]:
    """Every occupation group, the 13 top levels first.

    Examples
    --------
    >>> occupations()[0]
    Occupation(code='01', level='top', name='경영·사무·금융·보험', parent=None)
    """
    out: list[Occupation] = []
    for r in _rows("occupations.csv"):
        level: OccupationLevel = "top" if r["level"] == "top" else "middle"
        out.append(Occupation(r["code"], level, r["name"], r["parent"] or None))
    return tuple(out)


@cache
def _regions_by_code() -> dict[str, Region]:
    return {r.code: r for r in regions()}


@cache
def _occupations_by_code() -> dict[str, Occupation]:
    return {o.code: o for o in occupations()}


def region(code: str) -> Region | None:
    """The region with this 2- or 5-digit code, or None.

    Parameters
    ----------
    code
        A 시도 code (``"41"``) or a 시군구 code (``"41590"``).

    Examples
    --------
    >>> region("41590").name
    '화성시'
    >>> region("41").level
    'sido'
    >>> region("99999") is None
    True
    """
    return _regions_by_code().get(code)


def occupation(code: str) -> Occupation | None:
    """The occupation group with this code, or None.

    Parameters
    ----------
    code
        A top-level (``"07"``) or middle-level (``"07C"``) code.

    Examples
    --------
    >>> occupation("07C").parent
    '07'
    >>> occupation("7C") is None
    True
    """
    return _occupations_by_code().get(code)


@cache
def sido_codes() -> tuple[str, ...]:
    """The 17 시도 codes, sorted.

    Examples
    --------
    >>> sido_codes()[:3]
    ('11', '26', '27')
    """
    return tuple(r.code for r in regions() if r.level == "sido")


@cache
def sigungu_codes() -> tuple[str, ...]:
    """The 5-digit 시군구 codes in force, sorted.

    Examples
    --------
    >>> len(sigungu_codes()), "41590" in sigungu_codes()
    (264, True)
    """
    return tuple(sorted(r.code for r in regions() if r.level == "sigungu"))


@cache
def top_occupation_codes() -> tuple[str, ...]:
    """The 13 top-level occupation codes (``"01"`` .. ``"13"``).

    Examples
    --------
    >>> top_occupation_codes()[-1]
    '13'
    """
    return tuple(o.code for o in occupations() if o.level == "top")


@cache
def middle_occupation_codes() -> tuple[str, ...]:
    """The 114 middle-level occupation codes, which events use.

    Examples
    --------
    >>> len(middle_occupation_codes()), middle_occupation_codes()[0]
    (114, '011')
    """
    return tuple(o.code for o in occupations() if o.level == "middle")
