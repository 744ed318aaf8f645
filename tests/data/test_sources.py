"""Data sources: built-in resolution order, IDX paths, npz archives, limits."""

from __future__ import annotations

import numpy as np
import pytest

from kerascli.config.schema import DataConfig
from kerascli.data.builtin import builtin_candidates
from kerascli.data.idx import write_idx
from kerascli.data.sources import load_splits
from kerascli.errors import DataError
from tests.conftest import MNIST_DIR


def fake_mnist_dir(directory, train=12, test=5, compress=True):
    directory.mkdir(parents=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    write_idx(
        directory / f"train-images-idx3-ubyte{suffix}",
        rng.integers(0, 255, (train, 28, 28), dtype=np.uint8),
    )
    write_idx(
        directory / f"train-labels-idx1-ubyte{suffix}", rng.integers(0, 10, train, dtype=np.uint8)
    )
    write_idx(
        directory / f"t10k-images-idx3-ubyte{suffix}",
        rng.integers(0, 255, (test, 28, 28), dtype=np.uint8),
    )
    write_idx(
        directory / f"t10k-labels-idx1-ubyte{suffix}", rng.integers(0, 10, test, dtype=np.uint8)
    )
    return directory


def test_project_copy_of_mnist_is_found_offline(monkeypatch):
    monkeypatch.chdir(MNIST_DIR.parents[1])
    monkeypatch.delenv("KERASCLI_DATA", raising=False)
    splits = load_splits(DataConfig(source="mnist", limit={"train": 100, "test": 10}))
    assert splits.x_train.shape == (100, 28, 28) and splits.x_train.dtype == np.uint8
    assert splits.x_test.shape == (10, 28, 28)
    assert splits.y_test[0] == 7
    assert splits.origin == "data/mnist"


def test_explicit_path_comes_before_the_environment(tmp_path, monkeypatch):
    fake_mnist_dir(tmp_path / "explicit", train=3, compress=False)
    fake_mnist_dir(tmp_path / "env" / "fashion_mnist", train=4)
    monkeypatch.setenv("KERASCLI_DATA", str(tmp_path / "env"))
    monkeypatch.chdir(tmp_path)
    assert (
        len(
            load_splits(DataConfig(source="fashion_mnist", path=str(tmp_path / "explicit"))).x_train
        )
        == 3
    )
    assert len(load_splits(DataConfig(source="fashion_mnist")).x_train) == 4


def test_candidate_order_matches_the_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCLI_DATA", "/env")
    places = [str(p) for p in builtin_candidates("mnist", "/explicit")]
    assert places[:3] == ["/explicit", "/env/mnist", "data/mnist"]
    assert places[3].endswith(".keras/datasets/mnist.npz")


def test_npz_source(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x_train=np.zeros((6, 4), np.float32),
        y_train=np.arange(6) % 2,
        x_test=np.ones((2, 4), np.float32),
        y_test=np.array([0, 1]),
    )
    splits = load_splits(DataConfig(source="npz", path=str(path)))
    assert splits.x_train.shape == (6, 4) and splits.x_test.shape == (2, 4)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: np.savez(p, x=np.zeros(3)), "the archive has no x_train, y_train"),
        (lambda p: p.write_bytes(b"not a zip"), "not a readable .npz archive"),
        (
            lambda p: np.savez(p, x_train=np.zeros((3, 2)), y_train=np.zeros(4)),
            "3 images but 4 labels",
        ),
        (
            lambda p: np.savez(p, x_train=np.array([object()], dtype=object), y_train=np.zeros(1)),
            "not a readable .npz archive",
        ),
        (lambda p: None, "file not found"),
    ],
)
def test_bad_npz_archives(tmp_path, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(DataError, match=message):
        load_splits(DataConfig(source="npz", path=str(path)))


def test_idx_source_with_mismatched_counts(tmp_path):
    write_idx(tmp_path / "x.idx", np.zeros((5, 2, 2), np.uint8))
    write_idx(tmp_path / "y.idx", np.zeros(4, np.uint8))
    config = DataConfig(
        source="idx", train={"images": str(tmp_path / "x.idx"), "labels": str(tmp_path / "y.idx")}
    )
    with pytest.raises(DataError, match="5 images but 4 labels"):
        load_splits(config)


def test_offline_and_missing_names_every_place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERASCLI_DATA", str(tmp_path / "nothing"))
    # Point Keras' download at a closed local port so the test never touches the network.
    import keras

    def refuse(*args, **kwargs):
        raise Exception("URL fetch failure: connection refused")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", refuse)
    with pytest.raises(DataError) as caught:
        load_splits(DataConfig(source="fashion_mnist"))
    message = caught.value.format()
    assert "download failed" in message
    for place in ("nothing/fashion_mnist", "data/fashion_mnist", ".keras/datasets/fashion-mnist"):
        assert place in message


@pytest.mark.parametrize(
    "source, shape", [("mnist", (28, 28)), ("fashion_mnist", (28, 28)), ("cifar10", (32, 32, 3))]
)
def test_example_shape_of_builtin_datasets_reads_nothing(tmp_path, monkeypatch, source, shape):
    from kerascli.data.sources import example_shape

    monkeypatch.setenv("HOME", str(tmp_path))  # no dataset anywhere: nothing may be read
    monkeypatch.chdir(tmp_path)
    assert example_shape(DataConfig(source=source)) == shape


def test_example_shape_of_idx_and_npz_files(tmp_path):
    from kerascli.data.sources import example_shape

    write_idx(tmp_path / "x.idx", np.zeros((3, 5, 7), np.uint8))
    write_idx(tmp_path / "y.idx", np.zeros(3, np.uint8))
    idx = DataConfig.model_validate(
        {
            "source": "idx",
            "train": {"images": str(tmp_path / "x.idx"), "labels": str(tmp_path / "y.idx")},
        }
    )
    assert example_shape(idx) == (5, 7)
    np.savez(tmp_path / "d.npz", x_train=np.zeros((2, 9)), y_train=np.zeros(2))
    npz = DataConfig.model_validate({"source": "npz", "path": str(tmp_path / "d.npz")})
    assert example_shape(npz) == (9,)
