"""`source: images` through the CLI: real PNG, JPEG, BMP and GIF files the tests write.

A tiny CNN trains on folders whose class names hold a space and a non-ASCII letter; evaluate and
predict print those names. Every bad folder or file is refused before TensorFlow with its line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import write_config

runner = CliRunner()
CLASSES = ("blue sky", "grün", "red")  # sorted, as Keras numbers them
FORMATS = ("png", "jpg", "bmp", "gif")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def write_images(
    folder: Path, per_class: int, classes=CLASSES, size=(20, 18), seed=0, formats=FORMATS
) -> Path:
    """Class folders of small images whose dominant colour channel is their class."""
    rng = np.random.default_rng(seed)
    for index, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for number in range(per_class):
            pixels = rng.integers(0, 60, (*size, 3), dtype=np.uint8)
            pixels[..., (2, 1, 0)[index % 3]] = rng.integers(180, 255)
            image = Image.fromarray(pixels)
            fmt = formats[number % len(formats)]
            image.save(
                folder / name / f"{number}.{fmt}", **({"quality": 95} if fmt == "jpg" else {})
            )
    return folder


def image_config(path: Path, **data) -> dict:
    return {
        "name": "folders",
        "seed": 3,
        "data": {
            "source": "images",
            "path": str(path),
            "image_size": [16, 16],
            "preprocess": {"scale": 255},
            **data,
        },
        "model": {
            "layers": [
                {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
                "GlobalAveragePooling2D",
                {"Dense": {"units": 3, "activation": "softmax"}},
            ]
        },
        "compile": {
            "optimizer": {"Adam": {"learning_rate": 0.05}},
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": 3, "batch_size": 8},
    }


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("photos")
    write_images(base / "photos" / "train", 8)
    write_images(base / "photos" / "test", 4, seed=1)
    write_images(base / "photos" / "val", 2, classes=CLASSES[:2], seed=2)  # a class missing
    return base / "photos"


@pytest.fixture(scope="module")
def trained(photos, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("run")
    config = write_config(base / "images.yaml", image_config(photos))
    result = invoke("train", config, "--runs-dir", base / "runs", "--quiet")
    assert result.exit_code == 0, result.output
    return next((base / "runs").iterdir())


def test_train_records_folder_names_and_evaluates_per_class(trained):
    record = json.loads((trained / "run.json").read_text(encoding="utf-8"))
    assert record["class_names"] == list(CLASSES)
    assert record["train_examples"] == 24 and record["num_classes"] == 3
    evaluation = json.loads((trained / "evaluation.json").read_text(encoding="utf-8"))
    assert [row["class"] for row in evaluation["per_class"]][:3] == list(CLASSES)
    result = invoke("evaluate", trained)
    assert result.exit_code == 0, result.output
    assert "grün" in result.output and "blue sky" in result.output


def test_predict_files_and_folders_by_class_name(trained, photos):
    result = invoke(
        "predict",
        photos / "test" / "grün",
        photos / "test" / "red" / "3.gif",
        "--run",
        trained,
        "--json",
        "--top-k",
        "3",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert {line["class"] for line in lines} <= set(CLASSES)
    assert lines[-1]["file"].endswith("3.gif")
    for line in lines:
        assert sorted(item["class"] for item in line["top_k"]) == sorted(CLASSES)
        assert 0 <= line["probability"] <= 1


def test_predict_reads_files_as_training_did(trained, photos):
    """Predictions on the test images match the model's own answers on the training pipeline."""
    from kerascli.data.image_folders import load_image_folders
    from kerascli.models.loading import load_model
    from kerascli.runs.saved import open_run

    run = open_run(trained)
    splits = load_image_folders(run.config.data)
    expected = np.argmax(load_model(run).predict(splits.x_test / 255.0, verbose=0), axis=-1)
    files = sorted((photos / "test").rglob("*.*"))
    result = invoke("predict", *files, "--run", trained, "--json")
    got = {
        line["file"]: CLASSES.index(line["class"])
        for line in map(json.loads, result.stdout.splitlines())
    }
    # Keras' test split is in file order: class folders sorted, then file names.
    assert [got[str(path)] for path in files] == list(expected)


def test_held_out_split_grayscale_and_validation(tmp_path):
    write_images(tmp_path / "flat", 10, formats=FORMATS[:2])  # see bmp-grayscale
    config = image_config(
        tmp_path / "flat", test={"split": 0.2}, color_mode="grayscale", validation={"split": 0.25}
    ) | {"fit": {"epochs": 1, "batch_size": 8}}
    config["data"]["preprocess"]["one_hot"] = 3  # labels as one-hot vectors on request
    config["compile"]["loss"] = "categorical_crossentropy"
    config = write_config(tmp_path / "c.yaml", config)
    result = invoke("validate", config)
    assert result.exit_code == 0, result.output
    assert "model.input_shape: [16, 16, 1], inferred from the data" in result.output
    assert (
        "data: 3 classes from the folder names: blue sky, grün, red (30 train images, 20% "
        "of train held out for test)"
    ) in result.output
    result = invoke("train", config, "--runs-dir", tmp_path / "runs", "--quiet")
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["train_examples"] == 18  # 30 images, 6 held out for test, 6 for validation
    evaluation = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    assert sum(row["support"] for row in evaluation["per_class"][:3]) == 6


