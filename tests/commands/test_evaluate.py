"""`evaluate` on real runs: an MNIST classifier, a binary (sigmoid) model and a regression model."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.loading import load_config
from kerascli.errors import DataError, RunError
from kerascli.runs.saved import open_run
from tests.conftest import MNIST_DIR, tiny_config, write_config

runner = CliRunner()
TEST_COUNT = 300
TRAIN_FILES = {
    "images": str(MNIST_DIR / "train-images-idx3-ubyte.gz"),
    "labels": str(MNIST_DIR / "train-labels-idx1-ubyte.gz"),
}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def train_run(base: Path, config: dict) -> Path:
    from kerascli.commands.train import train

    path = write_config(base / f"{config['name']}.yaml", config)
    return train(
        load_config(path), runs_dir=base / "runs", quiet=True, console=Console(file=io.StringIO())
    ).run_dir


def fresh_copy(run: Path, tmp_path: Path) -> Path:
    """A copy of a run without what evaluation writes, so a test sees what evaluate wrote."""
    copy = Path(shutil.copytree(run, tmp_path / run.name))
    for name in ("evaluation.json", "plots/confusion_matrix.png", "plots/misclassified.png"):
        (copy / name).unlink(missing_ok=True)
    return copy


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    """An MLP trained for two epochs on 2,000 MNIST training images; 300 test images."""
    config = tiny_config(name="mnist")
    config["data"]["train"] = TRAIN_FILES
    config["data"]["limit"] = {"train": 2000, "test": TEST_COUNT}
    config["fit"] = {"epochs": 2, "batch_size": 32}
    return train_run(tmp_path_factory.mktemp("mnist"), config)


def _npz(path: Path, targets) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 8)).astype(np.float32)
    y = targets(x)
    np.savez(path, x_train=x[:400], y_train=y[:400], x_test=x[400:], y_test=y[400:])
    return path


def _vector_config(name: str, path: Path, last: dict, loss: str, metrics: list) -> dict:
    return {
        "name": name,
        "seed": 1,
        "data": {"source": "npz", "path": str(path)},
        "model": {
            "input_shape": [8],
            "layers": [{"Dense": {"units": 16, "activation": "relu"}}, {"Dense": last}],
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.01}},
            "loss": loss,
            "metrics": metrics,
        },
        "fit": {"epochs": 3, "batch_size": 32},
    }


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory):
    """A sigmoid model on 0/1 labels from an npz source."""
    base = tmp_path_factory.mktemp("binary")
    path = _npz(base / "binary.npz", lambda x: (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64))
    return train_run(
        base,
        _vector_config(
            "binary",
            path,
            {"units": 1, "activation": "sigmoid"},
            "binary_crossentropy",
            ["accuracy"],
        ),
    )


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory):
    """A linear-output model fitted with mean squared error."""
    base = tmp_path_factory.mktemp("regression")
    path = _npz(base / "regression.npz", lambda x: (x @ np.arange(1, 9) / 10).astype(np.float32))
    return train_run(base, _vector_config("regression", path, {"units": 1}, "mse", ["mae"]))


def assert_readable_png(path: Path, min_side: int = 300) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) >= min_side
        pixels = np.asarray(image.convert("L"))
    assert (pixels < 128).mean() > 0.01  # something is drawn on it


def test_evaluate_run_writes_per_class_figures_and_plots(mnist_run, tmp_path):
    from kerascli.commands.evaluate import evaluate_run

    run = fresh_copy(mnist_run, tmp_path)
    evaluation = evaluate_run(open_run(run))

    saved = json.loads((run / "evaluation.json").read_text())
    assert saved == evaluation.as_json()
    assert evaluation.class_names() == [str(d) for d in range(10)]
    assert saved["task"] == "classification" and saved["examples"] == TEST_COUNT
    matrix = np.array(saved["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == TEST_COUNT
    assert [row["class"] for row in saved["per_class"]] == [str(d) for d in range(10)]
    assert sum(row["support"] for row in saved["per_class"]) == TEST_COUNT
    assert matrix.sum(axis=1).tolist() == [row["support"] for row in saved["per_class"]]
    assert saved["macro_avg"]["support"] == saved["weighted_avg"]["support"] == TEST_COUNT
    assert saved["accuracy"] == pytest.approx(saved["metrics"]["accuracy"], abs=1e-4)
    assert saved["accuracy"] > 0.6
    assert saved["plots"] == ["plots/confusion_matrix.png", "plots/misclassified.png"]
    assert_readable_png(run / "plots" / "confusion_matrix.png", 400)
    assert_readable_png(run / "plots" / "misclassified.png", 300)
    assert not list(run.rglob("*.tmp*"))


def test_cli_evaluate_on_another_test_set(mnist_run, tmp_path, monkeypatch):
    from kerascli.cli import reporting

    monkeypatch.setattr(reporting.out, "width", 120)
    run = fresh_copy(mnist_run, tmp_path)
    result = invoke(
        "evaluate",
        run,
        "--set",
        f"data.test.images={TRAIN_FILES['images']}",
        "--set",
        f"data.test.labels={TRAIN_FILES['labels']}",
        "--set",
        "data.limit.test=150",
    )

    assert result.exit_code == 0, result.output
    saved = json.loads((run / "evaluation.json").read_text())
    assert saved["examples"] == 150 and np.array(saved["confusion_matrix"]).sum() == 150
    assert saved["overrides"][-1] == "data.limit.test=150"
    assert result.stdout.startswith("test (150 examples, classification): loss ")
    for text in (
        "precision",
        "recall",
        "F1",
        "support",
        "macro avg",
        "weighted avg",
        str(run / "evaluation.json"),
        str(run / "plots" / "confusion_matrix.png"),
    ):
        assert text in result.stdout
    assert (run / "config.yaml").read_text() == (mnist_run / "config.yaml").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "data.limt.test=3"], "unknown key 'limt' (did you mean 'limit'?)"),
        (
            ["--set", "data.preprocess.reshape=[784]"],
            "data.test: the test data does not fit the model",
        ),
        (["--set", "data.test.images=/nowhere/images.gz"], "/nowhere/images.gz: "),
    ],
)
def test_cli_evaluate_errors_are_one_line(mnist_run, tmp_path, args, message):
    run = fresh_copy(mnist_run, tmp_path)
    result = invoke("evaluate", run, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not (run / "evaluation.json").exists()


def test_evaluate_refuses_what_is_not_a_run(tmp_path):
    result = invoke("evaluate", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path}: not a kerascli run (no run.json)"


def test_binary_model(binary_run, tmp_path):
    run = fresh_copy(binary_run, tmp_path)
    result = invoke("evaluate", run)

    assert result.exit_code == 0, result.output
    saved = json.loads((run / "evaluation.json").read_text())
    assert saved["task"] == "binary"
    assert np.array(saved["confusion_matrix"]).shape == (2, 2)
    assert np.array(saved["confusion_matrix"]).sum() == saved["examples"] == 100
    assert len(saved["per_class"]) == 2 and saved["accuracy"] > 0.7
    # Feature vectors are not images: a confusion matrix, but no grid of mistakes.
    assert saved["plots"] == ["plots/confusion_matrix.png"]
    assert not (run / "plots" / "misclassified.png").exists()
    assert "macro avg" in result.stdout


def test_regression_model(regression_run, tmp_path):
    run = fresh_copy(regression_run, tmp_path)
    result = invoke("evaluate", run)

    assert result.exit_code == 0, result.output
    saved = json.loads((run / "evaluation.json").read_text())
    assert saved["task"] == "regression" and saved["examples"] == 100
    assert set(saved["metrics"]) == {"mae"} and saved["loss"] >= 0
    assert "confusion_matrix" not in saved and saved["plots"] == []
    assert result.stdout.startswith("test (100 examples, regression): loss ")
    assert "mae" in result.stdout and "precision" not in result.stdout


def test_data_without_a_test_split(regression_run, tmp_path):
    from kerascli.commands.evaluate import evaluate_run

    path = tmp_path / "train_only.npz"
    np.savez(path, x_train=np.zeros((10, 8), np.float32), y_train=np.zeros(10, np.float32))
    with pytest.raises(DataError, match="has no test split"):
        evaluate_run(open_run(regression_run, [f"data.path={path}"]))


def test_predict_refuses_a_regression_run(regression_run, tmp_path):
    from kerascli.commands.predict import predict_files

    image = tmp_path / "x.png"
    Image.new("L", (8, 8)).save(image)
    with pytest.raises(RunError, match="is a regression run; predict needs a classifier"):
        predict_files([image], open_run(regression_run))
