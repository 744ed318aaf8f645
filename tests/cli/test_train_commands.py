"""End-to-end: `kerascli train` through the CLI, as a user runs it, on real MNIST slices."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import tiny_config, write_config

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def only_run(runs_dir):
    found = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert len(found) == 1, found
    return found[0]


def test_train_writes_the_whole_run_directory(tmp_path, runs_dir):
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    result = invoke("train", config, "--quiet")
    assert result.exit_code == 0, result.output
    run = only_run(runs_dir)
    assert run.name.startswith("tiny-")
    for name in (
        "config.yaml",
        "run.json",
        "history.json",
        "history.csv",
        "model.keras",
        "evaluation.json",
        "plots/loss.png",
        "plots/accuracy.png",
        "plots/confusion_matrix.png",
        "checkpoints/state.json",
    ):
        assert (run / name).is_file(), name
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed"
    assert record["epochs"] == 2
    assert record["seed"] == 1
    assert record["devices"] and all("type" in d for d in record["devices"])
    assert {"tensorflow", "keras", "kerascli"} <= set(record["versions"])
    history = json.loads((run / "history.json").read_text())
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history)
    assert all(len(values) == 2 for values in history.values())
    assert history["loss"][1] < history["loss"][0]
    csv_lines = (run / "history.csv").read_text().splitlines()
    assert len(csv_lines) == 3 and csv_lines[0].startswith("epoch,")
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["examples"] == 300
    assert np.array(evaluation["confusion_matrix"]).sum() == 300
    assert evaluation["metrics"]["accuracy"] > 0.5  # a real model learnt something
    assert len(evaluation["per_class"]) == 10
    with Image.open(run / "plots" / "loss.png") as image:
        assert image.format == "PNG" and image.size[0] > 300
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["fit"]["epochs"] == 2 and saved["name"] == "tiny"
    assert not list(run.rglob("*.tmp*"))
    listing = invoke("runs")
    assert listing.exit_code == 0 and run.name in listing.output and "completed" in listing.output


def test_set_overrides_are_what_is_saved_and_run(tmp_path, runs_dir):
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    result = invoke(
        "train",
        config,
        "--quiet",
        "--set",
        "fit.epochs=1",
        "--set",
        "compile.optimizer={Adam: {learning_rate: 0.01}}",
        "--name",
        "custom",
    )
    assert result.exit_code == 0, result.output
    run = only_run(runs_dir)
    assert run.name.startswith("custom-")
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["fit"]["epochs"] == 1
    assert saved["compile"]["optimizer"] == {"Adam": {"learning_rate": 0.01}}
    assert len(json.loads((run / "history.json").read_text())["loss"]) == 1


def test_functional_two_input_model_trains(tmp_path, runs_dir):
    model = {
        "inputs": {"image": [28, 28, 1], "pixels": [784]},
        "layers": [
            {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu", "inputs": "image"}},
            {"Flatten": {"name": "conv_features"}},
            {
                "Dense": {
                    "units": 16,
                    "activation": "relu",
                    "name": "pixel_features",
                    "inputs": "pixels",
                }
            },
            {"Concatenate": {"inputs": ["conv_features", "pixel_features"]}},
            {"Dense": {"units": 10, "activation": "softmax", "name": "digit"}},
        ],
        "outputs": ["digit"],
    }
    config = write_config(
        tmp_path / "functional.yaml", tiny_config(model=model, fit={"epochs": 1, "batch_size": 64})
    )
    result = invoke("train", config, "--quiet")
    assert result.exit_code == 0, result.output
    run = only_run(runs_dir)
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["examples"] == 300


def test_sparse_labels_held_out_first_slice_and_callbacks(tmp_path, runs_dir):
    data = tiny_config()["data"]
    data["preprocess"] = {"reshape": [784], "scale": 255}
    data["validation"] = {"first": 300}
    config = tiny_config(
        data=data,
        model={
            "input_shape": [784],
            "layers": [
                {"Dense": {"units": 32, "activation": "relu"}},
                {"Dropout": {"rate": 0.5}},
                {"Dense": {"units": 10, "activation": "softmax"}},
            ],
        },
        compile={
            "optimizer": {
                "RMSprop": {
                    "learning_rate": {
                        "ExponentialDecay": {
                            "initial_learning_rate": 0.001,
                            "decay_steps": 10,
                            "decay_rate": 0.9,
                        }
                    }
                }
            },
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        fit={
            "epochs": 3,
            "batch_size": 64,
            "callbacks": [
                {
                    "EarlyStopping": {
                        "monitor": "val_loss",
                        "patience": 1,
                        "restore_best_weights": True,
                    }
                },
                {"CSVLogger": {"filename": "keras_log.csv"}},
            ],
        },
    )
    result = invoke("train", write_config(tmp_path / "mlp.yaml", config), "--quiet")
    assert result.exit_code == 0, result.output
    run = only_run(runs_dir)
    assert (run / "keras_log.csv").is_file()  # callback files land inside the run directory
    record = json.loads((run / "run.json").read_text())
    assert record["train_examples"] == 1200
    assert record["task"] == "classification"


@pytest.mark.parametrize(
    "mutation, message",
    [
        (
            {
                "model": {
                    "input_shape": [28, 28, 1],
                    "layers": ["Flatten", {"Dense": {"units": 7, "activation": "softmax"}}],
                }
            },
            "the model outputs 7 values per example but the labels have 10",
        ),
        (
            {"model": {"input_shape": [28, 28, 1], "layers": [{"Dense": {"unit": 7}}]}},
            "unknown argument 'unit' (did you mean 'units'?)",
        ),
        (
            {"model": {"input_shape": [28, 28, 1], "layers": [{"Dense": {"units": -3}}]}},
            "model.layers[0].Dense: Received an invalid value for `units`",
        ),
        (
            {"model": {"input_shape": [28, 28, 1], "layers": [{"Conv2D": {"filters": 4}}]}},
            "model.layers[0].Conv2D",
        ),
        (
            {
                "model": {
                    "input_shape": [28, 28],
                    "layers": [{"Conv2D": {"filters": 4, "kernel_size": 3}}],
                }
            },
            "model.layers[0].Conv2D: does not fit",
        ),
        (
            {"fit": {"epochs": 1, "callbacks": [{"EarlyStopping": {"monitr": "val_loss"}}]}},
            "unknown argument 'monitr' (did you mean 'monitor'?)",
        ),
        (
            {"fit": {"epochs": 1, "callbacks": [{"CSVLogger": {"filename": "../../escape.csv"}}]}},
            "must stay inside the run directory",
        ),
        (
            {"compile": {"optimizer": {"Adam": {"learning_rat": 0.1}}, "loss": "mse"}},
            "compile.optimizer",
        ),
    ],
)
def test_bad_models_are_config_errors_and_leave_no_run(tmp_path, runs_dir, mutation, message):
    config = write_config(tmp_path / "bad.yaml", tiny_config(**mutation))
    result = invoke("train", config, "--quiet")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error: "), result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


def test_missing_data_file_is_one_line_and_leaves_no_run(tmp_path, runs_dir):
    data = tiny_config()["data"]
    data["train"]["images"] = str(tmp_path / "missing-images.gz")
    result = invoke("train", write_config(tmp_path / "c.yaml", tiny_config(data=data)), "-q")
    assert result.exit_code == 2
    assert "missing-images.gz: file not found" in result.output
    assert not runs_dir.exists() or not any(runs_dir.iterdir())


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_run_names_cannot_escape_the_runs_directory(tmp_path, runs_dir, name):
    config = write_config(tmp_path / "tiny.yaml", tiny_config())
    result = invoke("train", config, "--name", name)
    assert result.exit_code == 2
    assert "invalid run name" in result.output
    assert not (tmp_path / "escape").exists()


def test_train_merges_several_config_files_and_saves_the_merged_config(tmp_path, runs_dir):
    base = tiny_config()
    base["data"]["limit"] = {"train": 300, "test": 50}
    faster = tmp_path / "faster.yaml"
    faster.write_text("name: merged\nfit:\n  epochs: 1\n", encoding="utf-8")
    result = invoke(
        "train",
        write_config(tmp_path / "tiny.yaml", base),
        faster,
        "--set",
        "fit.batch_size=50",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    run = only_run(runs_dir)
    assert run.name.startswith("merged-")
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["fit"] == {
        "epochs": 1,
        "batch_size": 50,
        "shuffle": True,
        "callbacks": [],
        "tensorboard": False,
    }
    assert saved["data"]["limit"] == {"train": 300, "test": 50}  # from the first file
    assert json.loads((run / "run.json").read_text())["epochs"] == 1