def _truncated_png(path: Path) -> None:
    Image.new("RGB", (16, 16), (10, 200, 30)).save(path)
    path.write_bytes(path.read_bytes()[:60])


def _break(make):
    """Writes a good train/test folder, then spoils it with `make(root)`."""

    def build(root: Path) -> Path:
        write_images(root / "train", 3)
        write_images(root / "test", 1)
        make(root)
        return root

    return build


BAD_FOLDERS = [
    pytest.param(
        lambda root: root / "missing",
        {},
        "{root}/missing: no such folder (data.path names a folder of class folders)",
        id="missing",
    ),
    pytest.param(
        lambda root: (root.mkdir(), (root / "f.png").write_bytes(b""), root / "f.png")[2],
        {},
        "{root}/f.png: not a folder",
        id="a-file",
    ),
    pytest.param(
        lambda root: (root.mkdir(), Image.new("L", (4, 4)).save(root / "a.png"), root)[2],
        {},
        "{root}: no class folders in this folder (put each class's images in its own folder",
        id="no-class-folders",
    ),
    pytest.param(
        _break(lambda root: write_images(root / "test", 1, classes=("zebra",))),
        {},
        "{root}/test/zebra: class 'zebra' is not one of the training classes in "
        "{root}/train (every test and val class needs a train folder too)",
        id="test-class-not-in-train",
    ),
    pytest.param(
        _break(lambda root: write_images(root / "val", 1, classes=("owl",))),
        {},
        "{root}/val/owl: class 'owl' is not one of the training classes",
        id="val-class-not-in-train",
    ),
    pytest.param(
        _break(lambda root: _truncated_png(root / "train" / "red" / "bad.png")),
        {},
        "{root}/train/red/bad.png: truncated image",
        id="truncated-png",
    ),
    pytest.param(
        _break(lambda root: (root / "train" / "red" / "x.jpg").write_text("hello")),
        {},
        "{root}/train/red/x.jpg: not a PNG, JPEG, BMP or GIF image (the content is not "
        "one of those formats)",
        id="text-named-jpg",
    ),
    pytest.param(
        _break(lambda root: (root / "train" / "red" / "x.gif").write_bytes(b"")),
        {},
        "{root}/train/red/x.gif: empty file",
        id="empty-gif",
    ),
    pytest.param(
        _break(lambda root: (root / "train" / "grün" / "notes.txt").write_text("n")),
        {},
        "{root}/train/grün/notes.txt: not a PNG, JPEG, BMP or GIF image file (move "
        "it out of the class folder)",
        id="non-image-file",
    ),
    pytest.param(
        _break(lambda root: (root / "train" / "empty").mkdir()),
        {},
        "{root}/train/empty: a class folder without images",
        id="empty-class",
    ),
    pytest.param(
        _break(lambda root: None),
        {"color_mode": "grayscale"},
        "{root}/train/blue sky/2.bmp: BMP images cannot be read as grayscale "
        "(TensorFlow's BMP decoder gives 3 or 4 channels) (convert it to PNG, or change "
        "data.color_mode)",
        id="bmp-grayscale",
    ),
    pytest.param(
        _break(lambda root: None),
        {"color_mode": "rgba"},
        "{root}/train/blue sky/1.jpg: JPEG images cannot be read as rgba "
        "(TensorFlow's JPEG decoder gives 1 or 3 channels)",
        id="jpeg-rgba",
    ),
    pytest.param(
        _break(lambda root: None),
        {"test": {"split": 0.2}},
        "{root}/test: a test folder and data.test.split both give a test set",
        id="test-folder-and-split",
    ),
    pytest.param(
        _break(lambda root: write_images(root / "val", 1)),
        {"validation": {"split": 0.1}},
        "{root}/val: a val folder and data.validation both give validation data",
        id="val-folder-and-split",
    ),
    pytest.param(
        lambda root: write_images(root, 1),
        {"test": {"split": 0.2}},
        "data.test.split: holding out 0.2 of 3 images leaves none to train on or none to test",
        id="split-too-small",
    ),
]


