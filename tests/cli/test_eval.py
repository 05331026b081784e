"""``jobmatch eval``: generated markets, replayed files, the output, and the acceptance bar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli import main
from cli.eval import MarketSize, evaluate_market
from online_model.evaluation import MODELS, EvalConfig, EvalResult
from simulator import Market, MarketConfig
from simulator.runner import run_offline, write_truth

TINY = ["--seekers", "300", "--postings", "200", "--days", "1", "--sample", "60"]
MEASURES = {"recall@120", "ndcg@120", "auc", "logloss", "apply_rate", "list_length"}


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["eval", *args, "--json"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1, "--json prints exactly one line: one JSON object"
    obj: dict[str, Any] = json.loads(lines[0])
    return obj


@pytest.fixture(scope="module")
def simulated_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The files ``jobmatch simulate --no-kafka --log --truth`` writes, tiny market."""
    folder = tmp_path_factory.mktemp("sim")
    log, truth = folder / "events.jsonl", folder / "truth.jsonl"
    market = Market.generate(MarketConfig(seekers=300, postings=200), 3)
    summary = run_offline(market, days=1, log_path=log)
    write_truth(market, truth, summary.posting_ids)
    return log, truth


def test_help_explains_the_models_and_measures(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in ("--quick", "--log", "--truth", "--loop", "recall@120", "oracle", "rule_based"):
        assert text in out
    # The product ships one tokenizer; the Kiwi comparison is bench/eval_report.py's.
    assert "--tokenizer" not in out and "kiwi" not in out.lower()


def test_json_is_one_object_with_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    obj = run_json([*TINY, "--seed", "4"], capsys)
    assert list(obj["models"]) == list(MODELS)
    for name, values in obj["models"].items():
        assert set(values) == MEASURES, name
    # Log loss only where the model gives a probability.
    assert obj["models"]["jobmatch"]["logloss"] > 0
    assert obj["models"]["oracle"]["logloss"] is None
    config = obj["config"]
    assert (config["source"], config["seed"], config["seekers"], config["loop"]) == (
        "generated",
        4,
        300,
        "closed",
    )
    assert config["tokenizer"] == "char2"  # the shipped character bigrams
    assert obj["run"]["counts"]["labelled"] > 0
    assert obj["run"]["counts"]["lists_served"] > 0  # the closed loop asked for our lists


def test_the_table_lists_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", *TINY, "--loop", "search"]) == 0
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert "search only" in table[0]
    header = next(i for i, line in enumerate(table) if line.startswith("model"))
    rows = table[header + 1 : header + 1 + len(MODELS)]
    assert [line.split()[0] for line in rows] == list(MODELS)
    # Below the models: recall by the seekers' interactions, one row per bucket.
    buckets = [line.split()[0] for line in table if " interactions " in line]
    assert {"0", "1-4", "5+"} <= set(buckets)
    assert any(line.startswith("relevant postings vetoed") for line in table)
    assert "checkpoint" in captured.err  # progress and checkpoints go to stderr


def test_replaying_files_learns_exactly_as_the_generated_search_run(
    simulated_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = simulated_files
    replayed = run_json(["--log", str(log), "--truth", str(truth)], capsys)
    generated = run_json(
        ["--seekers", "300", "--postings", "200", "--days", "1", "--seed", "3", "--loop", "search"],
        capsys,
    )
    assert replayed["config"]["source"] == "files"
    # Same market, same seed, no list source: the same events, hence the same training
    # and the same progressive measures of the ranker (the truths differ in time).
    assert replayed["run"]["counts"]["labelled"] == generated["run"]["counts"]["labelled"]
    for measure in ("auc", "logloss"):
        assert replayed["models"]["jobmatch"][measure] == pytest.approx(
            generated["models"]["jobmatch"][measure], rel=1e-12
        )
    assert replayed["models"]["oracle"]["recall@120"] == pytest.approx(1.0)


def test_log_without_truth_is_a_usage_error(
    simulated_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _ = simulated_files
    assert main(["eval", "--log", str(log)]) == 2
    assert "--log and --truth go together" in capsys.readouterr().err


def test_unreadable_or_foreign_files_say_what_to_do(
    tmp_path: Path, simulated_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = simulated_files
    assert main(["eval", "--log", str(tmp_path / "nope.jsonl"), "--truth", str(truth)]) == 1
    assert "cannot read the event log" in capsys.readouterr().err

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(log.read_bytes().splitlines()[0] + b'\n{"topic": "postings", "event": {}}\n')
    assert main(["eval", "--log", str(bad), "--truth", str(truth)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "jobmatch simulate --no-kafka --log" in err

    assert main(["eval", "--log", str(log), "--truth", str(log)]) == 1
    assert "as `jobmatch simulate --truth FILE` writes" in capsys.readouterr().err


# A smaller market with the default market's density: k is scaled with the postings (60 of
# 1,000 as 120 of 2,000), so a list covers the same share of the market as at full size.
SMALL = MarketSize(seekers=2500, postings=1000, days=3.0, sample=300)
SMALL_K = 60


@pytest.fixture(scope="module")
def small_market_result() -> EvalResult:
    config = EvalConfig(seed=1, sample_size=SMALL.sample, k=SMALL_K)
    return evaluate_market(seed=1, size=SMALL, config=config).result


@pytest.mark.slow
def test_jobmatch_beats_rule_based_and_the_oracle_bounds_everyone(
    small_market_result: EvalResult,
) -> None:
    models = small_market_result.models
    recall = f"recall@{SMALL_K}"
    assert models["jobmatch"][recall] > models["rule_based"][recall]
    for measure in (recall, f"ndcg@{SMALL_K}", "apply_rate"):
        for model in MODELS:
            assert models["oracle"][measure] >= models[model][measure], (measure, model)
    # The ranker's progressive AUC beats the rule's, which beats a random order.
    assert models["jobmatch"]["auc"] > models["rule_based"]["auc"] > models["random"]["auc"]


@pytest.mark.slow
def test_jobmatch_beats_popularity(small_market_result: EvalResult) -> None:
    models = small_market_result.models
    recall = f"recall@{SMALL_K}"
    assert models["jobmatch"][recall] > models["popularity"][recall]
