"""A sweep's files from its study: results.csv, the best trial, sweep.html."""

from __future__ import annotations

import csv

import pytest

from kerascli.config.tune import TuneConfig
from kerascli.runs.sweeps import SweepRecord
from kerascli.tuning import study as studies
from kerascli.tuning.page import write_sweep_page
from kerascli.tuning.results import RUN_ATTR, best_row, overrides, rows, write_results

optuna = pytest.importorskip("optuna")

_LR = "compile.optimizer.learning_rate"
TUNE = TuneConfig.model_validate(
    {
        "metric": "val_accuracy",
        "space": {
            _LR: {"low": 1.0e-4, "high": 0.1, "log": True},
            "model.input_shape": [[28, 28, 1], [784]],
        },
    }
)


def _study():
    """A study with one trial of each outcome, and one a Ctrl-C stopped."""
    study = studies.open_study(
        optuna.storages.InMemoryStorage(), "s", TUNE, "maximize", seed=0, epochs=3
    )
    space = studies.distributions(TUNE)
    outcomes = ["complete", "pruned", "failed", "interrupted", "complete", "running"]
    for index, outcome in enumerate(outcomes):
        trial = studies.next_trial(study, 10, space)
        trial.set_user_attr(RUN_ATTR, f"trial-{index:04d}-x")
        for epoch in range(2):
            trial.report(0.1 * index + 0.01 * epoch, epoch + 1)
        if outcome == "complete":
            study.tell(trial, 0.1 * index + 0.05)
        elif outcome == "pruned":
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif outcome == "failed":
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif outcome == "interrupted":
            studies.skip(study, trial, studies.INTERRUPTED, again=False)
    return study


def test_results_csv_has_a_row_per_trial_that_counts(tmp_path):
    found = rows(_study())
    write_results(tmp_path, TUNE, found)
    with open(tmp_path / "results.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == ["number", "state", _LR, "model.input_shape", "value", "run"]
    assert [(row[0], row[1]) for row in table[1:]] == [
        ("0", "complete"),
        ("1", "pruned"),
        ("2", "failed"),
        ("4", "complete"),
        ("5", "running"),
    ]
    assert table[2][4] == repr(0.11)  # a pruned trial's value: its last reported epoch
    assert table[3][4] == "" and table[1][5] == "trial-0000-x"


def test_the_best_trial_is_the_best_complete_one():
    found = rows(_study())
    assert best_row(found, "maximize").number == 4
    assert best_row(found, "minimize").number == 0
    assert best_row([], "maximize") is None


def test_a_trials_values_become_set_overrides_as_the_config_wrote_them():
    assert overrides(TUNE, {_LR: 0.001, "model.input_shape": "[784]"}) == [
        f"{_LR}=0.001",
        "model.input_shape=[784]",
    ]


def test_the_sweep_page_is_self_contained(tmp_path):
    study = _study()
    record = SweepRecord(
        name="tiny", status="completed", metric="val_accuracy", trials=10, direction="maximize"
    )
    page = write_sweep_page(tmp_path, record, TUNE, rows(study), {_LR: 0.8, "x": 0.2})
    html = page.read_text()
    assert page.name == "sweep.html"
    assert html.count("<svg") == 4  # values per trial, one per parameter, importances
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "trial-0004-x" in html