@pytest.mark.parametrize("make, data, message", BAD_FOLDERS)
def test_bad_folders_are_one_line_before_tensorflow(tmp_path, make, data, message):
    root = tmp_path / "photos"
    path = make(root)
    config = write_config(tmp_path / "c.yaml", image_config(path, **data))
    result = invoke("train", config, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: " + message.format(root=root)), first
    assert not (tmp_path / "runs").exists()


def test_every_bad_file_gets_its_own_line(tmp_path):
    write_images(tmp_path / "p", 2)
    for name in CLASSES:
        (tmp_path / "p" / name / "broken.png").write_text("not a png")
    config = write_config(tmp_path / "c.yaml", image_config(tmp_path / "p"))
    result = invoke("train", config)
    assert result.exit_code == 2
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == [
        str(tmp_path / "p" / name / "broken.png") for name in CLASSES
    ]


BAD_CONFIGS = [
    pytest.param(
        {"image_size": None}, "source images needs path: FOLDER and image_size", id="no-image-size"
    ),
    pytest.param(
        {"image_size": [0, 16]},
        "data.image_size[0]: Input should be greater than 0",
        id="image-size-0",
    ),
    pytest.param(
        {"image_size": [16]},
        "data.image_size: List should have at least 2 items",
        id="image-size-one-side",
    ),
    pytest.param(
        {"color_mode": "cmyk"},
        "data.color_mode: Input should be 'grayscale', 'rgb' or 'rgba'",
        id="color-mode",
    ),
    pytest.param({"test": {"split": 1.5}}, "Input should be less than 1", id="split-above-1"),
    pytest.param(
        {"train": {"images": "a", "labels": "b"}},
        "source images reads path's train/, test/ and val/ folders, not files",
        id="train-files",
    ),
    pytest.param({"source": "mnist"}, "image_size is for source images", id="image-size-on-mnist"),
]


@pytest.mark.parametrize("data, message", BAD_CONFIGS)
def test_bad_image_configs(tmp_path, data, message):
    config = image_config(tmp_path)
    config["data"].update(data)
    config["data"] = {key: value for key, value in config["data"].items() if value is not None}
    result = invoke("validate", write_config(tmp_path / "c.yaml", config))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr


def test_input_shape_only_inferred_for_images(tmp_path):
    config = image_config(tmp_path)
    config["data"] = {"source": "mnist"}
    result = invoke("validate", write_config(tmp_path / "c.yaml", config))
    assert result.exit_code == 2
    assert (
        "model: give input_shape (Sequential) or inputs (Functional) (source mnist cannot "
        "tell it; only images, csv, text decide it)" in result.stderr
    )


def test_the_example_config_trains_on_a_generated_folder(tmp_path):
    """configs/images_folder.yaml as shipped, on a small folder written as its comment says."""
    from benchmarks.own_images import ROOT, write_folder

    folder = write_folder(tmp_path / "mnist_png", 200, 50)
    result = invoke(
        "train",
        ROOT / "configs" / "images_folder.yaml",
        "--set",
        f"data.path={folder}",
        "--set",
        "fit.epochs=1",
        "--runs-dir",
        tmp_path / "runs",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["class_names"] == [str(digit) for digit in range(10)]
    assert record["train_examples"] == 180  # 200 less the 10% validation split


def test_predict_reports_bad_files_and_predicts_the_rest(trained, photos, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not a png")
    result = invoke(
        "predict",
        photos / "test" / "red" / "0.png",
        bad,
        tmp_path / "x.tiff",
        "--run",
        trained,
        "--json",
    )
    assert result.exit_code == 2
    assert [json.loads(line)["file"] for line in result.stdout.splitlines()] == [
        str(photos / "test" / "red" / "0.png")
    ]
    assert result.stderr.splitlines() == [
        f"error: {tmp_path / 'x.tiff'}: no such file or directory",
        f"error: {bad}: not a PNG, JPEG, BMP or GIF image (the content is not one of those "
        "formats)",
    ]


def test_limit_and_memory(tmp_path, monkeypatch):
    from kerascli.data import image_folders

    write_images(tmp_path / "p", 4)  # 12 images
    config = image_config(tmp_path / "p") | {"fit": {"epochs": 1}, "evaluate": {"enabled": False}}
    path = write_config(tmp_path / "c.yaml", config)
    # Room for 5 decoded 16x16 RGB float32 images, not for 12.
    monkeypatch.setattr(
        image_folders, "MEMORY_FRACTION", 5 * 16 * 16 * 3 * 4 * 1.5 / image_folders._memory_bytes()
    )
    result = invoke("train", path, "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {tmp_path / 'p'}: 12 images of 16x16 take 0.0 MiB decoded, more than "
    )
    assert result.stderr.rstrip().endswith("(lower data.image_size or set data.limit)")
    config["data"]["limit"] = {"train": 5}
    result = invoke("train", write_config(path, config), "--runs-dir", tmp_path / "runs", "--quiet")
    assert result.exit_code == 0, result.output
    record = json.loads((next((tmp_path / "runs").iterdir()) / "run.json").read_text())
    assert record["train_examples"] == 5


@pytest.fixture(scope="module")
def exported(trained, photos) -> tuple[Path, list[Path], list[dict]]:
    """The run exported to ONNX, its test folders, and what the Keras path predicts for them."""
    from kerascli.commands.predict import predict_files
    from kerascli.runs.saved import open_run

    result = invoke("export", trained, "--format", "onnx")
    assert result.exit_code == 0, result.output
    folders = [photos / "test" / name for name in CLASSES]
    report = predict_files(folders, open_run(trained), top_k=3)
    assert not report.errors
    return trained, folders, [p.to_json() for p in report.predictions]


def assert_as_keras(rows: list[dict], keras_rows: list[dict]) -> None:
    """Same files, classes and probabilities (JPEGs: see `JPEG_PROBABILITY`)."""
    assert [row["file"] for row in rows] == [row["file"] for row in keras_rows]
    for row, want in zip(rows, keras_rows):
        jpeg = row["file"].endswith(".jpg")
        assert [t["class"] for t in row["top_k"]] == [t["class"] for t in want["top_k"]]
        for got, wanted in zip(row["top_k"], want["top_k"]):
            assert abs(got["probability"] - wanted["probability"]) <= (
                JPEG_PROBABILITY if jpeg else 1e-4
            ), row["file"]


# TensorFlow and Pillow decode JPEGs with different IDCTs (a few levels of 255 apart, see
# tests/data/images/test_stretch.py); measured at most 0.0013 on these probabilities, the
# other formats at most 1e-6 (the JSON's rounding).
JPEG_PROBABILITY = 0.01


def test_an_exported_image_folder_run_predicts_as_training_read_without_tensorflow(exported):
    """Training stretched each file with TensorFlow's resize; the export records it, and the
    exported path reads PNG, JPEG, BMP and GIF files the same way without TensorFlow."""
    from tests.inference.test_exported import loaded_modules, run_cli

    run_dir, folders, keras_rows = exported
    manifest = json.loads((run_dir / "export" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["networks"]["model"]["input"]
    assert entry["resize"] == "stretch" and entry["color_mode"] == "rgb"
    assert entry["channels"] == 3 and ".gif" in entry["extensions"]
    result = run_cli("predict", *folders, "--run", run_dir, "--json", "--top-k", "3")
    assert result.returncode == 0, result.stderr
    assert loaded_modules(result) == "LOADED:" and "note:" not in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 12 and {Path(row["file"]).suffix for row in rows} == {
        ".png",
        ".jpg",
        ".bmp",
        ".gif",
    }
    assert_as_keras(rows, keras_rows)


def test_serve_reads_uploads_of_an_image_folder_run_as_predict_reads_files(exported):
    import httpx

    from tests.inference.test_server import post, start_server, stop

    run_dir, _, keras_rows = exported
    process, base = start_server(run_dir)
    try:
        rows = []
        for want in keras_rows:
            path = Path(want["file"])
            response = post(base, path.read_bytes(), path.name, top_k=3)
            assert response.status_code == 200, response.text
            rows.append({**response.json(), "file": want["file"]})
        assert httpx.get(f"{base}/health", timeout=10).json()["engine"] == "onnx"
    finally:
        code, stderr = stop(process)
    assert "Traceback" not in stderr, stderr
    assert_as_keras(rows, keras_rows)


@pytest.mark.parametrize(
    "color_mode, formats", [("grayscale", ("png", "jpg")), ("rgba", ("png", "bmp"))]
)
def test_grayscale_and_rgba_runs_predict_from_their_export_as_through_keras(
    tmp_path, color_mode, formats
):
    from kerascli.commands.predict import predict_files
    from kerascli.runs.saved import open_run
    from tests.inference.test_exported import loaded_modules, run_cli

    data = write_images(tmp_path / "data" / "train", 4, formats=formats, size=(13, 21))
    test = write_images(tmp_path / "data" / "test", 2, formats=formats, seed=5, size=(30, 11))
    config = image_config(data.parent, color_mode=color_mode)
    config["fit"]["epochs"] = 1
    result = invoke(
        "train",
        write_config(tmp_path / "c.yaml", config),
        "--runs-dir",
        tmp_path / "runs",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    run_dir = next((tmp_path / "runs").iterdir())
    assert invoke("export", run_dir, "--format", "onnx").exit_code == 0
    keras_rows = [
        p.to_json()
        for p in predict_files(
            [test / name for name in CLASSES], open_run(run_dir), top_k=3
        ).predictions
    ]
    result = run_cli(
        "predict", *(test / name for name in CLASSES), "--run", run_dir, "--json", "--top-k", "3"
    )
    assert result.returncode == 0, result.stderr
    assert loaded_modules(result) == "LOADED:" and "note:" not in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 6
    assert_as_keras(rows, keras_rows)
