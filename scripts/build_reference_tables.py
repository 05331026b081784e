"""Derive the small reference tables that jobmatch ships from the raw public code lists.

Reads ``../shared/data/reference/`` (not part of the repository) and writes
``schemas/data/regions.csv`` and ``schemas/data/occupations.csv``. Run it again when the
raw lists change::

    python scripts/build_reference_tables.py [--source DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "reference"
OUT = ROOT / "schemas" / "data"

# The short forms that job sites print ("서울 강남구", "경기 성남시"): the usual
# two-syllable abbreviations of the 17 시도.
SIDO_SHORT = {
    "11": "서울",
    "26": "부산",
    "27": "대구",
    "28": "인천",
    "29": "광주",
    "30": "대전",
    "31": "울산",
    "36": "세종",
    "41": "경기",
    "43": "충북",
    "44": "충남",
    "46": "전남",
    "47": "경북",
    "48": "경남",
    "50": "제주",
    "51": "강원",
    "52": "전북",
}


def _spaced(sigungu: str) -> str:
    """``"성남시분당구"`` -> ``"성남시 분당구"`` (a 구 inside a 시 reads with a space)."""
    return re.sub(r"(?<=시)(?=\S+구$)", " ", sigungu)


def build_regions(source: Path) -> list[dict[str, str]]:
    path = source / "molit_legal_dong_codes_20250415.csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.DictReader(f) if not r["삭제일자"]]  # in force only
    sido_names = {r["법정동코드"][:2]: r["시도명"] for r in rows if r["법정동코드"][2:] == "0" * 8}
    regions = [
        {
            "code": code,
            "level": "sido",
            "name": name,
            "sido_code": code,
            "sido_short": SIDO_SHORT[code],
        }
        for code, name in sorted(sido_names.items())
    ]
    for r in rows:
        code = r["법정동코드"]
        if code[5:] != "00000" or code[2:] == "0" * 8:
            continue  # not a 시군구 row
        sgg = code[:5]
        # 세종특별자치시 has no 시군구 below it: its single 시군구 row carries no name.
        name = _spaced(r["시군구명"]) if r["시군구명"] else r["시도명"]
        regions.append(
            {
                "code": sgg,
                "level": "sigungu",
                "name": name,
                "sido_code": sgg[:2],
                "sido_short": SIDO_SHORT[sgg[:2]],
            }
        )
    return regions


def build_occupations(source: Path) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    with (source / "work24_occupation_level_top.csv").open(encoding="utf-8-sig") as f:
        out += [
            {"code": r["code"], "level": "top", "name": r["name"], "parent": ""}
            for r in csv.DictReader(f)
        ]
    with (source / "work24_occupation_level_middle.csv").open(encoding="utf-8-sig") as f:
        out += [
            {"code": r["code"], "level": "middle", "name": r["name"], "parent": r["upstream_code"]}
            for r in csv.DictReader(f)
        ]
    return out


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path.relative_to(ROOT)} ({len(rows)} rows)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="folder of the raw code lists"
    )
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(
            f"error: {args.source} not found; pass --source with the raw reference folder",
            file=sys.stderr,
        )
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "regions.csv", build_regions(args.source))
    write(OUT / "occupations.csv", build_occupations(args.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
