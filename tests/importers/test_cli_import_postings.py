"""``jobmatch import-postings`` in-process, writing JSON Lines with -o."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main
from schemas import parse_event

from .exports import EXPORTS


def test_writes_every_row_as_a_valid_event_and_reports_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "work24.jsonl"
    assert main(["import-postings", "work24", str(EXPORTS["work24"]), "-o", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    assert len(lines) == 257
    events = [parse_event("postings", line) for line in lines]  # each line passes validate
    assert events[0].posting_id.startswith("W24-")
    report = capsys.readouterr().out
    assert "rows read:        257" in report
    assert "events written:  257" in report
    # Rows with notes grouped by kind, then every note with its row number.
    assert "rows with notes:  109" in report
    assert "  region          97" in report
    assert 'row 7: region: "경기 하남시 등" -> several places' in report


def test_quiet_prints_the_summary_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "saramin.jsonl"
    argv = ["import-postings", "saramin", str(EXPORTS["saramin"]), "-o", str(out), "--quiet"]
    assert main(argv) == 0
    report = capsys.readouterr().out
    assert "  salary          954" in report
    assert "row 1:" not in report
    assert len(out.read_bytes().splitlines()) == 1000


def test_dash_writes_events_to_stdout_and_the_report_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["import-postings", "work24", str(EXPORTS["work24"]), "-o", "-", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 257
    assert "rows read:        257" in captured.err


def test_wrong_format_fails_before_writing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never.jsonl"
    assert main(["import-postings", "work24", str(EXPORTS["saramin"]), "-o", str(out)]) == 2
    assert "use FORMAT saramin" in capsys.readouterr().err
    assert not out.exists()


def test_missing_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["import-postings", "saramin", str(missing), "-o", str(tmp_path / "o")]) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err


@pytest.mark.slow
def test_unreachable_kafka_is_reported(  # waits for the producer's 10 s bootstrap timeout
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOBMATCH_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    assert main(["import-postings", "work24", str(EXPORTS["work24"])]) == 1
    assert "Kafka is not reachable at 127.0.0.1:1" in capsys.readouterr().err
