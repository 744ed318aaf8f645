"""A run's history and evaluation files: written whole, read back typed, unknown keys kept."""

from __future__ import annotations

import json
from pathlib import Path

from kerascli.runs.history import read_history, write_history
from kerascli.runs.results import Evaluation, read_evaluation, write_evaluation

FIXTURES = Path(__file__).parent / "fixtures"


def test_history_csv_matches_json(tmp_path):
    write_history(tmp_path, {"loss": [1.0, 0.5], "val_loss": [1.2, None]})
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines == ["epoch,loss,val_loss", "0,1.0,1.2", "1,0.5,"]
    assert read_history(tmp_path) == {"loss": [1.0, 0.5], "val_loss": [1.2, None]}


def test_a_missing_or_foreign_history_reads_as_none(tmp_path):
    assert read_history(tmp_path) == {}
    (tmp_path / "history.json").write_text("[1, 2]")
    assert read_history(tmp_path) == {}
    (tmp_path / "history.json").write_text('{"loss": [1.0], "note": "x"}')
    assert read_history(tmp_path) == {"loss": [1.0]}  # only per-epoch lists are a history


def raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_evaluation_round_trip(tmp_path):
    evaluation = raw(FIXTURES / "train-completed" / "evaluation.json")
    written = write_evaluation(tmp_path, {**evaluation, "loss": float("nan")})
    assert isinstance(written, Evaluation) and written.loss is None
    assert raw(tmp_path / "evaluation.json") == {**evaluation, "loss": None}
    assert written.scores == {"loss": None, **evaluation["metrics"]}
    (tmp_path / "evaluation.json").write_text('{"per_class": 3}')
    assert read_evaluation(tmp_path) is None  # an unreadable evaluation is no evaluation


def test_an_evaluation_keeps_keys_it_does_not_know(tmp_path):
    written = write_evaluation(tmp_path, {"examples": 3, "loss": 0.5, "source": {"path": "t"}})
    assert written.model_extra == {"source": {"path": "t"}}
    assert raw(tmp_path / "evaluation.json") == {
        "examples": 3,
        "loss": 0.5,
        "source": {"path": "t"},
    }
    evaluation = read_evaluation(tmp_path)
    assert evaluation is not None and evaluation.per_class is None and evaluation.plots == []
