"""The committed JSON Schemas are fresh, valid draft 2020-12, and agree with the Python validator.

Known differences are named in schema_corpus (GAP_*) and asserted as differences, so a
change on either side shows up here.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import ValidationError, event_from_obj
from schemas.jsonschema_gen import FILES, OUT_DIR, generate, main, render
from schemas.reference import middle_occupation_codes, sido_codes, sigungu_codes
from tests.schemas.schema_corpus import (
    BASES,
    GAP_CROSS_FIELD,
    GAP_RE_DOLLAR,
    INVALID,
    VALID,
    Case,
)

Validators = dict[str, jsonschema.protocols.Validator]


def test_committed_files_equal_a_fresh_generation() -> None:
    for name, schema in generate().items():
        committed = (OUT_DIR / name).read_text("utf-8")
        assert committed == render(schema), f"{name} is stale: run python -m schemas.jsonschema_gen"
    assert sorted(p.name for p in OUT_DIR.glob("*.json")) == sorted(FILES.values())


def test_check_mode_reports_stale_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--check"]) == 1  # nothing written yet
    assert "stale" in capsys.readouterr().err
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--out", str(tmp_path), "--check"]) == 0
    (tmp_path / FILES["postings"]).write_text("{}", "utf-8")
    assert main(["--out", str(tmp_path), "--check"]) == 1


def test_code_lists_are_enumerated(json_validators: Validators) -> None:
    defs = json_validators["profiles"].schema["$defs"]
    assert defs["OccupationCode"]["enum"] == list(middle_occupation_codes())
    assert defs["SigunguCode"]["enum"] == list(sigungu_codes())
    assert defs["RegionCode"]["enum"] == list(sido_codes()) + list(sigungu_codes())


def _schema_error_paths(validator: jsonschema.protocols.Validator, obj: Any) -> set[str]:
    """Dotted paths (``posting.skills[1]``) of every error jsonschema reports, nested ones too."""
    paths: set[str] = set()
    stack = list(validator.iter_errors(obj))
    while stack:
        err = stack.pop()
        path = ""
        for step in err.absolute_path:
            path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
        paths.add(path)
        stack.extend(err.context or ())
    return paths


@pytest.mark.parametrize(("label", "family", "event"), VALID, ids=[v[0] for v in VALID])
def test_valid_corpus_agrees(
    label: str, family: str, event: Any, json_validators: Validators
) -> None:
    event_from_obj(family, event)
    json_validators[family].validate(event)


@pytest.mark.parametrize("case", INVALID, ids=[c.label for c in INVALID])
def test_invalid_corpus_agrees(case: Case, json_validators: Validators) -> None:
    with pytest.raises(ValidationError):
        event_from_obj(case.family, case.event)
    validator = json_validators[case.family]
    if case.gap == GAP_RE_DOLLAR:
        return  # jsonschema's verdict here is an artefact of Python's re, not of the schema
    if case.gap == GAP_CROSS_FIELD:
        # JSON Schema cannot compare two fields: it must accept what only Python rejects.
        assert validator.is_valid(case.event)
        return
    assert not validator.is_valid(case.event)
    # jsonschema points at the field Python names, or at an object that contains it.
    paths = _schema_error_paths(validator, case.event)
    assert any(
        case.path == p or p == "" or case.path.startswith((p + ".", p + "[")) for p in paths
    ), (case.path, paths)


def _field_paths(obj: Any, prefix: str = "") -> list[str]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            path = f"{prefix}.{k}" if prefix else k
            out.append(path)
            out.extend(_field_paths(v, path))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            path = f"{prefix}[{i}]"
            out.append(path)
            out.extend(_field_paths(v, path))
    return out


def _set(obj: Any, path: str, value: Any) -> Any:
    out = copy.deepcopy(obj)
    steps: list[Any] = [
        int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"[^.\[\]]+|\[\d+\]", path)
    ]
    node = out
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value
    return out


# Values that hit the contract's edges: codes, boundary numbers, dates, near-ids.
# fmt: off
_interesting = st.one_of(
    st.sampled_from(
        [None, True, False, 0, -1, 1, 1.0, 1.5, 60, 61, 10000, 10001, 10**10, 10**10 + 1,
         946684800000, 4102444800000, "", "07", "07C", "41", "41590", "4159", "00", "07",
         "08", "monthly", "weekly", "regular", "upsert", "close", "2026-02-29", "2028-02-29",
         "2026-12-31", "P100", "P 100", "x" * 65, [], {}, ["regular", "regular"], ["07C"],
         ["41", "41590"], {"type": "monthly", "min": 1}, {"type": "monthly", "min": 5, "max": 1}]
    ),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=70),
    st.lists(st.text(max_size=5), max_size=3),
)
# fmt: on


def _ends_with_newline(value: Any) -> bool:
    if isinstance(value, str):
        return value.endswith("\n")
    if isinstance(value, list):
        return any(_ends_with_newline(v) for v in value)
    if isinstance(value, dict):
        return any(_ends_with_newline(v) for v in value.values())
    return False


def _known_gap(err: ValidationError, value: Any) -> bool:
    if "career_min_years (" in err.problem or ">= min (" in err.problem:
        return True  # GAP_CROSS_FIELD
    return _ends_with_newline(value)  # GAP_RE_DOLLAR


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    family=st.sampled_from(sorted(BASES)),
    data=st.data(),
    value=_interesting,
)
def test_one_mutated_field_agrees(
    family: str, data: Any, value: Any, json_validators: Validators
) -> None:
    base = BASES[family]
    paths = _field_paths(base)
    path = data.draw(st.sampled_from(paths), label="path")
    mutated = _set(base, path, value)
    try:
        event_from_obj(family, mutated)
        python_ok, err = True, None
    except ValidationError as e:
        python_ok, err = False, e
    schema_ok = json_validators[family].is_valid(mutated)
    if python_ok != schema_ok:
        # Only the documented gaps may disagree, and only one way: Python stricter.
        assert err is not None and schema_ok and _known_gap(err, value), (path, value, err)
