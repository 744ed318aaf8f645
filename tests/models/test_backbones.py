"""`keras.applications` models in a layer stack: built, frozen, trained, saved and reloaded.

MobileNetV2 at alpha 0.35 on 32x32 images (its smallest input) keeps each build under a second.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import ROOT, write_config
from tests.data.test_image_folders import write_images

runner = CliRunner()
BACKBONE = {
    "MobileNetV2": {
        "include_top": False,
        "weights": None,
        "pooling": "avg",
        "alpha": 0.35,
        "trainable": False,
    }
}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def backbone_config(path, layers=None, **model) -> dict:
    return {
        "name": "backbone",
        "seed": 1,
        "data": {
            "source": "images",
            "path": str(path),
            "image_size": [32, 32],
            "preprocess": {"range": [-1, 1]},
        },
        "model": {
            "layers": layers or [BACKBONE, {"Dense": {"units": 3, "activation": "softmax"}}],
            **model,
        },
        "compile": {
            "optimizer": "adam",
            "loss": "sparse_categorical_crossentropy",
            "jit_compile": False,  # XLA compiling MobileNetV2 takes longer than the fit
            "metrics": ["accuracy"],
        },
        "fit": {"epochs": 1, "batch_size": 8},
    }


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    base = tmp_path_factory.mktemp("photos")
    write_images(base / "train", 3)
    write_images(base / "test", 1, seed=1)
    return base


def _train(tmp_path, config: dict):
    result = invoke(
        "train",
        write_config(tmp_path / "c.yaml", config),
        "--runs-dir",
        tmp_path / "runs",
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    return next((tmp_path / "runs").iterdir())


def test_frozen_backbone_trains_and_reloads_safely(tmp_path, photos):
    from kerascli.models.loading import load_model
    from kerascli.runs.saved import open_run

    run_dir = _train(tmp_path, backbone_config(photos))
    model = load_model(open_run(run_dir))  # safe_mode=True
    backbone = model.layers[0]
    assert backbone.name.startswith("mobilenetv2") and not backbone.trainable
    head = model.layers[-1]
    assert len(model.trainable_weights) == 2  # the Dense head's kernel and bias only
    assert {id(w) for w in model.trainable_weights} == {id(w) for w in head.trainable_weights}
    assert len(backbone.weights) > 100


def test_backbone_in_a_functional_model_loads_a_weights_file(tmp_path, photos):
    """Built as `train` builds it (tracing a fit of MobileNetV2 again would add 15 s)."""
    import keras

    from kerascli.config.loading import load_config
    from kerascli.models.layers import build_model

    donor = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35, pooling="avg"
    )
    donor.save_weights(tmp_path / "donor.weights.h5")
    args = dict(
        BACKBONE["MobileNetV2"],
        weights=str(tmp_path / "donor.weights.h5"),
        name="features",
        inputs="image",
    )
    config = backbone_config(
        photos,
        layers=[
            {"MobileNetV2": args},
            {"Dense": {"units": 3, "activation": "softmax", "name": "out"}},
        ],
        inputs={"image": [32, 32, 3]},
    )
    model = build_model(load_config(write_config(tmp_path / "c.yaml", config)).model)
    features = model.get_layer("features")
    assert not features.trainable and model.output.shape == (None, 3)
    assert len(features.weights) == len(donor.weights)
    for loaded, given in zip(features.weights, donor.weights):
        np.testing.assert_array_equal(loaded.numpy(), given.numpy())


def test_imagenet_weights_offline_name_the_file_and_folder(tmp_path, photos):
    """Run in a child process: Keras reads KERAS_HOME once, when it is imported."""
    config = backbone_config(photos)
    config["model"]["layers"][0]["MobileNetV2"]["weights"] = "imagenet"
    path = write_config(tmp_path / "c.yaml", config)
    env = {
        **os.environ,
        "KERAS_HOME": str(tmp_path / "keras"),
        "PYTHONPATH": str(ROOT),
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [sys.executable, "-m", "kerascli", "validate", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == [line for line in result.stderr.splitlines() if line.strip()][-1:]
    assert lines[0].startswith(
        f"error: model.layers[0].MobileNetV2.weights: the ImageNet "
        f"weights file {name} is not in the Keras cache and could not be "
        "downloaded ("
    )
    assert lines[0].endswith(
        f"(put {name} in {tmp_path / 'keras' / 'models'}, or use weights: "
        "null or a local weights file)"
    )


@pytest.mark.parametrize(
    "layer, message",
    [
        (
            {"MobileNetV3": {}},
            "model.layers[0].MobileNetV3: unknown layer 'MobileNetV3' (did you mean "
            "'MobileNetV2'?)",
        ),
        (
            {"MobileNetV2": {"weights": "missing.h5"}},
            "model.layers[0].MobileNetV2.weights: no such weights file or run directory "
            "'missing.h5'",
        ),
        (
            {"MobileNetV2": {"weights": 3}},
            "model.layers[0].MobileNetV2.weights: must be null, imagenet, a weights file or a "
            "run directory, got 3",
        ),
        (
            {"MobileNetV2": {"trainable": "no"}},
            "model.layers[0].MobileNetV2.trainable: must be true or false",
        ),
        (
            {"MobileNetV2": {"input_tensor": "x"}},
            "model.layers[0].MobileNetV2.input_tensor: is set by kerascli",
        ),
    ],
)
def test_bad_backbone_specs(tmp_path, photos, layer, message):
    config = backbone_config(photos, layers=[layer, {"Dense": {"units": 3}}])
    result = invoke("validate", write_config(tmp_path / "c.yaml", config))
    assert result.exit_code == 2
    assert message in result.stderr, result.stderr


def test_keras_refusal_of_a_backbone_is_one_line(tmp_path, photos):
    config = backbone_config(photos)
    config["data"]["image_size"] = [16, 16]  # MobileNetV2 takes 32x32 at least
    result = invoke("validate", write_config(tmp_path / "c.yaml", config))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: model.layers[0].MobileNetV2: ")
    assert "32" in result.stderr and len(result.stderr.splitlines()) == 1


def test_backbone_names_are_checked_without_tensorflow(tmp_path, photos):
    config = write_config(tmp_path / "c.yaml", backbone_config(photos))
    code = (
        "import sys; from kerascli.config.loading import load_config; "
        f"load_config({str(config)!r}); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
