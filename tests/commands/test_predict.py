"""`predict` on real MNIST digits saved as image files, with a small model trained for real."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.loading import load_config
from kerascli.data.idx import read_idx
from kerascli.errors import RunError
from kerascli.runs.saved import open_run
from tests.conftest import MNIST_DIR, ROOT, tiny_config, write_config

runner = CliRunner()
COUNT = 60  # test digits written as files


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def wide(monkeypatch):
    """A wide console, so that table rows keep whole paths on one line."""
    from kerascli.cli import reporting

    monkeypatch.setattr(reporting.out, "width", 250)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real run: an MLP trained for two epochs on 3,000 MNIST training images."""
    from kerascli.commands.train import train

    base = tmp_path_factory.mktemp("predict")
    config = tiny_config()
    config["data"] = {
        "source": "mnist",
        "path": str(MNIST_DIR),
        "limit": {"train": 3000, "test": 200},
        "preprocess": {"reshape": [28, 28, 1], "scale": 255, "one_hot": 10},
    }
    config["model"]["layers"][1]["Dense"]["units"] = 64
    config["fit"] = {"epochs": 2, "batch_size": 32}
    path = write_config(base / "tiny.yaml", config)
    result = train(
        load_config(path), runs_dir=base / "runs", quiet=True, console=Console(file=io.StringIO())
    )
    return result.run_dir


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory):
    """The first MNIST test digits as 28x28 PNGs, and as larger black-on-white JPEG 'scans'."""
    base = tmp_path_factory.mktemp("digits")
    x = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:COUNT]
    y = read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:COUNT]
    for folder in ("png", "scans", "photos"):
        (base / folder).mkdir()
    for index, digit in enumerate(x):
        Image.fromarray(digit).save(base / "png" / f"{index:03d}.png")
        scan = Image.fromarray(255 - digit).resize((112, 112), Image.Resampling.BICUBIC)
        scan.convert("RGB").save(base / "scans" / f"{index:03d}.jpg", quality=90)
        # Grey ink (60) on grey paper (200), as a phone photo in room light.
        photo = (200 - digit.astype(np.float32) * (140 / 255)).astype(np.uint8)
        Image.fromarray(photo).resize((84, 84), Image.Resampling.BICUBIC).save(
            base / "photos" / f"{index:03d}.bmp"
        )
    return base, x, y


def model_classes(run_dir: Path, x: np.ndarray) -> np.ndarray:
    import keras

    model = keras.saving.load_model(run_dir / "model.keras", safe_mode=True)
    return model.predict(x.reshape(-1, 28, 28, 1) / np.float32(255), verbose=0).argmax(axis=-1)


def test_png_digits_are_predicted_as_the_model_does(trained, digit_files):
    from kerascli.commands.predict import predict_files

    base, x, y = digit_files
    report = predict_files([base / "png"], open_run(trained))

    assert report.errors == []
    assert [Path(p.file).name for p in report.predictions] == [f"{i:03d}.png" for i in range(COUNT)]
    predicted = np.array([p.index for p in report.predictions])
    # The file path replays training's preprocessing exactly: the same answers as the arrays.
    np.testing.assert_array_equal(predicted, model_classes(trained, x))
    assert (predicted == y).mean() >= 0.8
    assert not any(p.inverted for p in report.predictions)
    assert all(p.class_name == str(p.index) for p in report.predictions)


def test_black_on_white_scans_are_inverted_and_agree(trained, digit_files):
    from kerascli.commands.predict import predict_files

    base, x, y = digit_files
    scans = predict_files([base / "scans"], open_run(trained))
    plain = predict_files([base / "png"], open_run(trained))
    not_inverted = predict_files([base / "scans"], open_run(trained), invert="no")

    assert all(p.inverted for p in scans.predictions)
    scan_classes = np.array([p.index for p in scans.predictions])
    plain_classes = np.array([p.index for p in plain.predictions])
    assert (scan_classes == plain_classes).mean() >= 0.9
    assert (scan_classes == y).mean() >= 0.75
    assert not any(p.inverted for p in not_inverted.predictions)
    assert (np.array([p.index for p in not_inverted.predictions]) == y).mean() < 0.5


def test_grey_photos_are_inverted_and_levelled(trained, digit_files):
    from kerascli.commands.predict import predict_files

    base, _, y = digit_files
    photos = predict_files([base / "photos"], open_run(trained))
    plain = predict_files([base / "png"], open_run(trained))

    assert all(p.inverted for p in photos.predictions)
    photo_classes = np.array([p.index for p in photos.predictions])
    assert (photo_classes == np.array([p.index for p in plain.predictions])).mean() >= 0.85
    assert (photo_classes == y).mean() >= 0.75


def test_invert_yes_inverts_everything(trained, digit_files):
    from kerascli.commands.predict import predict_files

    base, _, _ = digit_files
    report = predict_files([base / "png" / "000.png"], open_run(trained), invert="yes")
    assert report.predictions[0].inverted


def test_model_is_loaded_once_and_called_in_batches(trained, digit_files, monkeypatch):
    from kerascli.commands import predict
    from kerascli.inference.classify import Classifier

    loads, batches = [], []
    real_load, real_probabilities = predict.load_model, Classifier.probabilities

    def counting_load(run):
        loads.append(run.run_dir)
        return real_load(run)

    def recording(self, images):
        batches.append(len(images))
        return real_probabilities(self, images)

    monkeypatch.setattr(predict, "load_model", counting_load)
    monkeypatch.setattr(Classifier, "probabilities", recording)
    base, _, _ = digit_files
    report = predict.predict_files([base / "png"], open_run(trained), batch_size=25, workers=2)

    assert len(report.predictions) == COUNT
    assert loads == [trained]
    assert batches == [25, 25, 10]


