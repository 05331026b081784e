"""``jobmatch eval --replay``: contract events from JSON Lines, scored on held-out pairs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from cli import main
from simulator import Market, MarketConfig
from simulator.replay_files import write_replay_files

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def replay_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated days: the first as events, the second's clicks and applies held out."""
    out = tmp_path_factory.mktemp("replay")
    market = Market.generate(MarketConfig(seekers=300, postings=200), seed=7)
    write_replay_files(market.events(days=2), out, split_ms=market.config.start_ms + DAY_MS)
    # Two bad lines the replay must report and skip, not crash on.
    with open(out / "interactions.jsonl", "ab") as f:
        f.write(b'{"v": 1, "event_id": "bad-1", "ts": 1793000000000, "seeker_id": "S1"}\n')
        f.write(b"not json\n")
    with open(out / "held_out.jsonl", "ab") as f:
        f.write(b'{"seeker_id": 5, "posting_id": "P1"}\n')
    return out


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, Any], str]:
    assert main(["eval", *args, "--json"]) == 0
    captured = capsys.readouterr()
    return orjson.loads(captured.out), captured.err


def test_replay_scores_every_model_and_reports_bad_lines(
    replay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    obj, err = run_json(["--replay", str(replay_dir)], capsys)
    assert set(obj["models"]) == {"jobmatch", "popularity", "random"}
    for model, row in obj["models"].items():
        assert 0.0 <= row["hit_rate@120"] <= 1.0, model
        # MRR never exceeds the hit rate (each hit adds at most 1).
        assert row["mrr"] <= row["hit_rate@120"], model
    counts, inputs = obj["counts"], obj["input"]
    assert inputs["events_rejected"] == 2 and inputs["held_out_rejected"] == 1
    assert counts["events_replayed"] == inputs["events_read"] - 2
    assert counts["seekers_evaluated"] > 5
    # The bad lines are named with their file, line number and field.
    assert "interactions.jsonl" in err and "posting_id" in err and "not JSON" in err
    assert "held_out.jsonl" in err and "seeker_id" in err


def test_replay_is_deterministic_and_random_depends_on_the_seed(
    replay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, _ = run_json(["--replay", str(replay_dir), "--seed", "3"], capsys)
    again, _ = run_json(["--replay", str(replay_dir), "--seed", "3"], capsys)
    assert first == again


def test_replay_reads_files_named_one_by_one(
    replay_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(replay_dir / f"{n}.jsonl") for n in ("interactions", "postings", "profiles")]
    by_files, _ = run_json(
        ["--replay", *files, "--held-out", str(replay_dir / "held_out.jsonl")], capsys
    )
    by_dir, _ = run_json(["--replay", str(replay_dir)], capsys)
    # Order of the files does not matter: the events are replayed in ts order.
    assert by_files["models"] == by_dir["models"]


def test_replay_table_and_missing_held_out(
    replay_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--replay", str(replay_dir)]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:4]] == [
        "jobmatch",
        "popularity",
        "random",
    ]
    assert "seekers evaluated" in out
    (tmp_path / "postings.jsonl").write_bytes((replay_dir / "postings.jsonl").read_bytes())
    assert main(["eval", "--replay", str(tmp_path)]) == 1
    assert "--held-out" in capsys.readouterr().err
