"""Where the shared real data lives: ``../shared/data`` next to the repository.

The data is never copied into the repository (no licence for the postings). A checkout
elsewhere points ``JOBMATCH_SHARED_DATA`` at the folder; a missing folder is an error with
that hint, never a skipped test.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = [
    Path(os.environ["JOBMATCH_SHARED_DATA"]) if os.environ.get("JOBMATCH_SHARED_DATA") else None,
    ROOT.parent / "shared" / "data",
    Path("/work/shared/data"),  # the development machines' fixed location
]


def shared_data() -> Path:
    """The shared data folder (``postings/``, ``reference/``)."""
    for path in _CANDIDATES:
        if path is not None and (path / "postings").is_dir():
            return path
    raise FileNotFoundError(
        "the shared data folder (../shared/data) was not found; "
        "set JOBMATCH_SHARED_DATA to the folder holding postings/ and reference/"
    )


SHARED_DATA = shared_data()
SHARED_DIR = SHARED_DATA.parent  # also holds DESIGN.md
POSTINGS_DIR = SHARED_DATA / "postings"
REFERENCE_DIR = SHARED_DATA / "reference"
