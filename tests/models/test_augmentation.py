"""`data.augment` recipes: RandAugment, MixUp and CutMix change training batches only."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.schema import CompileConfig
from kerascli.data.pipeline import make_dataset
from kerascli.models.augmentation import mixes_labels, one_hot_compile
from kerascli.models.layers import build_augmentation
from tests.colour_images import write_colour_folders
from tests.conftest import write_config

runner = CliRunner()


def _batches(x, y, augment=None):
    dataset = make_dataset(x, y, batch_size=8, shuffle=False, augment=augment)
    return [(np.asarray(bx), np.asarray(by)) for bx, by in dataset]


@pytest.mark.parametrize(
    "specs, labels_change",
    [
        ([{"RandAugment": {"value_range": [0, 255], "seed": 1}}], False),
        ([{"MixUp": {"alpha": 0.4, "seed": 1}}], True),
        ([{"CutMix": {"seed": 1}}], True),
        ([{"RandomFlip": {"seed": 1}}, {"MixUp": {"seed": 2}}], True),
    ],
)
def test_recipes_change_training_batches_only(specs, labels_change):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (16, 12, 12, 3)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 16)]
    augment = build_augmentation(specs)
    plain, trained = _batches(x, y), _batches(x, y, augment)
    assert not all(np.allclose(a[0], b[0]) for a, b in zip(plain, trained))  # images change
    changed = not all(np.allclose(a[1], b[1]) for a, b in zip(plain, trained))
    assert changed == labels_change
    for _, labels in trained:  # mixed labels are still distributions over the classes
        np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
    # Validation and test batches are built without the augmentation: exactly the data.
    for (bx, by), start in zip(plain, range(0, 16, 8)):
        np.testing.assert_array_equal(bx, x[start : start + 8])
        np.testing.assert_array_equal(by, y[start : start + 8])


def test_sparse_losses_and_metrics_get_their_one_hot_twins():
    config = CompileConfig(
        loss={"SparseCategoricalCrossentropy": {"from_logits": True}},
        metrics=["accuracy", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy"],
    )
    swapped = one_hot_compile(config)
    assert swapped.loss == {"CategoricalCrossentropy": {"from_logits": True}}
    assert swapped.metrics == ["accuracy", "categorical_accuracy", "top_k_categorical_accuracy"]
    assert one_hot_compile(CompileConfig(loss="mse")).loss == "mse"
    assert mixes_labels(["RandomFlip", {"CutMix": {}}]) and not mixes_labels(["RandAugment"])


def test_mixup_trains_with_sparse_labels_and_evaluates_as_compiled(tmp_path):
    photos = write_colour_folders(tmp_path / "photos", per_class={"train": 12, "test": 4}, size=12)
    config = {
        "name": "mixup",
        "seed": 1,
        "data": {
            "source": "images",
            "path": str(photos),
            "image_size": [12, 12],
            "preprocess": {"scale": 255},
            "augment": [{"RandomFlip": {"mode": "horizontal"}}, {"MixUp": {"alpha": 0.2}}],
        },
        "model": {
            "layers": [
                {"Conv2D": {"filters": 4, "kernel_size": 3, "activation": "relu"}},
                "GlobalAveragePooling2D",
                {"Dense": {"units": 3, "activation": "softmax"}},
            ]
        },
        "compile": {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
        "fit": {"epochs": 2, "batch_size": 8},
    }
    result = runner.invoke(
        app,
        [
            "train",
            str(write_config(tmp_path / "c.yaml", config)),
            "-q",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "test: loss" in result.output
    (run,) = list((tmp_path / "runs").iterdir())
    evaluated = runner.invoke(app, ["evaluate", str(run)])  # sparse labels, as the config says
    assert evaluated.exit_code == 0, evaluated.output
