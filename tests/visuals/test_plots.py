"""Tests for kerascli.plots: real PNGs written to tmp_path and checked with PIL."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kerascli.visuals.plots import plot_confusion_matrix, plot_history, plot_image_grid

REPO_ROOT = Path(__file__).resolve().parents[2]


def assert_png(path: Path, min_size: tuple[int, int] = (100, 100)) -> tuple[int, int]:
    assert path.is_file() and path.stat().st_size > 0
    with Image.open(path) as image:
        assert image.format == "PNG"
        size = image.size
        image.verify()
    assert size[0] >= min_size[0] and size[1] >= min_size[1]
    return size


def assert_no_temp_files(directory: Path) -> None:
    assert not [p.name for p in directory.rglob("*.tmp*")]


def non_white_pixels(path: Path) -> int:
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    return int((pixels.min(axis=-1) < 250).sum())


def test_history_three_epochs(tmp_path):
    history = {
        "loss": [0.9, 0.5, 0.3],
        "accuracy": [0.6, 0.8, 0.9],
        "val_loss": [1.0, 0.6, 0.45],
        "val_accuracy": [0.55, 0.75, 0.85],
        "learning_rate": [1e-3, 1e-3, 5e-4],
    }
    out = tmp_path / "plots" / "nested"  # must be created
    paths = plot_history(history, out)
    assert [p.name for p in paths] == ["accuracy.png", "learning_rate.png", "loss.png"]
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in paths]
    for path in paths:
        width, height = assert_png(path, min_size=(500, 350))
        assert width > height  # ~6x4 inches
    assert_no_temp_files(tmp_path)


def test_history_one_epoch_shows_a_point(tmp_path):
    (path,) = plot_history({"loss": [0.7]}, tmp_path)
    assert path.name == "loss.png"
    assert_png(path)
    # A single point plotted as a line is invisible; compare against an all-NaN plot of the same
    # metric, which has identical axes, labels and text but no data drawn.
    (blank,) = plot_history({"loss": [None]}, tmp_path / "blank")
    assert non_white_pixels(path) > non_white_pixels(blank)


@pytest.mark.parametrize(
    "history",
    [
        {"loss": [1.0, float("nan"), 0.5], "val_loss": [None, 0.9, 0.7]},
        {"loss": [float("nan")] * 3, "val_loss": [None, None, None]},
        {"loss": [float("inf"), 0.5, np.float32(0.4)]},
        {"loss": []},
    ],
    ids=["some-missing", "all-missing", "inf-and-numpy", "no-epochs"],
)
def test_history_with_missing_values(tmp_path, history):
    (path,) = plot_history(history, tmp_path)
    assert path.name == "loss.png"
    assert_png(path)
    assert_no_temp_files(tmp_path)


def test_history_validation_only_and_gan_metrics(tmp_path):
    history = {"d_loss": [0.7, 0.6], "g_loss": [1.2, 1.0], "val_auc": [0.7, 0.8]}
    paths = plot_history(history, tmp_path)
    assert [p.name for p in paths] == ["d_loss.png", "g_loss.png", "val_auc.png"]
    for path in paths:
        assert_png(path)


def test_history_filenames_are_safe_and_distinct(tmp_path):
    history = {"top/5 acc": [0.5, 0.6], "top_5_acc": [0.4, 0.5], "val_top/5 acc": [0.45, 0.55]}
    paths = plot_history(history, tmp_path)
    assert [p.name for p in paths] == ["top_5_acc.png", "top_5_acc_2.png"]
    assert all(p.parent == tmp_path for p in paths)


def test_history_many_epochs(tmp_path):
    epochs = 200
    loss = list(np.exp(-np.arange(epochs) / 50))
    lr = list(1e-2 * 0.97 ** np.arange(epochs))  # spans decades: drawn on a log axis
    paths = plot_history({"loss": loss, "val_loss": loss[::-1], "lr": lr}, tmp_path)
    assert [p.name for p in paths] == ["loss.png", "lr.png"]
    for path in paths:
        assert_png(path)


def test_history_empty(tmp_path):
    assert plot_history({}, tmp_path / "out") == []
    assert_no_temp_files(tmp_path)


def test_history_overwrites_existing_file(tmp_path):
    (tmp_path / "loss.png").write_bytes(b"stale")
    (path,) = plot_history({"loss": [1.0, 0.5]}, tmp_path)
    assert_png(path)


@pytest.mark.parametrize("n, normalize", [(2, False), (10, False), (10, True), (20, False)])
def test_confusion_matrix(tmp_path, n, normalize):
    rng = np.random.default_rng(n)
    matrix = rng.integers(0, 50, size=(n, n)) + np.diag(rng.integers(200, 1000, size=n))
    if normalize:
        matrix[0] = 0  # a class absent from the data must not produce NaN
    names = [f"class_{i}" for i in range(n)] if n > 2 else ["cat", "dog"]
    path = plot_confusion_matrix(matrix, names, tmp_path / "sub" / "cm.png", normalize=normalize)
    assert path == tmp_path / "sub" / "cm.png"
    assert_png(path, min_size=(300, 300))
    assert_no_temp_files(tmp_path)


def test_confusion_matrix_accepts_lists(tmp_path):
    path = plot_confusion_matrix([[5, 1], [2, 7]], ["no", "yes"], tmp_path / "cm.png")
    assert_png(path)


@pytest.mark.parametrize(
    "matrix, names",
    [([[1, 2], [3, 4]], ["a", "b", "c"]), ([[1, 2, 3]], ["a"]), ([], [])],
)
def test_confusion_matrix_rejects_bad_shapes(tmp_path, matrix, names):
    with pytest.raises(ValueError):
        plot_confusion_matrix(matrix, names, tmp_path / "cm.png")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "shape", [(9, 28, 28), (9, 28, 28, 1), (16, 32, 32, 3), (5, 8, 8, 3), (1, 28, 28)]
)
def test_image_grid(tmp_path, shape):
    images = np.random.default_rng(0).random(shape)
    path = plot_image_grid(images, tmp_path / "grid.png")
    columns = math.ceil(math.sqrt(shape[0]))
    rows = math.ceil(shape[0] / columns)
    width, height = assert_png(path, min_size=(100, 100))
    assert abs(width / height - columns / rows) < 0.2
    assert_no_temp_files(tmp_path)


def test_image_grid_titles_columns_and_range(tmp_path):
    images = np.random.default_rng(1).uniform(-1, 1, size=(6, 28, 28, 1))
    titles = [f"true 3, pred {i}" for i in range(6)]
    path = plot_image_grid(
        images, tmp_path / "mis.png", titles=titles, columns=3, value_range=(-1.0, 1.0)
    )
    width, height = assert_png(path)
    assert width > height  # 3 columns x 2 rows


@pytest.mark.parametrize(
    "images, kwargs",
    [
        (np.zeros((0, 8, 8)), {}),
        (np.zeros((2, 8, 8, 4)), {}),
        (np.zeros((8, 8)), {}),
        (np.zeros((2, 8, 8)), {"titles": ["only one"]}),
        (np.zeros((2, 8, 8)), {"columns": 0}),
        (np.zeros((2, 8, 8)), {"value_range": (1.0, 1.0)}),
    ],
    ids=["empty", "four-channels", "single-image", "titles", "columns", "value-range"],
)
def test_image_grid_rejects_bad_input(tmp_path, images, kwargs):
    with pytest.raises(ValueError):
        plot_image_grid(images, tmp_path / "grid.png", **kwargs)
    assert not list(tmp_path.iterdir())


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, kerascli.visuals.plots; "
        "assert 'tensorflow' not in sys.modules; assert 'keras' not in sys.modules; "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)
