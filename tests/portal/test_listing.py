"""The pure part of the portal: parsing display hashes, the monthly wage scale, sort orders."""

from __future__ import annotations

import doctest

import pytest

import portal.listing
from portal.listing import (
    SORTS,
    ListItem,
    PostingDisplay,
    SeekerList,
    monthly_wage,
    parse_reasons,
    sort_items,
)


def test_doctests_pass() -> None:
    result = doctest.testmod(portal.listing)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("wage_type", "amount", "monthly"),
    [
        ("hourly", 10_000, 2_090_000.0),  # 209 paid hours a month
        ("daily", 100_000, 2_175_000.0),  # 21.75 paid days a month
        ("monthly", 2_800_000, 2_800_000.0),
        ("annual", 42_000_000, 3_500_000.0),
        ("weekly", 500_000, None),  # not a contract wage type
        (None, 2_800_000, None),
        ("monthly", None, None),
    ],
)
def test_monthly_wage_uses_the_recommenders_factors(
    wage_type: str | None, amount: int | None, monthly: float | None
) -> None:
    assert monthly_wage(wage_type, amount) == monthly


def test_display_hash_is_parsed_into_typed_fields() -> None:
    fields = {
        "title": "물류센터 지게차 운전원 채용",
        "employer_name": "(주)한빛물류",
        "region_name": "경기 화성시",
        "wage_type": "monthly",
        "wage_min": "2800000",
        "wage_max": "3200000.0",
        "deadline": "2026-12-31",
        "posted_at": "1764230400000",
        "occupation_code": "07C",
        "employment_types": '["regular", "contract"]',
        "employer_id": "E7",  # extra fields the worker may add are ignored
    }
    p = PostingDisplay.from_hash("P100", fields)
    assert p.found
    assert (p.title, p.employer_name, p.region_name) == (
        "물류센터 지게차 운전원 채용",
        "(주)한빛물류",
        "경기 화성시",
    )
    assert (p.wage_type, p.wage_min, p.wage_max) == ("monthly", 2_800_000, 3_200_000)
    assert (p.deadline, p.posted_at, p.occupation_code) == ("2026-12-31", 1764230400000, "07C")
    assert p.employment_types == ("regular", "contract")
    assert p.monthly_wage == 2_800_000.0


def test_absent_and_broken_fields_are_shown_as_absent() -> None:
    p = PostingDisplay.from_hash(
        "P1",
        {
            "title": "x",
            "wage_type": "hourly",
            "wage_min": "",
            "wage_max": "null",
            "deadline": "someday",
            "posted_at": "yesterday",
            "employment_types": "part_time, daily",
        },
    )
    assert (p.wage_min, p.wage_max, p.deadline, p.posted_at) == (None, None, None, None)
    assert p.employment_types == ("part_time", "daily")  # comma-separated form also accepted
    # No amount means 협의: the JSON has no wage object at all.
    assert p.to_json()["wage"] is None
    assert p.monthly_wage is None


def test_only_an_upper_bound_still_sorts_by_wage() -> None:
    p = PostingDisplay.from_hash("P1", {"wage_type": "annual", "wage_max": "36000000"})
    assert p.monthly_wage == 3_000_000.0
    assert p.to_json()["wage"] == {
        "type": "annual",
        "min": None,
        "max": 36_000_000,
        "monthly": 3_000_000.0,
    }


def test_missing_hash_keeps_the_id() -> None:
    p = PostingDisplay.from_hash("PX404", {})
    assert not p.found
    assert p.posting_id == "PX404"
    assert p.to_json()["found"] is False


def test_reasons_accept_only_a_json_list() -> None:
    assert parse_reasons('["희망 직종 일치"]') == ("희망 직종 일치",)
    assert parse_reasons('{"a": 1}') == ()
    assert parse_reasons("[broken") == ()
    assert parse_reasons(None) == ()


def _item(rank: int, **fields: str) -> ListItem:
    posting_id = f"P{rank}"
    posting = PostingDisplay.from_hash(posting_id, fields)
    return ListItem(rank, posting_id, 1.0 - rank / 100, (), posting)


ITEMS = [
    # rank 1: monthly 2.8M, deadline 12-31, posted earliest
    _item(1, wage_type="monthly", wage_min="2800000", deadline="2026-12-31", posted_at="1000"),
    # rank 2: hourly 15,000 -> 3,135,000 a month; 채용시까지; newest
    _item(2, wage_type="hourly", wage_min="15000", posted_at="5000"),
    # rank 3: 협의; soonest deadline; no posted_at
    _item(3, deadline="2026-09-01"),
    # rank 4: annual 33.6M -> 2.8M a month (ties with rank 1); deadline equal to rank 1
    _item(4, wage_type="annual", wage_min="33600000", deadline="2026-12-31", posted_at="3000"),
    # rank 5: display hash missing
    ListItem(5, "P5", 0.5, (), PostingDisplay.from_hash("P5", {})),
]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("relevance", ["P1", "P2", "P3", "P4", "P5"]),
        # Highest monthly equivalent first; the tie keeps relevance order; no wage last.
        ("wage", ["P2", "P1", "P4", "P3", "P5"]),
        # Soonest first; 채용시까지 and missing last, in relevance order.
        ("deadline", ["P3", "P1", "P4", "P2", "P5"]),
        ("newest", ["P2", "P4", "P1", "P3", "P5"]),
    ],
)
def test_sort_orders(sort: str, expected: list[str]) -> None:
    shuffled = [ITEMS[3], ITEMS[0], ITEMS[4], ITEMS[2], ITEMS[1]]
    assert [i.posting_id for i in sort_items(shuffled, sort)] == expected


def test_unknown_sort_names_the_choices() -> None:
    with pytest.raises(ValueError, match="relevance, wage, deadline, newest"):
        sort_items(ITEMS, "salary")


def test_seeker_list_json_is_sorted_and_keeps_relevance_rank() -> None:
    seeker_list = SeekerList("S1", tuple(ITEMS), 1764230400000, "7", "profile")
    body = seeker_list.to_json("wage")
    assert body["sort"] == "wage"
    assert [i["posting_id"] for i in body["items"]] == ["P2", "P1", "P4", "P3", "P5"]
    # The rank stays the place by relevance, whatever the display order.
    assert [i["rank"] for i in body["items"]] == [2, 1, 4, 3, 5]
    assert set(SORTS) == {"relevance", "wage", "deadline", "newest"}