def test_json_lines_parse(trained, digit_files):
    base, _, y = digit_files
    result = invoke("predict", base / "png", "--run", trained, "--json", "--top-k", "3")

    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == COUNT
    for row in rows:
        assert set(row) == {"file", "class", "probability", "top_k"}
        assert len(row["top_k"]) == 3
        assert row["top_k"][0] == {"class": row["class"], "probability": row["probability"]}
        probabilities = [item["probability"] for item in row["top_k"]]
        assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0001
    assert np.mean([int(row["class"]) == label for row, label in zip(rows, y)]) >= 0.8


def test_bad_files_get_one_line_each_and_the_rest_are_predicted(
    trained, digit_files, tmp_path, wide
):
    base, _, _ = digit_files
    shutil.copy(base / "png" / "000.png", tmp_path / "good.png")
    (tmp_path / "notes.png").write_text("this is text, not a picture\n")
    (tmp_path / "empty.png").write_bytes(b"")

    result = invoke("predict", tmp_path, tmp_path / "missing.png", "--run", trained)

    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert sorted(errors) == sorted(
        [
            f"error: {tmp_path / 'missing.png'}: no such file or directory",
            f"error: {tmp_path / 'empty.png'}: empty file",
            f"error: {tmp_path / 'notes.png'}: not a PNG, JPEG or BMP image "
            "(the content is not one of those formats)",
        ]
    )
    assert "good.png" in result.stdout and "Traceback" not in result.output


def test_without_run_the_newest_classification_run_is_used(trained, digit_files, wide):
    base, _, _ = digit_files
    result = invoke("predict", base / "png" / "001.png", "--runs-dir", trained.parent)
    assert result.exit_code == 0, result.output
    assert trained.name in result.stdout and "001.png" in result.stdout


def test_class_names_come_from_the_config(trained, digit_files, tmp_path):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    config = yaml.safe_load((run / "config.yaml").read_text())
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    config["data"]["class_names"] = names
    (run / "config.yaml").write_text(yaml.safe_dump(config))
    base, _, y = digit_files

    result = invoke("predict", base / "png" / "000.png", "--run", run, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["class"] == names[y[0]]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip at all", "not a Keras model archive"),
        (None, "a zip file, but not a Keras model archive (no config.json"),
    ],
)
def test_a_damaged_model_is_one_line(trained, digit_files, tmp_path, content, message):
    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    if content is None:
        with zipfile.ZipFile(run / "model.keras", "w") as archive:
            archive.writestr("hello.txt", "hello")
    else:
        (run / "model.keras").write_bytes(content)
    base, _, _ = digit_files

    result = invoke("predict", base / "png" / "000.png", "--run", run)

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {run / 'model.keras'}: {message}")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_not_a_run(tmp_path, digit_files):
    base, _, _ = digit_files
    (tmp_path / "model.keras").write_bytes(b"PK")
    result = invoke("predict", base / "png" / "000.png", "--run", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path}: not a kerascli run (no run.json)"


def test_a_symlinked_model_is_refused(trained, tmp_path):
    from kerascli.runs.saved import open_run

    run = Path(shutil.copytree(trained, tmp_path / trained.name))
    (run / "model.keras").unlink()
    (run / "model.keras").symlink_to(trained / "model.keras")
    with pytest.raises(RunError, match="symbolic link"):
        open_run(run)


def test_image_geometry_for_flat_inputs(tmp_path):
    from kerascli.commands.predict import image_geometry

    config = load_config(write_config(tmp_path / "geometry.yaml", tiny_config()))
    flat = config.model_copy(
        update={
            "data": config.data.model_copy(
                update={"preprocess": config.data.preprocess.model_copy(update={"reshape": [784]})}
            )
        }
    )
    assert image_geometry(config, (28, 28, 1)) == (28, 28, 1)
    assert image_geometry(flat, (784,)) == (28, 28, 1)
    assert image_geometry(
        flat.model_copy(
            update={
                "data": flat.data.model_copy(
                    update={"preprocess": flat.data.preprocess.model_copy(update={"reshape": None})}
                )
            }
        ),
        (32 * 32 * 3,),
    ) == (32, 32, 3)


def test_training_data_background_is_measured(tmp_path):
    from kerascli.commands.predict import trained_on_dark_background

    dark = load_config(write_config(tmp_path / "dark.yaml", tiny_config()))
    digits = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:50]
    np.savez(tmp_path / "light.npz", x_train=255 - digits, y_train=np.zeros(50, np.int64))
    light = tiny_config()
    light["data"] = {
        "source": "npz",
        "path": str(tmp_path / "light.npz"),
        "preprocess": {"reshape": [28, 28, 1], "scale": 255, "one_hot": 10},
    }
    light = load_config(write_config(tmp_path / "light.yaml", light))

    assert trained_on_dark_background(dark, (28, 28, 1))  # idx files: measured
    assert not trained_on_dark_background(light, (28, 28, 1))  # dark ink on paper: no inversion


def test_importing_the_cli_and_use_cases_does_not_import_tensorflow():
    code = (
        "import sys, kerascli.cli.main, kerascli.commands.predict, kerascli.data.images.reader, "
        "kerascli.evaluation.metrics, kerascli.runs.saved; "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
