"""``jobmatch validate`` and ``jobmatch produce`` on files that mix valid and invalid lines."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from cli import main
from schemas import parse_event
from settings import Settings
from tests.cli.topic_records import read_all

POSTING = {
    "v": 1,
    "event_id": "ev-1",
    "ts": 1764230400000,
    "op": "upsert",
    "posting": {
        "posting_id": "P100",
        "employer_id": "E7",
        "employer_name": "(주)한빛물류",
        "title": "물류센터 지게차 운전원 채용",
        "wage": {"type": "monthly", "min": 2800000},
        "posted_at": 1764230400000,
    },
}


def _line(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def _with(path: str, value: object) -> dict[str, object]:
    event = json.loads(json.dumps(POSTING))
    *parents, last = path.split(".")
    node = event
    for step in parents:
        node = node[step]
    node[last] = value
    return event


VALID_A = _line(POSTING)
VALID_B = _line({**_with("posting.posting_id", "P200"), "event_id": "ev-2"})
VALID_CLOSE = _line({"v": 1, "event_id": "ev-3", "ts": 1764230400000, "op": "close",
                     "posting": {"posting_id": "P100"}})  # fmt: skip
# Line numbers are 1-based and count blank lines, which are skipped, not rejected.
MIXED = [
    VALID_A,  # 1
    b"",  # 2 blank
    _line(_with("posting.wage.min", "삼백만원")),  # 3
    b"not json",  # 4
    VALID_B,  # 5
    b"   \t",  # 6 blank
    _line({**POSTING, "v": 2}),  # 7
    b'{"v": 1, "title": "\xff"}',  # 8 bad UTF-8
    VALID_CLOSE + b"\r",  # 9 (CRLF line end)
]
EXPECTED_REJECTIONS = [
    ':3: posting.wage.min: expected an integer >= 0, got "삼백만원" [schema]',
    ":4: not valid JSON",
    ":7: v: expected schema version 1, got 2 [unsupported_version]",
    ":8: not valid UTF-8",
]


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(MIXED) + b"\n")
    return path


def _reported(out: str, source: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"{source}:") and "[" in line]


def _assert_rejections(out: str, source: str) -> None:
    reported = _reported(out, source)
    assert len(reported) == len(EXPECTED_REJECTIONS), out
    for line, expected in zip(reported, EXPECTED_REJECTIONS, strict=True):
        assert line.startswith(source + expected), (line, expected)


def test_validate_reports_each_rejected_line(
    mixed_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "postings", str(mixed_file)]) == 1
    out = capsys.readouterr().out
    _assert_rejections(out, str(mixed_file))
    assert out.splitlines()[-1] == f"{mixed_file}: 7 postings events, 3 valid, 4 rejected"


def test_validate_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"\n".join(MIXED)  # no final newline: the last line still counts
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["validate", "postings", "-"]) == 1
    _assert_rejections(capsys.readouterr().out, "<stdin>")


def test_validate_exits_0_when_every_line_is_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + VALID_A + b"\n\n" + VALID_B + b"\n")  # BOM tolerated
    assert main(["validate", "postings", str(path)]) == 0
    assert "2 postings events, 2 valid, 0 rejected" in capsys.readouterr().out


def test_validate_checks_the_topic_given(
    mixed_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A posting is not an interaction: every non-blank line is rejected.
    assert main(["validate", "interactions", str(mixed_file)]) == 1
    assert "0 valid, 7 rejected" in capsys.readouterr().out


def test_unreadable_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "postings", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["validate", "jobs", str(tmp_path)])  # argparse rejects the topic
    assert info.value.code == 2


@pytest.mark.integration
def test_produce_sends_exactly_the_valid_lines(
    kafka_topics: Settings,
    mixed_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JOBMATCH_TOPIC_PREFIX", kafka_topics.topic_prefix)
    assert main(["produce", "postings", str(mixed_file)]) == 1  # rejections fail the run
    out = capsys.readouterr().out
    _assert_rejections(out, str(mixed_file))
    topic = kafka_topics.topic("postings")
    assert (
        out.splitlines()[-1] == f"{mixed_file}: sent 3 postings events to {topic}, rejected 4 lines"
    )

    records = read_all(kafka_topics, "postings")
    # Exactly the valid lines, byte for byte (the CR of line 9 is part of the line end).
    assert sorted(r.value for r in records) == sorted([VALID_A, VALID_B, VALID_CLOSE])
    assert sorted(r.key for r in records) == [b"P100", b"P100", b"P200"]
    # P100's upsert and close share a partition, in file order.
    p100 = [parse_event("postings", r.value) for r in records if r.key == b"P100"]
    assert [e.op for e in p100] == ["upsert", "close"]


@pytest.mark.integration
def test_produce_skip_invalid_exits_0_and_reads_stdin(
    kafka_topics: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JOBMATCH_TOPIC_PREFIX", kafka_topics.topic_prefix)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\n".join(MIXED))))
    assert main(["produce", "--skip-invalid", "postings", "-"]) == 0
    out = capsys.readouterr().out
    _assert_rejections(out, "<stdin>")  # still reported
    assert len(read_all(kafka_topics, "postings")) == 3


@pytest.mark.integration
def test_produce_without_topics_says_to_create_them(
    test_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    mixed_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JOBMATCH_TOPIC_PREFIX", test_settings.topic_prefix)
    # The wait for the topic's metadata must time out; the same bound lets the connection
    # to the (running) broker succeed, which on a busy machine may take over a second.
    monkeypatch.setattr("client.producer.DEFAULT_TIMEOUT_MS", 5000)
    assert main(["produce", "postings", str(mixed_file)]) == 3
    err = capsys.readouterr().err
    assert f"topic {test_settings.topic('postings')} is not available" in err
    assert "`jobmatch topics`" in err


def test_produce_with_kafka_down_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, mixed_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOBMATCH_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setattr("client.producer.DEFAULT_TIMEOUT_MS", 1000)
    assert main(["produce", "postings", str(mixed_file)]) == 3
    err = capsys.readouterr().err
    assert "Kafka is not reachable at 127.0.0.1:1: run `make up` first" in err
