"""What a run sends to MLflow, from its config and files: keys, params, metrics, status, URIs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascli.runs.record import RunRecord
from kerascli.tracking import content
from tests.conftest import ROOT


@pytest.mark.parametrize(
    "key, expected",
    [
        ("fit.epochs", "fit.epochs"),
        ("model.layers[2].Dense.units", "model.layers.2.Dense.units"),
        ("data.augment[0].RandomFlip[1]", "data.augment.0.RandomFlip.1"),
        ("val_accuracy", "val_accuracy"),
        ("data.features.wind (m/s)", "data.features.wind _m/s_"),
        ("fit.class_weight.0", "fit.class_weight.0"),
    ],
)
def test_keys_are_what_mlflow_takes(key, expected):
    assert content.mlflow_key(key) == expected


def test_params_are_the_flattened_config_as_runs_compare_shows_it():
    config = {
        "name": "mnist",
        "data": {"preprocess": {"reshape": [28, 28, 1], "one_hot": 10}, "augment": []},
        "model": {"layers": ["Flatten", {"Dense": {"units": 32, "activation": "relu"}}]},
        "fit": {"shuffle": True, "mixed_precision": None},
    }
    assert content.params(config) == {
        "name": "mnist",
        "data.preprocess.reshape.0": "28",
        "data.preprocess.reshape.1": "28",
        "data.preprocess.reshape.2": "1",
        "data.preprocess.one_hot": "10",
        "data.augment": "[]",
        "model.layers.0": "Flatten",
        "model.layers.1.Dense.units": "32",
        "model.layers.1.Dense.activation": "relu",
        "fit.shuffle": "true",
        "fit.mixed_precision": "null",
    }


def test_epoch_metrics_are_every_value_at_its_epoch_index():
    history = {"loss": [0.5, 0.25, float("nan")], "val_loss": [None, 0.3, 0.2], "lr": [1, 2, 3]}
    metrics = content.epoch_metrics(history, start=1)
    assert ("val_loss", 0.3, 1) in metrics and ("lr", 3.0, 2) in metrics
    assert not [m for m in metrics if m[2] == 0]  # epochs before `start` are already sent
    (nan,) = [value for key, value, step in metrics if key == "loss" and step == 2]
    assert math.isnan(nan)
    assert len(content.epoch_metrics(history)) == 8  # the missing val_loss is left out


def test_test_metrics_are_the_final_figures_that_are_not_epoch_logs():
    record = RunRecord(
        final_metrics={"loss": 0.1, "test_loss": 0.2, "test_accuracy": 0.9, "x": None}
    )
    assert content.test_metrics(record, {"loss": [0.1]}) == {"test_loss": 0.2, "test_accuracy": 0.9}


@pytest.mark.parametrize(
    "status, failed, expected",
    [
        ("completed", False, "FINISHED"),
        ("pruned", False, "FINISHED"),
        ("failed", True, "FAILED"),
        ("interrupted", False, "KILLED"),
        ("running", True, "FAILED"),  # an error outside the fit left it marked running
        (None, True, "FAILED"),
    ],
)
def test_the_mlflow_status_is_the_runs(status, failed, expected):
    assert content.mlflow_status(status, failed) == expected


def test_uris_name_the_same_store_from_anywhere_and_only_servers_have_a_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert content.absolute_uri("sqlite:///mlflow.db") == f"sqlite:///{tmp_path}/mlflow.db"
    assert content.absolute_uri("sqlite:////data/m.db") == "sqlite:////data/m.db"
    assert content.absolute_uri("./mlruns") == (tmp_path / "mlruns").as_uri()
    assert content.absolute_uri("http://host:5000") == "http://host:5000"
    assert content.absolute_uri("databricks") == "databricks"
    assert (
        content.run_url("http://host:5000/", "3", "abc")
        == "http://host:5000/#/experiments/3/runs/abc"
    )
    assert content.run_url("sqlite:////data/m.db", "3", "abc") is None


def test_artifacts_are_the_run_files_that_exist(tmp_path: Path):
    for name in ("config.yaml", "run.json", "model.keras", "plots/loss.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x")
    (tmp_path / "checkpoints").mkdir()
    found = {
        (path.relative_to(tmp_path).as_posix(), folder)
        for path, folder in content.artifacts(tmp_path)
    }
    assert found == {
        ("config.yaml", None),
        ("run.json", None),
        ("plots", "plots"),
        ("model.keras", "model"),
    }


def test_mlflow_is_not_imported_by_the_cli_nor_the_tracking_modules():
    # MLflow takes seconds to import: only a tracked run pays for it, never --help or a config
    # error (the CLI and the tracking package import it inside the functions that use it).
    script = (
        "import sys; import kerascli.cli.main, kerascli.tracking.track, kerascli.tracking.content;"
        "from kerascli.config.track import with_tracker;"
        "assert 'mlflow' not in sys.modules, 'mlflow imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
