"""The README documents every setting the code reads, with the default the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def readme_settings() -> dict[str, str]:
    """``JOBMATCH_*`` -> default, from the README's configuration tables."""
    rows = re.findall(
        r"^\| `(JOBMATCH_[A-Z_]+)` \| `([^`]*)` \|", (ROOT / "README.md").read_text(), re.M
    )
    return dict(rows)


def test_every_setting_read_by_the_code_is_in_the_readme_with_its_default() -> None:
    source = (ROOT / "settings" / "environment.py").read_text()
    read = dict(re.findall(r'_env(?:_int|_float)?\(\s*"(JOBMATCH_[A-Z_]+)",\s*d\.(\w+)', source))
    assert read, "no settings found in settings/environment.py"
    documented = readme_settings()
    defaults = Settings()
    for variable, field in read.items():
        assert variable in documented, (
            f"{variable} is read by settings/environment.py but not in README.md"
        )
        value = getattr(defaults, field)
        shown = documented[variable]
        assert shown == str(value) or float(shown) == value, (
            f"{variable}: README says {shown}, code {value}"
        )


def test_every_documented_variable_exists_somewhere() -> None:
    code = "\n".join(
        p.read_text(errors="replace")
        for folder in ("settings", "streams", "client", "simulator", "importers", "cli", "deploy")
        for p in [*ROOT.glob(f"{folder}/**/*.py"), *ROOT.glob(f"{folder}/**/*.sh")]
    )
    for variable in readme_settings():
        assert variable in code, f"README documents {variable}, which nothing reads"


def test_the_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(((?:docs|deploy)/[^)#]+)\)", text):
        assert (ROOT / target).exists(), f"README links to missing {target}"
