"""`kerascli export` on a real tiny run: every format through Keras' `model.export`, each one
loaded back in its own runtime and compared with the Keras model, and failures that leave the
previous export as it was."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.loading import load_config
from kerascli.errors import ConfigError
from tests.conftest import tiny_config, train_tiny_run, write_config

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def exported(run_dir):
    """The tiny run exported to all three formats and checked, through the CLI."""
    result = invoke(
        "export",
        run_dir,
        "--format",
        "onnx,litert",
        "-f",
        "saved_model",
        "--check",
        "--examples",
        "50",
    )
    return result


@pytest.fixture(scope="module")
def resize_run(tmp_path_factory) -> Path:
    """A run whose model resizes bicubically: an op LiteRT's built-in kernels do not have."""
    from kerascli.commands.train import train

    base = tmp_path_factory.mktemp("resize")
    config = tiny_config(name="resize")
    config["data"]["limit"] = {"train": 200, "test": 50}
    config["model"]["layers"].insert(
        0, {"Resizing": {"height": 14, "width": 14, "interpolation": "bicubic", "name": "shrink"}}
    )
    config["fit"] = {"epochs": 1, "batch_size": 64}
    result = train(
        load_config(write_config(base / "resize.yaml", config)),
        runs_dir=base / "runs",
        quiet=True,
        console=Console(file=io.StringIO()),
    )
    return result.run_dir


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_each_format_and_a_manifest(run_dir, exported):
    assert exported.exit_code == 0, exported.output
    export = run_dir / "export"
    assert sorted(p.name for p in export.iterdir()) == [
        "manifest.json",
        "model.onnx",
        "model.savedmodel",
        "model.tflite",
    ]
    assert not (run_dir / ".export.staging").exists()
    manifest = json.loads((export / "manifest.json").read_text())
    entry = manifest["networks"]["model"]
    assert entry["kind"] == "classifier"
    assert entry["source_sha256"] == digest(run_dir / "model.keras")
    assert entry["tensor"] == {"shape": [None, 28, 28, 1], "dtype": "float32"}
    assert entry["input"] == {
        "kind": "image",
        "height": 28,
        "width": 28,
        "channels": 1,
        "dark_background": True,
        "preprocess": {"reshape": [28, 28, 1], "scale": 255.0, "range": None},
    }
    assert entry["class_names"] == [str(digit) for digit in range(10)]
    for name, file in [
        ("onnx", "model.onnx"),
        ("litert", "model.tflite"),
        ("saved_model", "model.savedmodel"),
    ]:
        assert entry["formats"][name]["file"] == file
        assert entry["formats"][name]["bytes"] > 1000
        assert f"exported: {name} " in exported.output


def test_check_table_shows_each_format_agreeing(exported):
    rows = {
        line.split("│")[1].strip(): line
        for line in exported.output.splitlines()
        if line.startswith("│")
    }
    assert set(rows) == {"keras", "onnx", "litert", "saved_model"}
    for name in ("onnx", "litert", "saved_model"):
        cells = [cell.strip() for cell in rows[name].split("│")]
        assert cells[3] == "100.00%" and cells[-2] == "yes", rows[name]
        assert float(cells[4]) <= 1e-4


def test_exported_runtimes_answer_as_keras_does(run_dir, exported):
    import keras

    from kerascli.data.idx import read_idx
    from kerascli.inference.formats import spec
    from tests.conftest import MNIST_DIR

    x = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[-64:].astype(np.float32)[..., None] / 255
    expected = keras.saving.load_model(run_dir / "model.keras").predict(x, verbose=0)
    for name, file in [("onnx", "model.onnx"), ("litert", "model.tflite")]:
        got = spec(name).load(run_dir / "export" / file)(x)
        np.testing.assert_allclose(got, expected, atol=1e-5)
        assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()


@pytest.mark.parametrize(
    "values, expected",
    [
        (None, ["onnx"]),
        (["litert"], ["litert"]),
        (["onnx,litert", "onnx"], ["onnx", "litert"]),
        ([" saved_model , onnx"], ["saved_model", "onnx"]),
    ],
)
def test_format_lists(values, expected):
    from kerascli.inference.formats import parse_formats

    assert parse_formats(values) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("tflite", "--format: unknown format 'tflite' (use onnx, litert, saved_model)"),
        ("onnx,torch", "--format: unknown format 'torch' (use onnx, litert, saved_model)"),
    ],
)
def test_unknown_format_is_one_line(run_dir, value, message):
    from kerascli.inference.formats import parse_formats

    with pytest.raises(ConfigError) as raised:
        parse_formats([value])
    assert raised.value.format() == message
    result = invoke("export", run_dir, "--format", value)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message}"


def test_litert_refuses_a_layer_without_builtin_kernels_and_keeps_the_export(resize_run):
    first = invoke("export", resize_run)
    assert first.exit_code == 0, first.output
    export = resize_run / "export"
    before = {p.name: digest(p) for p in export.iterdir()}

    result = invoke("export", resize_run, "--format", "onnx,litert")

    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        "error: --format litert: layer 'shrink' needs TensorFlow ops that LiteRT's "
        "built-in kernels lack (the standalone interpreter refuses them) (export it "
        "as onnx)"
    ], result.output
    assert {p.name: digest(p) for p in export.iterdir()} == before
    assert sorted(p.name for p in resize_run.iterdir() if p.name.startswith(".export")) == []


def test_recurrent_layers_export_to_litert_builtin_kernels(tmp_path):
    """The measured trap: Keras' own LiteRT export of an LSTM needs Flex ops that the standalone
    interpreter refuses; with the batch fixed and built-in ops only it runs, and agrees."""
    import keras

    from kerascli.commands.export import export_one
    from kerascli.inference.formats import FORMATS, ExportFormat

    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.LSTM(8, name="memory"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    export_one(model, ExportFormat.LITERT, tmp_path / "model.tflite", [None, 28, 28])
    x = np.random.default_rng(1).random((3, 28, 28), dtype=np.float32)

    got = FORMATS[ExportFormat.LITERT].load(tmp_path / "model.tflite")(x)

    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


def test_check_fails_when_an_exported_file_is_not_the_model(
    run_dir, resize_run, exported, tmp_path
):
    """Another model's ONNX file in place of the run's: same shapes, other answers: exit 1."""
    assert exported.exit_code == 0
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".lock"))
    resized = invoke("export", resize_run, "--format", "onnx")
    assert resized.exit_code == 0, resized.output
    shutil.copy(resize_run / "export" / "model.onnx", copy / "export" / "model.onnx")

    result = invoke("export", copy, "--check", "--examples", "30")

    assert result.exit_code == 1, result.output
    assert "exported:" not in result.output  # checked as it is, not exported again
    rows = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.startswith("│")
    }
    assert rows["onnx"].rstrip("│ ").endswith("NO")
    assert rows["litert"].rstrip("│ ").endswith("yes")
    assert "error: " in result.output and "onnx disagree" in result.output
