"""Tests for loading experiment configs: every bad config is one `ConfigError` line saying where.

Real files in `tmp_path`, real `--set` overrides, no mocks. Config loading never imports
TensorFlow, so these tests are fast; the subprocess tests check that it stays that way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascli.config.keys import format_key_path
from kerascli.config.loading import load_config, validate_data
from kerascli.config.overrides import apply_overrides
from kerascli.config.schema import ExperimentConfig
from kerascli.config.yaml_source import parse_yaml
from kerascli.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))

# The tutorial CNN, as in configs/mnist_cnn.yaml (without comments, so that needles are unique).
BASE = """\
name: mnist_cnn
seed: 42
data:
  source: mnist
  validation: {split: 0.1}
  preprocess:
    reshape: [28, 28, 1]
    scale: 255
    one_hot: 10
model:
  input_shape: [28, 28, 1]
  layers:
    - Conv2D: {filters: 16, kernel_size: 3, activation: relu}
    - MaxPooling2D: {pool_size: 2}
    - Flatten: {}
    - Dense: {units: 128, activation: relu}
    - Dense: {units: 10, activation: softmax}
compile:
  optimizer: adam
  loss: categorical_crossentropy
  metrics: [accuracy]
fit:
  epochs: 5
  batch_size: 128
  callbacks:
    - EarlyStopping: {monitor: val_loss, patience: 2, restore_best_weights: true}
"""

# A Functional model with two inputs, as in configs/mnist_two_inputs.yaml.
FUNCTIONAL = """\
name: two_inputs
seed: 3
data:
  source: mnist
  preprocess: {reshape: [28, 28, 1], scale: 255, one_hot: 10}
model:
  inputs:
    image: [28, 28, 1]
    pixels: [784]
  layers:
    - Conv2D: {filters: 16, kernel_size: 3, activation: relu, inputs: image}
    - MaxPooling2D: {pool_size: 2}
    - Flatten: {name: conv_features}
    - Dense: {units: 64, activation: relu, name: pixel_features, inputs: pixels}
    - Concatenate: {inputs: [conv_features, pixel_features]}
    - Dense: {units: 10, activation: softmax, name: digit}
  outputs: [digit]
compile:
  optimizer: adam
  loss: categorical_crossentropy
  metrics: [accuracy]
