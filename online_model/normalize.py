"""Posting and profile fields in the units that features and filters compare.

Wages are compared per month in KRW. The factors follow Korean labour practice:

* **hourly x 209**: the statutory monthly hours of a 40-hour week. 최저임금위원회 and the
  Ministry of Employment and Labor convert the hourly minimum wage to a monthly figure with
  209 hours = (40 h + 8 h 주휴) x 365 / 7 / 12.
* **daily x 21.75**: working days per month of a five-day week, 365 x 5 / 7 / 12 = 21.73,
  rounded as payroll practice does (21.75 = 261 working days / 12).
* **annual / 12**: 연봉 is paid in twelve monthly instalments.
"""

from __future__ import annotations

import calendar
from functools import lru_cache

HOURS_PER_MONTH = 209.0
DAYS_PER_MONTH = 21.75
MONTHS_PER_YEAR = 12.0
KST_OFFSET_MS = 9 * 3_600_000

_TO_MONTHLY: dict[str, float] = {
    "hourly": HOURS_PER_MONTH,
    "daily": DAYS_PER_MONTH,
    "monthly": 1.0,
    "annual": 1.0 / MONTHS_PER_YEAR,
}

# Education codes as the public employment service uses them ("00" 학력무관 .. "07" 박사).
EDUCATION_LEVELS: tuple[str, ...] = ("00", "01", "02", "03", "04", "05", "06", "07")


def monthly_krw(amount: float, wage_type: str) -> float:
    """A wage of ``wage_type`` as KRW per month (factors in the module docstring).

    Parameters
    ----------
    amount
        KRW per hour, day, month or year.
    wage_type
        ``hourly``, ``daily``, ``monthly`` or ``annual``.

    Examples
    --------
    >>> monthly_krw(10_030, "hourly")  # 2025 minimum wage
    2096270.0
    >>> monthly_krw(120_000, "daily"), monthly_krw(36_000_000, "annual")
    (2610000.0, 3000000.0)
    """
    try:
        return float(amount) * _TO_MONTHLY[wage_type]
    except KeyError:
        raise ValueError(
            f"unknown wage type {wage_type!r}: use one of {sorted(_TO_MONTHLY)}"
        ) from None


def education_rank(code: str | None) -> int | None:
    """An education code as an integer (``"03"`` -> 3); None when absent or unknown.

    Examples
    --------
    >>> education_rank("05"), education_rank(None), education_rank("xx")
    (5, None, None)
    """
    if code is None or code not in EDUCATION_LEVELS:
        return None
    return int(code)


@lru_cache(maxsize=4096)
def deadline_ms(deadline: str | None) -> float:
    """The end of a deadline day (``"YYYY-MM-DD"``, Korean time) in epoch ms; inf if None.

    A posting is open through the whole deadline day in Korea (UTC+9), so it expires at
    the following midnight KST.

    Examples
    --------
    >>> deadline_ms("2026-12-31")
    1798729200000.0
    >>> deadline_ms(None)
    inf
    """
    if deadline is None:
        return float("inf")
    try:
        year, month, day = (int(part) for part in deadline.split("-"))
        midnight_utc = calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0))
    except (ValueError, TypeError):
        raise ValueError(f"deadline {deadline!r}: expected YYYY-MM-DD") from None
    return float((midnight_utc + 86_400) * 1000 - KST_OFFSET_MS)
