"""A backbone trained from `weights: null` with keras.applications' BatchNormalization momentum
(0.999) validates at chance while training accuracy climbs, and `train` says why in one line.

A real MobileNetV2 training: slow (`make test-all`). The note itself is checked fast in
tests/models/test_backbone_inputs.py, and `batchnorm_momentum` being set and saved there too.
The other half (momentum 0.9 validating well above chance) is not tested: at a size that trains
in minutes here (72 images, 72 steps of 8) momentum 0.9 still validated at 0.33-0.46 while
training accuracy reached 0.88; it needs the issue's few hundred steps.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.colour_images import write_colour_folders
from tests.conftest import write_config

runner = CliRunner()


def _train(tmp_path, photos, name: str, **backbone) -> tuple[str, dict]:
    layer = {"include_top": False, "weights": None, "alpha": 0.35, "pooling": "avg", **backbone}
    config = {
        "name": name,
        "seed": 5,
        "data": {
            "source": "images",
            "path": str(photos),
            "image_size": [32, 32],
        },
        "model": {
            "layers": [{"MobileNetV2": layer}, {"Dense": {"units": 3, "activation": "softmax"}}]
        },
        "compile": {
            "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"],
            "jit_compile": False,
        },
        "fit": {"epochs": 6, "batch_size": 8},
    }
    runs = tmp_path / "runs"
    result = runner.invoke(
        app,
        [
            "train",
            str(write_config(tmp_path / f"{name}.yaml", config)),
            "-q",
            "--runs-dir",
            str(runs),
        ],
    )
    assert result.exit_code == 0, result.output
    (run,) = runs.glob(f"{name}-*")
    return result.output, json.loads((run / "history.json").read_text())


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return write_colour_folders(
        tmp_path_factory.mktemp("photos"), per_class={"train": 24, "val": 8}
    )


@pytest.mark.slow
def test_default_momentum_validates_at_chance_and_train_says_why(tmp_path, photos):
    output, history = _train(tmp_path, photos, "default")
    assert history["val_accuracy"][-1] < 0.45  # chance is 1/3
    assert history["accuracy"][-1] > 0.67
    assert "note: validation accuracy" in output and "batchnorm_momentum: 0.9" in output