"""


def edit(old: str, new: str, base: str = BASE) -> str:
    """Replaces the one occurrence of `old` in `base` with `new`."""
    assert base.count(old) == 1, f"{old!r} occurs {base.count(old)} times"
    return base.replace(old, new)


def position(text: str, needle: str) -> tuple[int, int]:
    """The 1-based (line, column) of the first occurrence of `needle` in `text`."""
    assert needle in text, needle
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def write(tmp_path: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, overrides=(), require: str = "model") -> ConfigError:
    """Loads `path` expecting a ConfigError; checks that every reported problem is one line."""
    with pytest.raises(ConfigError) as caught:
        load_config(path, list(overrides), require=require)
    error = caught.value
    assert type(error) is ConfigError
    for problem in [error, *error.others]:
        message = problem.format()
        assert message and "\n" not in message and "\r" not in message
        assert "Traceback" not in message
    return error


def test_base_configs_are_valid(tmp_path):
    config = load_config(write(tmp_path, BASE))
    assert isinstance(config, ExperimentConfig)
    assert config.fit.epochs == 5 and config.model.input_shape == [28, 28, 1]
    functional = load_config(write(tmp_path, FUNCTIONAL, "f.yaml"))
    assert functional.model.functional and functional.model.outputs == ["digit"]


# --------------------------------------------------------------------------------------------
# Bad files: (text, fragments the message must hold, needle whose line:column the message must
# start with, or None when the message names only the file)

FILE_CASES = [
    pytest.param(
        edit("model:", "modle:"),
        ["modle: unknown key 'modle'", "(did you mean 'model'?)"],
        "modle:",
        id="misspelt-section",
    ),
    pytest.param(
        BASE + "fitt:\n  epochs: 1\n",
        ["unknown key 'fitt'", "did you mean 'fit'?"],
        "fitt:",
        id="unknown-top-level-section",
    ),
    pytest.param(
        edit("epochs: 5", "epoch: 5"),
        ["fit.epoch: unknown key 'epoch'", "(did you mean 'epochs'?)"],
        "epoch:",
        id="misspelt-key",
    ),
    pytest.param(
        edit("batch_size: 128", "batchsize: 128"),
        ["did you mean 'batch_size'?"],
        "batchsize",
        id="misspelt-key-no-underscore",
    ),
    pytest.param(
        edit("scale: 255", "scael: 255"),
        ["data.preprocess.scael: unknown key", "did you mean 'scale'?"],
        "scael",
        id="misspelt-nested-key",
    ),
    pytest.param(
        edit("epochs: 5", "epochs: yes"),
        ["fit.epochs: Input should be a valid integer", "(yes/no/true/false are booleans in YAML)"],
        "epochs:",
        id="epochs-yes",
    ),
    pytest.param(
        edit("epochs: 5", "epochs: 1.5"),
        ["fit.epochs: Input should be a valid integer", "got float 1.5"],
        "epochs:",
        id="epochs-float",
    ),
    pytest.param(
        edit("epochs: 5", "epochs: -1"),
        ["fit.epochs: Input should be greater than 0"],
        "epochs:",
        id="epochs-negative",
    ),
    pytest.param(
        edit("epochs: 5", "epochs: 0"),
        ["fit.epochs: Input should be greater than 0"],
        "epochs:",
        id="epochs-zero",
    ),
    pytest.param(
        edit("epochs: 5", 'epochs: "3"'),
        ["fit.epochs: Input should be a valid integer"],
        "epochs:",
        id="epochs-quoted-string",
    ),
    pytest.param(
        edit("epochs: 5", "epochs: [5]"),
        ["fit.epochs: Input should be a valid integer", "got list"],
        "epochs:",
        id="epochs-list",
    ),
    pytest.param(
        edit("optimizer: adam", "optimizer: {Adam: {learning_rate: 1e-3}}"),
        [
            "compile.optimizer.Adam.learning_rate: '1e-3' is a string, not a number",
            "YAML 1.1 reads 1e-3 as a string",
        ],
        "learning_rate",
        id="learning-rate-1e-3",
    ),
    pytest.param(
        edit("scale: 255", "scale: 255e0"),
        ["data.preprocess.scale: Input should be a valid number", "YAML 1.1"],
        "scale",
        id="scale-exponent-string",
    ),
    pytest.param(
        edit("scale: 255", "scale: .nan"),
        ["data.preprocess.scale: nan is not a finite number"],
        "scale",
        id="nan",
    ),
    pytest.param(
        edit("scale: 255", "scale: .inf"),
        ["data.preprocess.scale: inf is not a finite number"],
        "scale",
        id="inf",
    ),
    pytest.param(
        edit("scale: 255", "scale: -.Inf"), ["-inf is not a finite number"], "scale", id="minus-inf"
    ),
    pytest.param(
        edit("patience: 2", "patience: .NaN"),
        ["fit.callbacks[0].EarlyStopping.patience: nan is not a finite number"],
        "patience",
        id="nan-in-callback",
    ),
    pytest.param(
        edit("optimizer: adam", "optimizer: {Adam: {learning_rate: .inf}}"),
        ["compile.optimizer.Adam.learning_rate: inf is not a finite number"],
        "learning_rate",
        id="inf-in-optimizer",
    ),
    pytest.param(
        edit("reshape: [28, 28, 1]", "reshape: [28, .nan, 1]"),
        ["data.preprocess.reshape[1]: nan is not a finite number"],
        ".nan",
        id="nan-in-list",
    ),
    pytest.param(
        edit("units: 128,", "units: 128, kernel_initializer: {RandomNormal: {stddev: .inf}},"),
        ["model.layers[3].Dense.kernel_initializer.RandomNormal.stddev: inf"],
        "stddev",
        id="inf-deep-in-a-layer",
    ),
    pytest.param(
        edit("source: mnist", "source: mnsit"),
        [
            "data.source: Input should be 'mnist', 'fashion_mnist', 'cifar10', 'idx', "
            "'npz', 'images', 'csv' or 'text'",
            "(did you mean 'mnist'?)",
        ],
        "source",
        id="unknown-source",
    ),
    pytest.param(
        edit("source: mnist", "source: fashion-mnist"),
        ["did you mean 'fashion_mnist'?"],
        "source",
        id="source-dash",
    ),
    pytest.param(
        edit("source: mnist", "source: idx"),
        ["data: source idx needs train"],
        "data:",
        id="idx-without-train",
    ),
    pytest.param(
        edit("{split: 0.1}", "{split: 0.1, first: 1000}"),
        ["data.validation: give exactly one of split, first, or images with labels"],
        "validation",
        id="validation-split-and-first",
    ),
    pytest.param(
        edit("{split: 0.1}", "{images: v.gz}"),
        ["data.validation: images and labels go together"],
        "validation",
        id="validation-images-without-labels",
    ),
    pytest.param(
        edit("{split: 0.1}", "{split: 1.5}"),
        ["data.validation.split: Input should be less than 1"],
        "split",
        id="split-above-1",
    ),
    pytest.param(
        edit("{split: 0.1}", "{split: 1.0}"), ["Input should be less than 1"], "split", id="split-1"
    ),
    pytest.param(
        edit("{split: 0.1}", "{split: 0}"),
        ["data.validation.split: Input should be greater than 0"],
        "split",
        id="split-0",
    ),
    pytest.param(
        edit("{split: 0.1}", "{first: 0}"),
        ["data.validation.first: Input should be greater than 0"],
        "first",
        id="first-0",
    ),
    pytest.param(
        edit("reshape: [28, 28, 1]", "reshape: [28, 0, 1]"),
        ["data.preprocess.reshape: dimensions must be positive (or -1 once)"],
        "reshape",
        id="reshape-0",
    ),
    pytest.param(
        edit("reshape: [28, 28, 1]", "reshape: [-1, -1]"),
        ["only one dimension may be -1"],
        "reshape",
        id="reshape-two-minus-1",
    ),
    pytest.param(
        edit("reshape: [28, 28, 1]", "reshape: []"),
        ["dimensions must be positive"],
        "reshape",
        id="reshape-empty",
    ),
    pytest.param(
        edit("scale: 255", "range: [1, -1]"),
        ["data.preprocess.range: range must be [low, high] with low < high"],
        "range",
        id="range-not-ordered",
    ),
    pytest.param(edit("scale: 255", "range: [0, 0]"), ["low < high"], "range", id="range-equal"),
    pytest.param(
        edit("scale: 255", "range: [-1, 0, 1]"),
        ["data.preprocess.range: List should have at most 2 items"],
        "range",
        id="range-three-values",
    ),
    pytest.param(
        edit("scale: 255", "scale: 0"),
        ["data.preprocess.scale: Input should be greater than 0"],
        "scale",
        id="scale-0",
    ),
    pytest.param(
        edit("one_hot: 10", "one_hot: 1"),
        ["data.preprocess.one_hot: Input should be greater than or equal to 2"],
        "one_hot",
        id="one-hot-1",
    ),
    pytest.param(
        edit("name: mnist_cnn", "name: runs/mnist"),
        ["name: String should match pattern"],
        "name:",
        id="name-with-slash",
    ),
    pytest.param(
        edit("name: mnist_cnn", "name: '..'"),
        ["name: String should match pattern"],
        "name:",
        id="name-dot-dot",
    ),
    pytest.param(
        edit("name: mnist_cnn", "name: ../escape"),
        ["String should match pattern"],
        "name:",
        id="name-parent-path",
    ),
    pytest.param(
        edit("name: mnist_cnn", "name: ''"),
        ["String should match pattern"],
        "name:",
        id="name-empty",
    ),
    pytest.param(
        edit("name: mnist_cnn", "name: 42"),
        ["name: Input should be a valid string", "got int 42"],
        "name:",
        id="name-int",
    ),
    pytest.param(
        edit("seed: 42", "seed: -1"),
        ["seed: Input should be greater than or equal to 0"],
        "seed",
        id="seed-negative",
    ),
    pytest.param(
        edit(
            "  input_shape: [28, 28, 1]\n",
            "  input_shape: [28, 28, 1]\n  inputs: {image: [28, 28, 1]}\n",
        ),
        ["model: give input_shape (Sequential) or inputs (Functional), not both"],
        "model:",
        id="input-shape-and-inputs",
    ),
    pytest.param(
        edit("  input_shape: [28, 28, 1]\n", ""),
        ["model: give input_shape (Sequential) or inputs (Functional)"],
        "model:",
        id="neither-input-shape-nor-inputs",
    ),
    pytest.param(
        edit("input_shape: [28, 28, 1]", "input_shape: [28, 0, 1]"),
        ["model: input dimensions must be positive"],
        "model:",
        id="input-shape-0",
    ),
    pytest.param(
        edit("  layers:\n", "  outputs: [x]\n  layers:\n"),
        ["model: outputs is for Functional models"],
        "model:",
        id="outputs-in-sequential",
    ),
    pytest.param(
        edit(
            "kernel_size: 3, activation: relu}", "kernel_size: 3, activation: relu, inputs: image}"
        ),
        ["model.layers[0]: inputs wires Functional models", "give the model inputs"],
        "Conv2D",
        id="sequential-layer-with-inputs",
    ),
    pytest.param(
        edit("    - Dense: {units: 128, activation: relu}\n", "    - Dense2: {units: 128}\n"),
        ["model.layers[3].Dense2: unknown layer 'Dense2'", "(did you mean 'Dense'?)"],
        "Dense2",
        id="unknown-layer",
    ),
    pytest.param(
        edit("  loss: categorical_crossentropy\n", ""),
        ["compile.loss: missing required key"],
        "compile:",
        id="missing-loss",
    ),
    pytest.param(
        BASE.split("  layers:")[0] + "  layers: []\ncompile: {loss: mse}\n",
        ["model.layers: List should have at least 1 item"],
        "layers",
        id="no-layers",
    ),
    pytest.param(
        edit("batch_size: 128", "batch_size: 128\n  class_weight: {0: 1.0, 1: .inf}"),
        ["fit.class_weight[1]: inf is not a finite number"],
        "class_weight",
        id="inf-in-class-weight",
    ),
    # Functional models
    pytest.param(
        edit("inputs: pixels}", "inputs: pixel}", FUNCTIONAL),
        ["model.layers[3].Dense.inputs: unknown input 'pixel'", "(did you mean 'pixels'?)"],
        "inputs: pixel}",
        id="functional-unknown-input",
    ),
    pytest.param(
        edit("inputs: [conv_features,", "inputs: [conv_feature,", FUNCTIONAL),
        [
            "model.layers[4].Concatenate.inputs: unknown input 'conv_feature'",
            "did you mean 'conv_features'?",
        ],
        "inputs: [conv_feature,",
        id="functional-unknown-input-in-list",
    ),
    pytest.param(
        edit("inputs: pixels}", "inputs: [7]}", FUNCTIONAL),
        ["unknown input 7", "name a model input or an earlier layer's name"],
        "inputs: [7]",
        id="functional-input-not-a-name",
    ),
    pytest.param(
        edit(
            "name: pixel_features, inputs: pixels",
            "name: conv_features, inputs: pixels",
            FUNCTIONAL,
        ).replace("[conv_features, pixel_features]", "[conv_features]"),
        ["model.layers[3].Dense.name: the name 'conv_features' is used twice"],
        "name: conv_features, inputs",
        id="functional-duplicate-layer-names",
    ),
    pytest.param(
        edit("name: digit}", "name: image}", FUNCTIONAL).replace("[digit]", "[image]"),
        ["the name 'image' is used twice"],
        "name: image}",
        id="functional-layer-named-like-an-input",
    ),
    pytest.param(
        edit("outputs: [digit]", "outputs: [digits]", FUNCTIONAL),
        ["model.outputs[0]: unknown output 'digits'", "(did you mean 'digit'?)"],
        "digits",
        id="functional-unknown-output",
    ),
    pytest.param(
        edit(", inputs: image}", "}", FUNCTIONAL),
        ["model.layers[0].Conv2D: the first layer must name its inputs", "(add inputs: image)"],
        "Conv2D",
        id="functional-first-layer-without-inputs",
    ),
    pytest.param(
        edit("    image: [28, 28, 1]\n    pixels: [784]\n", "", FUNCTIONAL).replace(
            "  inputs:\n", "  inputs: {}\n"
        ),
        ["model: inputs must name at least one input"],
        "model:",
        id="functional-no-inputs",
    ),
]


@pytest.mark.parametrize("text, fragments, at", FILE_CASES)
def test_bad_config_file(tmp_path, text, fragments, at):
    path = write(tmp_path, text)
    error = load_error(path)
    message = error.format()
    for fragment in fragments:
        assert fragment in message, message
    if at is None:
        assert message.startswith(f"{path}: "), message
    else:
        line, column = position(text, at)
        assert message.startswith(f"{path}:{line}:{column}: "), message
        assert str(path) + f":{line}:" in message


# Problems with no line to point at: the file, then the key path.
NO_LINE_CASES = [
    pytest.param(
        edit(
            "data:\n  source: mnist\n  validation: {split: 0.1}\n  preprocess:\n"
            "    reshape: [28, 28, 1]\n    scale: 255\n    one_hot: 10\n",
            "",
        ),
        "model",
        ["data: missing required key"],
        id="missing-data-section",
    ),
    pytest.param(
        BASE.split("model:")[0],
        "model",
        ["the config has no model section", "kerascli train needs model"],
        id="missing-model-section",
    ),
    pytest.param(
        BASE.split("compile:")[0],
        "model",
        ["the config has no compile section", "kerascli train needs compile"],
        id="missing-compile-section",
    ),
]


@pytest.mark.parametrize("text, require, fragments", NO_LINE_CASES)
def test_bad_config_without_a_line(tmp_path, text, require, fragments):
    path = write(tmp_path, text)
    message = load_error(path, require=require).format()
    assert message.startswith(f"{path}: "), message
    for fragment in fragments:
        assert fragment in message, message


def test_data_only_config_loads_when_the_model_is_not_required(tmp_path):
    path = write(tmp_path, BASE.split("model:")[0])
    config = load_config(path, require="data")
    assert config.model is None and config.compile is None
    assert config.data.source == "mnist"


def test_several_problems_are_all_reported(tmp_path):
    text = (
        BASE.replace("source: mnist", "source: mnsit")
        .replace("epochs: 5", "epochs: yes")
        .replace("batch_size: 128", "batch_size: 0")
        .replace("one_hot: 10", "one_hot: 10\n    scael: 255")
    )
    path = write(tmp_path, text)
    error = load_error(path)
    problems = [error, *error.others]
    messages = [problem.format() for problem in problems]
    assert len(problems) == 4, messages
    expected = {
        "source": "data.source: Input should be",
        "scael": "data.preprocess.scael: unknown key 'scael'",
        "epochs": "fit.epochs: Input should be a valid integer",
        "batch_size": "fit.batch_size: Input should be greater than 0",
    }
    for needle, fragment in expected.items():
        line, column = position(text, needle)
        assert any(m.startswith(f"{path}:{line}:{column}: {fragment}") for m in messages), (
            needle,
            messages,
        )
    assert all(
        isinstance(problem, ConfigError) and problem.others == [] for problem in error.others
    )


def test_quoted_integer_gets_a_sensible_hint(tmp_path):
    path = write(tmp_path, edit("epochs: 5", 'epochs: "3"'))
    message = load_error(path).format()
    assert "'3'" in message, message
    assert "exponent" not in message and "1.0e-3" not in message, message


def test_root_level_problem_is_not_blamed_on_an_unrelated_override(tmp_path):
    path = write(tmp_path, edit("seed: 42\n", "deterministic: true\n"))
    message = load_error(path, ["fit.epochs=3"]).format()
    assert "needs a seed" in message
    assert "--set fit.epochs=3" not in message, message


def test_deterministic_without_seed_points_at_its_line(tmp_path):
    text = edit("seed: 42\n", "deterministic: true\n")
    path = write(tmp_path, text)
    line, column = position(text, "deterministic")
    assert load_error(path).format().startswith(f"{path}:{line}:{column}: ")


def test_functional_inputs_not_a_name_or_list(tmp_path):
    text = edit("inputs: pixels}", "inputs: 3}", FUNCTIONAL)
    path = write(tmp_path, text)
    line, column = position(text, "inputs: 3")
    message = load_error(path).format()
    assert message.startswith(f"{path}:{line}:{column}: model.layers[3].Dense.inputs"), message


def test_functional_inputs_null_on_a_later_layer(tmp_path):
    path = write(tmp_path, edit("inputs: pixels}", "inputs: null}", FUNCTIONAL))
    message = load_error(path).format()
    assert "model.layers[3].Dense" in message
    assert "first layer" not in message, message


def test_null_loss_is_refused(tmp_path):
    path = write(tmp_path, edit("loss: categorical_crossentropy", "loss: null"))
    assert "compile.loss" in load_error(path).format()


@pytest.mark.parametrize(
    "old, new, key",
    [
        pytest.param(
            "metrics: [accuracy]", "metrics: accuracy", "compile.metrics", id="metrics-str"
        ),
        pytest.param(
            "batch_size: 128",
            "batch_size: 128\n  class_weight: {a: 1.0}",
            "fit.class_weight",
            id="class-weight-str-key",
        ),
    ],
)
def test_key_paths_are_clean(tmp_path, old, new, key):
    error = load_error(write(tmp_path, edit(old, new)))
    message = error.format()
    assert f": {key}" in message, message
    assert "[any]" not in message and "[key]" not in message and "list[" not in message, message
    assert error.others == [], [o.format() for o in error.others]


# --------------------------------------------------------------------------------------------
# Overrides


OVERRIDE_CASES = [
    pytest.param(
        ["modle.layers=[]"],
        ["modle: unknown key 'modle'", "did you mean 'model'?"],
        id="misspelt-section",
    ),
    pytest.param(
        ["fit.epoch=3"],
        ["fit.epoch: unknown key 'epoch'", "(did you mean 'epochs'?)"],
        id="misspelt-key",
    ),
    pytest.param(
        ["fitt.epochs=1"],
        ["fitt: unknown key 'fitt'", "(did you mean 'fit'?)"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        ["fit.epochs=yes"],
        ["fit.epochs: Input should be a valid integer", "booleans in YAML"],
        id="epochs-yes",
    ),
    pytest.param(["fit.epochs=1.5"], ["got float 1.5"], id="epochs-float"),
    pytest.param(
        ["fit.epochs=-1"], ["fit.epochs: Input should be greater than 0"], id="epochs-negative"
    ),
    pytest.param(["fit.epochs=0"], ["greater than 0"], id="epochs-zero"),
    pytest.param(
        ["fit.epochs=1e3"],
        ["valid integer", "YAML 1.1 reads 1e3 as a string"],
        id="epochs-exponent",
    ),
    pytest.param(
        ["compile.optimizer={Adam: {learning_rate: 1e-3}}"],
        ["compile.optimizer.Adam.learning_rate: '1e-3' is a string, not a number"],
        id="learning-rate-1e-3",
    ),
    pytest.param(["data.source=mnsit"], ["did you mean 'mnist'?"], id="unknown-source"),
    pytest.param(
        ["data.validation.first=100"],
        ["give exactly one of split, first"],
        id="validation-split-and-first",
    ),
    pytest.param(
        ["data.validation.split=1.5"],
        ["data.validation.split: Input should be less than 1"],
        id="split-above-1",
    ),
    pytest.param(
        ["data.preprocess.reshape=[28, 0, 1]"], ["dimensions must be positive"], id="reshape-0"
    ),
    pytest.param(["data.preprocess.range=[1, -1]"], ["low < high"], id="range-not-ordered"),
    pytest.param(["data.preprocess.one_hot=1"], ["greater than or equal to 2"], id="one-hot-1"),
    pytest.param(["name=a/b"], ["name: String should match pattern"], id="name-slash"),
    pytest.param(["name=.."], ["name: String should match pattern"], id="name-dot-dot"),
    pytest.param(["model.inputs={image: [28, 28, 1]}"], ["not both"], id="inputs-and-shape"),
    pytest.param(
        ["model.input_shape=null"], ["give input_shape (Sequential) or inputs"], id="no-input-shape"
    ),
    pytest.param(
        ["model.layers[0]={Conv2D: {filters: 8, kernel_size: 3, inputs: x}}"],
        ["inputs wires Functional models"],
        id="sequential-layer-with-inputs",
    ),
    pytest.param(
        ["model.layers[1]=Dense2"],
        ["model.layers[1]: unknown layer 'Dense2'", "did you mean 'Dense'?"],
        id="unknown-layer",
    ),
    pytest.param(
        ["deterministic=true", "seed=null"],
        ["deterministic: needs a seed"],
        id="deterministic-without-seed",
    ),
    pytest.param(["data=null"], ["data: Input should be a valid dictionary"], id="data-null"),
    pytest.param(["fit=3"], ["fit: Input should be a valid dictionary", "got int 3"], id="fit-int"),
    pytest.param(
        ["fit.epochs=3", "fit.batch_size=0"],
        ["fit.batch_size: Input should be greater"],
        id="second-override-is-the-bad-one",
    ),
]


@pytest.mark.parametrize("overrides, fragments", OVERRIDE_CASES)
def test_bad_override_is_reported_against_the_override(tmp_path, overrides, fragments):
    path = write(tmp_path, BASE)
    message = load_error(path, overrides).format()
    assert any(message.startswith(f"--set {override}: ") for override in overrides), message
    if len(overrides) == 2 and "batch_size" in overrides[1]:
        assert message.startswith(f"--set {overrides[1]}: ")
    for fragment in fragments:
        assert fragment in message, message
    assert str(path) not in message


SYNTAX_CASES = [
    pytest.param(
        "fit", ["--set fit: an override is KEY=VALUE", "e.g. --set fit.epochs=3"], id="no-equals"
    ),
    pytest.param("=3", ["--set =3: an override is KEY=VALUE"], id="empty-key"),
    pytest.param(" =3", ["an override is KEY=VALUE"], id="blank-key"),
    pytest.param(
        "model.layers[99].Dense.units=3",
        ["--set model.layers[99].Dense.units=3: model.layers[99]: no such list item"],
        id="no-such-list-item",
    ),
    pytest.param(
        "model.layers[5]=Flatten",
        ["model.layers[5]: no such list item"],
        id="no-such-last-list-item",
    ),
    pytest.param(
        "fit.epochs.x=3", ["--set fit.epochs.x=3: fit.epochs is not a mapping"], id="key-inside-int"
    ),
    pytest.param("model.layers.x=3", ["model.layers is not a mapping"], id="key-inside-list"),
    pytest.param(
        "name.first.second=x", ["name.first: cannot set a key inside a str"], id="key-inside-str"
    ),
    pytest.param("name[0]=x", ["name[0]: no such list item"], id="index-into-str"),
    pytest.param(
        "fit.epochs=[1", ["--set fit.epochs=[1: cannot parse the value"], id="unparsable-value"
    ),
    pytest.param(
        "fit.epochs=1: 2",
        ["cannot parse the value: mapping values are not allowed"],
        id="value-with-colon",
    ),
    pytest.param(
        "fit.epochs=!!python/name:os.system",
        ["cannot parse the value: unsupported YAML tag"],
        id="python-tag",
    ),
    pytest.param(
        'fit.epochs=!!python/object/apply:os.system ["touch PWNED"]',
        ["unsupported YAML tag"],
        id="python-apply-tag",
    ),
]


@pytest.mark.parametrize("override, fragments", SYNTAX_CASES)
def test_bad_override_syntax(tmp_path, monkeypatch, override, fragments):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, BASE)
    message = load_error(path, [override]).format()
    assert message.startswith(f"--set {override}: "), message
    for fragment in fragments:
        assert fragment in message, message
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("override", ["fit..epochs=3", ".fit.epochs=3", "fit.epochs.=3"])
def test_empty_key_path_segment_is_refused(tmp_path, override):
    message = load_error(write(tmp_path, BASE), [override]).format()
    assert message.startswith(f"--set {override}: invalid key path"), message


@pytest.mark.parametrize(
    "override",
    [
        "fit.batch_size=.nan",
        "data.preprocess.scale=.inf",
        "compile.optimizer={Adam: {learning_rate: .nan}}",
    ],
)
def test_non_finite_override_is_reported_against_the_override(tmp_path, override):
    path = write(tmp_path, BASE)
    message = load_error(path, [override]).format()
    assert "is not a finite number" in message
    assert message.startswith(f"--set {override}: "), message


@pytest.mark.parametrize(
    "overrides, check",
    [
        pytest.param(["fit.shuffle=false"], lambda c: c.fit.shuffle is False, id="new-key"),
        pytest.param(["fit.epochs=3"], lambda c: c.fit.epochs == 3, id="existing-key"),
        pytest.param(["fit.epochs=3", "fit.epochs=4"], lambda c: c.fit.epochs == 4, id="last-wins"),
        pytest.param(
            ["evaluate.enabled=false"], lambda c: c.evaluate.enabled is False, id="new-section"
        ),
        pytest.param(
            ["data.limit.train=100"], lambda c: c.data.limit.train == 100, id="new-nested-mapping"
        ),
        pytest.param(
            ["model.layers[3].Dense.units=64"],
            lambda c: c.model.layers[3] == {"Dense": {"units": 64, "activation": "relu"}},
            id="list-item",
        ),
        pytest.param(
            ["model.layers[2].Flatten.name=flat"],
            lambda c: c.model.layers[2] == {"Flatten": {"name": "flat"}},
            id="key-in-empty-arguments",
        ),
        pytest.param(
            ["compile.optimizer={Adam: {learning_rate: 0.01}}"],
            lambda c: c.compile.optimizer == {"Adam": {"learning_rate": 0.01}},
            id="mapping-value",
        ),
        pytest.param(
            ["compile.optimizer={Adam: {}}", "compile.optimizer.Adam.learning_rate=0.01"],
            lambda c: c.compile.optimizer == {"Adam": {"learning_rate": 0.01}},
            id="key-in-a-new-mapping",
        ),
        pytest.param(["seed=null"], lambda c: c.seed is None, id="null"),
        pytest.param(
            ["data.validation={first: 1000}"],
            lambda c: c.data.validation.first == 1000 and c.data.validation.split is None,
            id="replace-a-mapping",
        ),
        pytest.param(["fit.callbacks=[]"], lambda c: c.fit.callbacks == [], id="empty-list"),
        pytest.param(
            ["name=run.v2-final"], lambda c: c.name == "run.v2-final", id="name-with-dots"
        ),
    ],
)
def test_good_overrides(tmp_path, overrides, check):
    config = load_config(write(tmp_path, BASE), overrides)
    assert check(config)


@pytest.mark.parametrize(
    "override",
    ["compile.optimizer.Adam.learning_rate=0.01", "compile.optimizer.learning_rate=0.01"],
)
def test_documented_learning_rate_override_on_a_bare_optimizer(tmp_path, override):
    config = load_config(write(tmp_path, BASE), [override])
    [(name, args)] = config.compile.optimizer.items()
    assert name.lower() == "adam" and args == {"learning_rate": 0.01}


@pytest.mark.parametrize(
    "raw, value",
    [
        pytest.param("3", 3, id="int"),
        pytest.param("-7", -7, id="negative-int"),
        pytest.param("0.5", 0.5, id="float"),
        pytest.param("1.0e-3", 0.001, id="float-exponent"),
        pytest.param("1e-3", "1e-3", id="yaml11-exponent-is-a-string"),
        pytest.param("true", True, id="true"),
        pytest.param("false", False, id="false"),
        pytest.param("yes", True, id="yes"),
        pytest.param("[28, 28]", [28, 28], id="list"),
        pytest.param("[]", [], id="empty-list"),
        pytest.param("{a: 1}", {"a": 1}, id="mapping"),
        pytest.param("null", None, id="null"),
        pytest.param("~", None, id="tilde"),
        pytest.param("", None, id="empty"),
        pytest.param(" 7 ", 7, id="spaces"),
        pytest.param("relu", "relu", id="string"),
        pytest.param("'3'", "3", id="quoted"),
        pytest.param("a=b", "a=b", id="equals-in-value"),
        pytest.param("3 # comment", 3, id="comment"),
    ],
)
def test_apply_overrides_parses_values_as_yaml(raw, value):
    data: dict = {"fit": {"epochs": 1}}
    applied = apply_overrides(data, [f"fit.x={raw}"])
    assert data["fit"]["x"] == value
    assert type(data["fit"]["x"]) is type(value)
    assert applied == {("fit", "x"): f"--set fit.x={raw}"}


def test_apply_overrides_walks_lists_and_creates_mappings():
    data = {"a": {"b": [1, {"c": 2}]}, "n": None}
    applied = apply_overrides(data, ["a.b[1].c=5", "a.b[0]=9", "new.deep.key=1", "n.x=2"])
    assert data == {"a": {"b": [9, {"c": 5}]}, "new": {"deep": {"key": 1}}, "n": {"x": 2}}
    assert list(applied) == [("a", "b", 1, "c"), ("a", "b", 0), ("new", "deep", "key"), ("n", "x")]


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("a.b[2]=1", "a.b[2]: no such list item"),
        ("a[0]=1", "a[0]: no such list item"),
        ("a.b.c=1", "a.b is not a mapping"),
        ("a.b[1].c.d=1", "a.b[1].c is not a mapping"),
        ("a.b[1][0]=1", "a.b[1][0]: no such list item"),
        ("a.b[0].x.y=1", "a.b[0].x: cannot set a key inside an int"),
    ],
)
def test_apply_overrides_refuses_impossible_paths(override, fragment):
    data = {"a": {"b": [1, {"c": 2}]}}
    with pytest.raises(ConfigError) as caught:
        apply_overrides(data, [override])
    assert caught.value.format() == f"--set {override}: {fragment}"


@pytest.mark.parametrize(
    "key_path, text",
    [
        (("model", "layers", 2, "Dense", "units"), "model.layers[2].Dense.units"),
        (("fit",), "fit"),
        ((), ""),
        (("a", 0, 1), "a[0][1]"),
    ],
)
def test_format_key_path(key_path, text):
    assert format_key_path(key_path) == text


def test_validate_data_reports_against_the_document():
    doc = parse_yaml(edit("epochs: 5", "epochs: 0"), "doc.yaml")
    with pytest.raises(ConfigError) as caught:
        validate_data(doc.data, doc)
    line, column = position(BASE, "epochs")
    assert caught.value.format().startswith(f"doc.yaml:{line}:{column}: fit.epochs")


# --------------------------------------------------------------------------------------------
# Round trips and the example configs


@pytest.mark.parametrize(
    "text, overrides",
    [
        pytest.param(BASE, [], id="sequential"),
        pytest.param(FUNCTIONAL, [], id="functional"),
        pytest.param(
            BASE,
            [
                "fit.shuffle=false",
                "data.limit.train=100",
                "seed=null",
                "model.input_shape=[null, 28, 1]",
                "compile.loss_weights=[1.0]",
                "data.class_names=['yes', 'null', '1e3', '0x10', '2001-01-01']",
                "compile.optimizer={Adam: {learning_rate: {ExponentialDecay: "
                "{initial_learning_rate: 0.001, decay_steps: 10, decay_rate: 0.9}}}}",
            ],
            id="with-overrides",
        ),
        pytest.param(BASE, ["fit.class_weight={0: 1.0, 1: 2.0}"], id="class-weight"),
    ],
)
def test_resolved_config_round_trips(tmp_path, text, overrides):
    first = load_config(write(tmp_path, text), overrides)
    resolved = write(tmp_path, first.to_yaml(), "resolved.yaml")
    second = load_config(resolved)
    assert second == first
    assert second.to_yaml() == first.to_yaml()


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_example_configs_load_and_round_trip(tmp_path, path):
    config = load_config(path, require="any")
    assert (config.model is not None and config.compile is not None) or config.gan is not None
    again = load_config(write(tmp_path, config.to_yaml()), require="any")
    assert again == config


def test_there_are_example_configs():
    assert {p.name for p in CONFIGS} >= {"mnist_cnn.yaml", "mnist_mlp.yaml"}


# --------------------------------------------------------------------------------------------
# The command line, in a fresh interpreter: one line, exit code 2, and no TensorFlow


def _env() -> dict:
    env = dict(os.environ)
    env.pop("KERASCLI_DEBUG", None)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize(
    "text, fragment",
    [
        pytest.param(
            edit("    - Dense: {units: 128, activation: relu}\n", "    - Dense2: {units: 128}\n"),
            "unknown layer 'Dense2'",
            id="layer",
        ),
        pytest.param(
            edit("epochs: 5", "epochs: 5\n  epochs: 6"),
            "duplicate key 'epochs'",
            id="duplicate-key",
        ),
    ],
)
def test_cli_validate_bad_config_is_one_line(tmp_path, text, fragment):
    path = write(tmp_path, text)
    result = subprocess.run(
        [sys.executable, "-c", "from kerascli.cli.main import run; run()", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}:"), lines[0]
    assert fragment in lines[0]
    assert result.stdout == ""


def test_cli_validate_bad_config_never_imports_tensorflow(tmp_path):
    path = write(tmp_path, edit("epochs: 5", "epoch: 5"))
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from kerascli.cli.main import app\n"
        f"args = ['validate', {str(path)!r}, '--set', 'fit.batch_size=8']\n"
        "result = CliRunner().invoke(app, args)\n"
        "assert result.exit_code == 2, (result.exit_code, result.output)\n"
        "assert \"did you mean 'epochs'?\" in result.output, result.output\n"
        "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_loading_every_config_never_imports_tensorflow(tmp_path):
    bad = write(tmp_path, edit("optimizer: adam", "optimizer: {Adamm: {}}"))
    script = (
        "import sys\n"
        "from kerascli.config.loading import load_config\n"
        "from kerascli.errors import ConfigError\n"
        f"for path in {[str(p) for p in CONFIGS]!r}:\n"
        "    load_config(path, require='any')\n"
        "try:\n"
        f"    load_config({str(bad)!r})\n"
        "except ConfigError as error:\n"
        "    assert \"did you mean 'Adam'?\" in error.format(), error.format()\n"
        "else:\n"
        "    raise AssertionError('no error')\n"
        "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
