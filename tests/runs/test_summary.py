"""Which way is better for a metric, and the best epoch of each, from a history."""

from __future__ import annotations

import json

import pytest

from kerascli.runs.history import read_history
from kerascli.runs.record import RunRecord
from kerascli.runs.results import Evaluation, read_evaluation
from kerascli.runs.summary import best_metrics, final_metrics, lower_is_better


@pytest.mark.parametrize(
    "key, lower",
    [
        ("loss", True),
        ("val_loss", True),
        ("test_loss", True),
        ("d_loss", True),
        ("mae", True),
        ("val_mean_squared_error", True),
        ("categorical_crossentropy", True),
        ("accuracy", False),
        ("val_accuracy", False),
        ("test_auc", False),
        ("f1_score", False),
        ("precision", False),
        ("judge_confident", False),
    ],
)
def test_lower_is_better(key, lower):
    assert lower_is_better(key) is lower


def test_best_metrics_pick_the_right_end_and_its_epoch():
    history = {
        "loss": [0.9, 0.5, 0.6],
        "val_accuracy": [0.5, None, 0.8],
        "learning_rate": [0.1, 0.01, 0.001],
        "val_loss": [None, float("nan"), None],
        "note": "not a list",
    }
    assert best_metrics(history) == {"loss": (0.5, 2), "val_accuracy": (0.8, 3)}
    assert best_metrics({"d_real": [0.4, 0.6], "d_fake": [0.3, 0.5], "g_loss": [2, 1]}) == {
        "g_loss": (1.0, 2)
    }


def test_final_metrics_keep_finite_numbers_only():
    record = RunRecord(
        final_metrics={"loss": 0.25, "accuracy": 1, "bad": None, "inf": float("inf")}
    )
    assert final_metrics(record) == {"loss": 0.25, "accuracy": 1.0}
    assert final_metrics(RunRecord()) == {}


@pytest.mark.parametrize("content", [None, "not json", "[1, 2]"])
def test_missing_or_broken_files_read_as_nothing(tmp_path, content):
    for name in ("history.json", "evaluation.json"):
        if content is not None:
            (tmp_path / name).write_text(content)
    assert read_history(tmp_path) == {} and read_evaluation(tmp_path) is None


def test_files_read_back(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps({"loss": [1.0]}))
    (tmp_path / "evaluation.json").write_text(json.dumps({"loss": 1.0}))
    assert read_history(tmp_path) == {"loss": [1.0]}
    assert read_evaluation(tmp_path) == Evaluation(loss=1.0)
