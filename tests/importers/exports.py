"""Where the real job-site exports live: ../shared/data/postings (never copied here)."""

from __future__ import annotations

from pathlib import Path

from tests.shared_data import POSTINGS_DIR

ROOT = Path(__file__).resolve().parents[3]
EXPORTS = {
    "work24": POSTINGS_DIR / "work24_gangnam_job_information.csv",
    "saramin": POSTINGS_DIR / "saramin_it_postings_2024.csv",
}
