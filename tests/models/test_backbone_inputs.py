"""A backbone's own input scaling inside the model, and BatchNormalization momentum."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from kerascli.config.loading import load_config
from kerascli.models.backbone_inputs import preprocess_layer, scaling_lines
from kerascli.models.layers import build_model
from kerascli.training.diagnosis import chance_note
from tests.conftest import write_config

FAMILIES = [
    ("MobileNetV2", "Rescaling"),
    ("ResNet50", "Dense"),
    ("EfficientNetB0", None),
    ("InceptionV3", "Rescaling"),
    ("ConvNeXtTiny", None),
    ("VGG16", "Dense"),
    ("DenseNet121", "Rescaling"),
]


@pytest.mark.parametrize("family, kind", FAMILIES)
def test_layer_equals_the_family_preprocess_input(family, kind):
    import keras

    module = importlib.import_module(getattr(keras.applications, family).__module__)
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 9, 9, 3)).astype("float32")
    expected = np.asarray(module.preprocess_input(pixels.copy()))
    layer = preprocess_layer(family, "features", 3)
    assert (type(layer).__name__ if layer is not None else None) == kind
    got = pixels if layer is None else np.asarray(layer(pixels))
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)


def _config(tmp_path, **backbone):
    args = {"include_top": False, "alpha": 0.35, "pooling": "avg", "name": "features", **backbone}
    config = {
        "data": {
            "source": "images",
            "path": str(tmp_path),
            "image_size": [32, 32],
            "preprocess": {"scale": 255},
        },
        "model": {"layers": [{"MobileNetV2": args}, {"Dense": {"units": 2}}]},
        "compile": {"loss": "mse"},
    }
    return load_config(write_config(tmp_path / "c.yaml", config))


def test_a_backbone_with_weights_scales_its_input_inside_the_model(tmp_path):
    import keras

    donor = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35, pooling="avg"
    )
    donor.save_weights(tmp_path / "donor.weights.h5")
    config = _config(tmp_path, weights=str(tmp_path / "donor.weights.h5"))
    model = build_model(config.model, (32, 32, 3))
    assert [layer.name for layer in model.layers[:2]] == ["features_preprocess", "features"]
    assert scaling_lines(model, config.data.preprocess) == [
        "backbone features: scales [0, 255] pixels to [-1, 1]",
        "warning: backbone features expects pixels in [0, 255] but data.preprocess already "
        "rescales them (remove data.preprocess.scale/range, or give the backbone "
        "preprocess: none)",
    ]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    pixels = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(pixels, verbose=0), model.predict(pixels, verbose=0))

    off = build_model(
        _config(tmp_path, weights=str(tmp_path / "donor.weights.h5"), preprocess="none").model,
        (32, 32, 3),
    )
    assert off.layers[0].name == "features"
    null = build_model(_config(tmp_path, weights=None).model, (32, 32, 3))
    assert null.layers[0].name == "features"  # random weights expect no particular scaling


def test_batchnorm_momentum_is_set_on_every_layer_and_saved(tmp_path):
    import keras

    model = build_model(_config(tmp_path, weights=None, batchnorm_momentum=0.9).model, (32, 32, 3))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    norms = [
        layer
        for layer in loaded.get_layer("features").layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert len(norms) > 10 and {layer.momentum for layer in norms} == {0.9}


@pytest.mark.parametrize(
    "history, classes, batchnorm, expected",
    [
        (
            {"accuracy": [0.5, 0.86], "val_accuracy": [0.2, 0.21]},
            5,
            True,
            "note: validation accuracy 0.21 is near chance (0.20) while training accuracy is "
            "0.86; the model's BatchNormalization moving statistics are a likely cause "
            "(keras.applications set momentum 0.99-0.999, too slow for a short run from "
            "weights: null): give the backbone batchnorm_momentum: 0.9",
        ),
        (
            {"accuracy": [0.9], "val_accuracy": [0.5]},
            2,
            False,
            "note: validation accuracy 0.50 is near chance (0.50) while training accuracy is "
            "0.90; the validation data may differ from the training data, or the model overfits",
        ),
        ({"accuracy": [0.86], "val_accuracy": [0.82]}, 5, True, None),
        ({"accuracy": [0.3], "val_accuracy": [0.2]}, 5, True, None),
        ({"loss": [0.3], "val_loss": [0.2]}, 5, True, None),
        ({"accuracy": [0.9], "val_accuracy": [0.2]}, None, True, None),
    ],
)
def test_chance_level_note(history, classes, batchnorm, expected):
    assert chance_note(history, classes, batchnorm) == expected
