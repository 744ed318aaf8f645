"""Shared fixtures: small real-MNIST configs and an isolated runs directory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = ROOT / "data" / "mnist"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def tiny_config(**sections) -> dict:
    """A real MNIST config small enough to train in seconds: a slice of the data, a small MLP."""
    config = {
        "name": "tiny",
        "seed": 1,
        "data": {
            "source": "idx",
            "train": {
                "images": str(MNIST_DIR / "t10k-images-idx3-ubyte.gz"),
                "labels": str(MNIST_DIR / "t10k-labels-idx1-ubyte.gz"),
            },
            "test": {
                "images": str(MNIST_DIR / "t10k-images-idx3-ubyte.gz"),
                "labels": str(MNIST_DIR / "t10k-labels-idx1-ubyte.gz"),
            },
            "limit": {"train": 1500, "test": 300},
            "validation": {"split": 0.2},
            "preprocess": {"reshape": [28, 28, 1], "scale": 255, "one_hot": 10},
        },
        "model": {
            "input_shape": [28, 28, 1],
            "layers": [
                "Flatten",
                {"Dense": {"units": 32, "activation": "relu"}},
                {"Dense": {"units": 10, "activation": "softmax"}},
            ],
        },
        "compile": {
            "optimizer": "adam",
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": 2, "batch_size": 64},
    }
    for key, value in sections.items():
        config[key] = value
    return config


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def train_tiny_run(base: Path) -> Path:
    """Trains an MLP for one epoch on 300 MNIST digits (in-process); returns its run directory."""
    import io

    from rich.console import Console

    from kerascli.commands.train import train
    from kerascli.config.loading import load_config

    config = tiny_config(name="tiny")
    config["data"]["limit"] = {"train": 300, "test": 50}
    config["fit"] = {"epochs": 1, "batch_size": 64}
    result = train(
        load_config(write_config(base / "tiny.yaml", config)),
        runs_dir=base / "runs",
        quiet=True,
        console=Console(file=io.StringIO()),
    )
    return result.run_dir


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """An empty runs directory, also set as $KERASCLI_RUNS."""
    directory = tmp_path / "runs"
    monkeypatch.setenv("KERASCLI_RUNS", str(directory))
    return directory


def write_digit_pngs(folder: Path, count: int) -> tuple[list[Path], np.ndarray]:
    """The first `count` MNIST test digits as 28x28 PNG files in `folder`; returns the files and
    their labels."""
    from PIL import Image

    from kerascli.data.idx import read_idx

    folder.mkdir(parents=True, exist_ok=True)
    digits = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[:count]
    files = []
    for index, digit in enumerate(digits):
        files.append(folder / f"{index:05d}.png")
        Image.fromarray(digit).save(files[-1])
    return files, read_idx(MNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:count]
