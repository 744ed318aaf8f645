"""`fit.stages` and the backbone keys, refused with one line each before TensorFlow loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT, write_config


def staged_config(tmp_path, stages, layers=None, **fit) -> dict:
    (tmp_path / "photos" / "a").mkdir(parents=True, exist_ok=True)
    return {
        "name": "staged",
        "data": {"source": "images", "path": str(tmp_path / "photos"), "image_size": [32, 32]},
        "model": {
            "layers": layers
            or [
                {
                    "MobileNetV2": {
                        "include_top": False,
                        "weights": None,
                        "alpha": 0.35,
                        "pooling": "avg",
                        "name": "backbone",
                        "trainable": False,
                    }
                },
                {"Dense": {"units": 3, "activation": "softmax"}},
            ]
        },
        "compile": {"loss": "sparse_categorical_crossentropy"},
        "fit": {"stages": stages, **fit},
    }


DENSE_ONLY = [{"Flatten": {}}, {"Dense": {"units": 3}}]
TWO = [
    {"MobileNetV2": {"weights": None, "include_top": False, "alpha": 0.35, "pooling": "avg"}},
    {"Dense": {"units": 3}},
]

BAD_STAGES = [
    (
        [{"epochs": 1}, {"epochs": 2, "unfreeze": {"layer": "bakbone", "last": 3}}],
        None,
        {},
        "fit.stages[1].unfreeze.layer: no backbone 'bakbone' in model.layers "
        "(did you mean 'backbone'?)",
    ),
    (
        [{"epochs": 1}, {"unfreeze": {"all": True}}],
        None,
        {},
        "fit.stages[1].epochs: missing required key",
    ),
    (
        [{"epochs": 1}, {"epochs": 0, "unfreeze": {"all": True}}],
        None,
        {},
        "fit.stages[1].epochs: Input should be greater than 0",
    ),
    (
        [{"epochs": 1}, {"epochs": 2, "unfreeze": {"last": 3}}],
        DENSE_ONLY,
        {},
        "fit.stages[1].unfreeze: the model has no keras.applications backbone to unfreeze "
        "(put one in model.layers, e.g. - MobileNetV2: {include_top: false, weights: "
        "imagenet, pooling: avg, trainable: false})",
    ),
    (
        [{"epochs": 1}, {"epochs": 2, "unfreeze": {"layer": "backbone"}}],
        None,
        {},
        "fit.stages[1].unfreeze: give one of last: N, from: LAYER or all: true",
    ),
    (
        [{"epochs": 1}, {"epochs": 2, "unfreeze": {"last": 3, "all": True}}],
        None,
        {},
        "fit.stages[1].unfreeze: give one of last: N, from: LAYER or all: true",
    ),
    (
        [{"epochs": 1}, {"epochs": 2, "unfreeze": {"last": 3}}],
        [TWO[0], TWO[0], TWO[1]],
        {},
        "fit.stages[1].unfreeze: the model has 2 backbones (say which with layer: NAME)",
    ),
    (
        [{"epochs": 1}, {"epochs": 2, "learning_rate": 0}],
        None,
        {},
        "fit.stages[1].learning_rate: Input should be greater than 0",
    ),
    (
        [{"epochs": 1}, {"epochs": 2}],
        None,
        {"epochs": 4},
        "fit: fit.epochs is 4 but the stages add up to 3; leave fit.epochs out with stages",
    ),
    (
        [],
        None,
        {},
        "fit.stages: List should have at least 1 item after validation, not 0",
    ),
    (
        [{"epochs": 1, "callbacks": [{"EarlyStoping": {}}]}],
        None,
        {},
        "fit.stages[0].callbacks[0].EarlyStoping: unknown callback 'EarlyStoping' "
        "(did you mean 'EarlyStopping'?)",
    ),
]

BAD_BACKBONES = [
    ({"preprocess": "caffe"}, "model.layers[0].MobileNetV2.preprocess: must be auto or none"),
    (
        {"batchnorm_momentum": 1.5},
        "model.layers[0].MobileNetV2.batchnorm_momentum: must be a number between 0 and 1, "
        "got 1.5 (0.9 suits a backbone trained from weights: null)",
    ),
    (
        {"weights": "nowhere"},
        "model.layers[0].MobileNetV2.weights: no such weights file or run directory 'nowhere'",
    ),
]


def _message(tmp_path, config) -> str:
    """The one line `load_config` refuses the config with."""
    from kerascli.config.loading import load_config
    from kerascli.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path / "c.yaml", config))
    message = caught.value.format()
    assert "\n" not in message and not caught.value.others
    return message


def _validate(tmp_path, config):
    """`kerascli validate` in a child process that fails if TensorFlow was imported."""
    path = write_config(tmp_path / "c.yaml", config)
    code = (
        "import sys\n"
        "from kerascli.cli.main import app\n"
        "try:\n"
        f"    app(['validate', {str(path)!r}])\n"
        "except SystemExit as stop:\n"
        "    assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\n"
        "    raise\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


@pytest.mark.parametrize("stages, layers, fit, message", BAD_STAGES)
def test_bad_stages_are_one_line(tmp_path, stages, layers, fit, message):
    assert _message(tmp_path, staged_config(tmp_path, stages, layers, **fit)).endswith(message)


@pytest.mark.parametrize("args, message", BAD_BACKBONES)
def test_bad_backbone_keys_are_one_line(tmp_path, args, message):
    config = staged_config(tmp_path, [{"epochs": 1}])
    config["model"]["layers"][0]["MobileNetV2"].update(args)
    assert message in _message(tmp_path, config)


def test_validate_refuses_a_bad_stage_before_tensorflow(tmp_path):
    stages, layers, fit, message = BAD_STAGES[0]
    result = _validate(tmp_path, staged_config(tmp_path, stages, layers, **fit))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert lines[0].endswith(message), lines[0]


def test_stages_in_a_gan_config_are_refused(tmp_path):
    config = {
        "data": {"source": "mnist"},
        "gan": {
            "generator": [{"Dense": {"units": 784}}],
            "discriminator": [{"Dense": {"units": 1}}],
        },
        "fit": {"stages": [{"epochs": 1}]},
    }
    result = _validate(tmp_path, config)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "fit.stages: is not used by kerascli gan (a GAN trains both networks in one phase; "
        "remove it)"
    ), result.stderr


def test_fit_epochs_is_the_stages_sum(tmp_path):
    from kerascli.config.loading import load_config

    config = staged_config(tmp_path, [{"epochs": 2}, {"epochs": 3, "unfreeze": {"from": "x"}}])
    loaded = load_config(write_config(tmp_path / "c.yaml", config))
    assert loaded.fit.epochs == 5
    assert loaded.fit.stage_spans() == [(0, 2), (2, 5)]
    # The resolved config keeps `from` (a Python keyword) as written, and loads again.
    assert "unfreeze: {from: x}" in loaded.to_yaml()
    (tmp_path / "again.yaml").write_text(loaded.to_yaml())
    assert load_config(tmp_path / "again.yaml") == loaded
