"""Regions: the 시도 adjacency table, name resolution on real postings, accepted regions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from online_model.regions import (
    accepted_regions,
    canonical_sigungu,
    resolve_region_name,
    sido_adjacency,
)
from schemas import reference
from tests.online_model.factories import make_posting, make_profile
from tests.shared_data import POSTINGS_DIR as SHARED


def test_adjacency_covers_the_17_sido_and_is_symmetric() -> None:
    adj = sido_adjacency()
    assert set(adj) == set(reference.sido_codes())
    for a, neighbours in adj.items():
        assert a not in neighbours
        for b in neighbours:
            assert a in adj[b], f"{a}-{b} is not symmetric"
    # Only 제주 is an island; every other 시도 borders at least one.
    assert [code for code, n in adj.items() if not n] == ["50"]


def test_districts_match_on_their_city() -> None:
    assert canonical_sigungu("41135") == canonical_sigungu("41131") == "41130"
    acc = accepted_regions(make_profile(desired_region_codes=("41130",), home_region_code=None))
    assert acc.accepts(canonical_sigungu("41135"), "41")


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8-sig") as f:
        return [row[name] for row in csv.DictReader(f)]


@pytest.mark.parametrize(
    ("file", "column", "min_share"),
    [
        ("work24_gangnam_job_information.csv", "location", 0.99),
        ("saramin_it_postings_2024.csv", "지역", 0.95),
    ],
)
def test_real_region_names_resolve(file: str, column: str, min_share: float) -> None:
    # Real postings print locations as free text; nearly all must resolve to a 시도, and
    # those naming a 시군구 to that 시군구.
    names = _column(SHARED / file, column)
    resolved = [resolve_region_name(n) for n in names]
    share = sum(1 for _, sido in resolved if sido is not None) / len(names)
    assert share >= min_share, [n for n, r in zip(names, resolved, strict=True) if r[1] is None][
        :10
    ]
    gangnam = [r for n, r in zip(names, resolved, strict=True) if "강남구" in n]
    assert gangnam and all(r == ("11680", "11") for r in gangnam)


def test_posting_without_location_is_accepted_everywhere() -> None:
    acc = accepted_regions(make_profile(desired_region_codes=("41590",)))
    posting = make_posting(region_code=None, region_name=None)
    from online_model.regions import posting_region

    assert acc.accepts(*posting_region(posting))
