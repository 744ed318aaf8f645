"""Tests for the checks of Keras specs: layers, optimizers, losses, metrics, callbacks, augment.

Each spec is placed into an otherwise valid config and checked by `validate_data`, exactly as a
loaded file would be, so the message is the one the user sees. Names come from Keras' own
namespaces (read by `catalog` without importing Keras).
"""

from __future__ import annotations

import copy

import pytest

from kerascli.config.loading import load_config, validate_data
from kerascli.config.specs import SpecError, split_spec
from kerascli.config.yaml_source import YamlDocument
from kerascli.errors import ConfigError, did_you_mean

WHERE = "spec.yaml"

BASE = {
    "name": "specs",
    "data": {
        "source": "mnist",
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
    "compile": {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]},
    "fit": {"epochs": 1, "callbacks": []},
}

FUNCTIONAL = {
    "name": "functional",
    "data": {"source": "mnist", "preprocess": {"reshape": [784], "scale": 255, "one_hot": 10}},
    "model": {
        "inputs": {"pixels": [784]},
        "layers": [
            {"Dense": {"units": 32, "inputs": "pixels"}},
            {"Dense": {"units": 10, "activation": "softmax", "name": "digit"}},
        ],
        "outputs": ["digit"],
    },
    "compile": {"optimizer": "adam", "loss": "categorical_crossentropy"},
}

LAYER = ("model", "layers", 1)
OPTIMIZER = ("compile", "optimizer")
LOSS = ("compile", "loss")
METRICS = ("compile", "metrics")
CALLBACKS = ("fit", "callbacks")
AUGMENT = ("data", "augment")


def with_value(key_path: tuple, value, base: dict = BASE) -> dict:
    """A deep copy of `base` with `value` at `key_path`."""
    data = copy.deepcopy(base)
    node = data
    for part in key_path[:-1]:
        node = node[part]
    node[key_path[-1]] = value
    return data


def validate(data: dict):
    return validate_data(data, YamlDocument(path=WHERE, data=data))


def spec_error(data: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate(data)
    message = caught.value.format()
    assert "\n" not in message and "Traceback" not in message
    return caught.value


def test_base_specs_are_valid():
    assert validate(copy.deepcopy(BASE)).model.layers[0] == "Flatten"
    assert validate(copy.deepcopy(FUNCTIONAL)).model.functional


# (where in the config, the spec, the key path the message must name, fragments it must hold)
BAD_SPECS = [
    # Layers
    pytest.param(
        LAYER,
        "Dense2",
        "model.layers[1]",
        ["unknown layer 'Dense2'", "(did you mean 'Dense'?)"],
        id="unknown-layer",
    ),
    pytest.param(
        LAYER,
        {"Dense2": {"units": 4}},
        "model.layers[1].Dense2",
        ["unknown layer 'Dense2'", "(did you mean 'Dense'?)"],
        id="unknown-layer-mapping",
    ),
    pytest.param(
        LAYER,
        "Conv2d",
        "model.layers[1]",
        ["unknown layer 'Conv2d'", "(did you mean 'Conv2D'?)"],
        id="layer-case",
    ),
    pytest.param(
        LAYER,
        {"dense": {"units": 4}},
        "model.layers[1].dense",
        ["(did you mean 'Dense'?)"],
        id="layer-lower-case",
    ),
    pytest.param(
        LAYER,
        {"MaxPool2d": {}},
        "model.layers[1].MaxPool2d",
        ["(did you mean 'MaxPool2D'?)"],
        id="layer-alias-case",
    ),
    pytest.param(
        LAYER,
        {"BatchNormalisation": {}},
        "model.layers[1].BatchNormalisation",
        ["(did you mean 'BatchNormalization'?)"],
        id="layer-british-spelling",
    ),
    pytest.param(
        LAYER,
        "Lambda",
        "model.layers[1]",
        ["Lambda is refused", "(Lambda runs arbitrary Python code)"],
        id="lambda",
    ),
    pytest.param(
        LAYER,
        {"Lambda": {"function": "lambda x: x"}},
        "model.layers[1].Lambda",
        ["Lambda is refused", "arbitrary Python code"],
        id="lambda-mapping",
    ),
    pytest.param(
        LAYER,
        {"TFSMLayer": {"filepath": "model_dir"}},
        "model.layers[1].TFSMLayer",
        ["TFSMLayer is refused", "(TFSMLayer loads and runs a SavedModel)"],
        id="tfsmlayer",
    ),
    pytest.param(
        LAYER,
        "TorchModuleWrapper",
        "model.layers[1]",
        ["TorchModuleWrapper is refused"],
        id="torch-module-wrapper",
    ),
    pytest.param(LAYER, "JaxLayer", "model.layers[1]", ["JaxLayer is refused"], id="jax-layer"),
    pytest.param(LAYER, "Layer", "model.layers[1]", ["unknown layer 'Layer'"], id="base-layer"),
    pytest.param(
        LAYER, "InputLayer", "model.layers[1]", ["unknown layer 'InputLayer'"], id="input-layer"
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "activation": "rleu"}},
        "model.layers[1].Dense.activation",
        ["unknown activation 'rleu'", "(did you mean 'relu'?)"],
        id="unknown-activation",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "activation": "softmx"}},
        "model.layers[1].Dense.activation",
        ["(did you mean 'softmax'?)"],
        id="unknown-activation-softmax",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "kernel_initializer": "glorot_unifrom"}},
        "model.layers[1].Dense.kernel_initializer",
        ["unknown initializer 'glorot_unifrom'", "(did you mean 'glorot_uniform'?)"],
        id="unknown-initializer",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "kernel_initializer": {"HeNormall": {"seed": 1}}}},
        "model.layers[1].Dense.kernel_initializer.HeNormall",
        ["unknown initializer 'HeNormall'", "(did you mean 'HeNormal'?)"],
        id="unknown-initializer-mapping",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "bias_initializer": {"Zeros": {}, "Ones": {}}}},
        "model.layers[1].Dense.bias_initializer",
        ["is a one-key mapping, this one has keys Zeros, Ones"],
        id="initializer-with-two-keys",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4}, "Dropout": {"rate": 0.5}},
        "model.layers[1]",
        [
            "a layer is a one-key mapping, this one has keys Dense, Dropout",
            "(indent the arguments under the layer name: {Dense: {units: 10}})",
        ],
        id="spec-with-two-keys",
    ),
    pytest.param(
        LAYER,
        {"Dense": [4]},
        "model.layers[1].Dense",
        ["the arguments of Dense must be a mapping, got list", "write it as {Dense: {units: 10}}"],
        id="arguments-are-a-list",
    ),
    pytest.param(
        LAYER,
        {"Dense": 4},
        "model.layers[1].Dense",
        ["the arguments of Dense must be a mapping, got int"],
        id="arguments-are-an-int",
    ),
    pytest.param(
        LAYER,
        {"Dense": {1: 2}},
        "model.layers[1].Dense",
        ["argument names must be strings"],
        id="argument-name-not-a-string",
    ),
    pytest.param(
        LAYER,
        3,
        "model.layers[1]",
        ["a layer is a name or a one-key mapping, got int 3"],
        id="layer-is-an-int",
    ),
    pytest.param(
        LAYER,
        None,
        "model.layers[1]",
        ["a layer is a name or a one-key mapping, got NoneType None"],
        id="layer-is-null",
    ),
    pytest.param(
        LAYER,
        "",
        "model.layers[1]",
        ["a layer is a name or a one-key mapping"],
        id="layer-is-empty",
    ),
    pytest.param(
        LAYER,
        {},
        "model.layers[1]",
        ["a layer is a name or a one-key mapping"],
        id="layer-is-an-empty-mapping",
    ),
    pytest.param(LAYER, ["Dense"], "model.layers[1]", ["got list"], id="layer-is-a-list"),
    pytest.param(
        LAYER,
        {"Bidirectional": {"layer": {"LSTM2": {"units": 4}}}},
        "model.layers[1].Bidirectional.layer.LSTM2",
        ["unknown layer 'LSTM2'", "(did you mean 'LSTM'?)"],
        id="bidirectional-unknown-inner",
    ),
    pytest.param(
        LAYER,
        {"Bidirectional": {"layer": "Lambda"}},
        "model.layers[1].Bidirectional.layer",
        ["Lambda is refused"],
        id="bidirectional-lambda",
    ),
    pytest.param(
        LAYER,
        {"TimeDistributed": {"layer": {"Lambda": {"function": "f"}}}},
        "model.layers[1].TimeDistributed.layer.Lambda",
        ["Lambda is refused"],
        id="time-distributed-lambda",
    ),
    pytest.param(
        LAYER,
        {
            "Bidirectional": {
                "layer": {"LSTM": {"units": 4}},
                "backward_layer": {"GRU2": {"units": 4}},
            }
        },
        "model.layers[1].Bidirectional.backward_layer.GRU2",
        ["unknown layer 'GRU2'", "did you mean 'GRU'?"],
        id="backward-layer-unknown",
    ),
    pytest.param(
        LAYER,
        {"Dropout": {"rate": "5e-1"}},
        "model.layers[1].Dropout.rate",
        ["'5e-1' is a string, not a number", "YAML 1.1 reads 5e-1 as a string"],
        id="yaml11-exponent-in-a-layer",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "kernel_initializer": {"RandomNormal": {"stddev": "1e-2"}}}},
        "model.layers[1].Dense.kernel_initializer.RandomNormal.stddev",
        ["'1e-2' is a string, not a number"],
        id="yaml11-exponent-in-an-initializer",
    ),
    # Optimizers and schedules
    pytest.param(
        OPTIMIZER,
        "adamm",
        "compile.optimizer",
        ["unknown optimizer 'adamm'", "(did you mean 'Adam'?)"],
        id="unknown-optimizer",
    ),
    pytest.param(
        OPTIMIZER,
        {"RMSProp2": {}},
        "compile.optimizer.RMSProp2",
        ["unknown optimizer 'RMSProp2'", "did you mean 'RMSprop'?"],
        id="unknown-optimizer-mapping",
    ),
    pytest.param(
        OPTIMIZER,
        {"Adam": {"learning_rate": "1e-3"}},
        "compile.optimizer.Adam.learning_rate",
        ["'1e-3' is a string, not a number", "YAML 1.1 reads 1e-3 as a string"],
        id="learning-rate-1e-3",
    ),
    pytest.param(
        OPTIMIZER,
        {
            "Adam": {
                "learning_rate": {
                    "ExponentialDecy": {
                        "initial_learning_rate": 0.01,
                        "decay_steps": 10,
                        "decay_rate": 0.9,
                    }
                }
            }
        },
        "compile.optimizer.Adam.learning_rate.ExponentialDecy",
        ["unknown learning-rate schedule 'ExponentialDecy'", "(did you mean 'ExponentialDecay'?)"],
        id="unknown-schedule",
    ),
    pytest.param(
        OPTIMIZER,
        {
            "Adam": {
                "learning_rate": {
                    "ExponentialDecay": {
                        "initial_learning_rate": "1e-3",
                        "decay_steps": 10,
                        "decay_rate": 0.9,
                    }
                }
            }
        },
        "compile.optimizer.Adam.learning_rate.ExponentialDecay.initial_learning_rate",
        ["'1e-3' is a string, not a number"],
        id="yaml11-exponent-in-a-schedule",
    ),
    pytest.param(
        OPTIMIZER,
        {"Adam": {"learning_rate": 0.1}, "SGD": {}},
        "compile.optimizer",
        ["is a one-key mapping, this one has keys Adam, SGD"],
        id="optimizer-with-two-keys",
    ),
    pytest.param(
        OPTIMIZER,
        ["adam"],
        "compile.optimizer",
        ["is a name or a one-key mapping, got list"],
        id="optimizer-list",
    ),
    # Losses
    pytest.param(
        LOSS,
        "categorical_crossentropi",
        "compile.loss",
        ["unknown loss 'categorical_crossentropi'", "(did you mean 'categorical_crossentropy'?)"],
        id="unknown-loss",
    ),
    pytest.param(LOSS, "msee", "compile.loss", ["(did you mean 'mse'?)"], id="unknown-loss-short"),
    pytest.param(
        LOSS,
        {"CategoricalCrossEntropy": {"label_smoothing": 0.1}},
        "compile.loss.CategoricalCrossEntropy",
        ["(did you mean 'CategoricalCrossentropy'?)"],
        id="loss-class-case",
    ),
    pytest.param(
        LOSS,
        {"CategoricalCrossentropy": {"label_smoothing": "1e-1"}},
        "compile.loss.CategoricalCrossentropy.label_smoothing",
        ["'1e-1' is a string, not a number"],
        id="yaml11-exponent-in-a-loss",
    ),
    pytest.param(
        LOSS, "accuracy", "compile.loss", ["unknown loss 'accuracy'"], id="metric-as-loss"
    ),
    # Metrics
    pytest.param(
        METRICS,
        ["acuracy"],
        "compile.metrics[0]",
        ["unknown metric 'acuracy'", "(did you mean ", "ccuracy'?)"],
        id="unknown-metric",
    ),
    pytest.param(
        METRICS,
        ["accuracy", "precison"],
        "compile.metrics[1]",
        ["unknown metric 'precison'", "(did you mean ", "recision'?)"],
        id="unknown-second-metric",
    ),
    pytest.param(
        METRICS,
        [{"Precison": {}}],
        "compile.metrics[0].Precison",
        ["unknown metric 'Precison'", "(did you mean ", "recision'?)"],
        id="unknown-metric-class",
    ),
    pytest.param(
        METRICS,
        [{"Precision": {"thresholds": "5e-1"}}],
        "compile.metrics[0].Precision.thresholds",
        ["'5e-1' is a string, not a number"],
        id="yaml11-exponent-in-a-metric",
    ),
    # Callbacks
    pytest.param(
        CALLBACKS,
        ["LambdaCallback"],
        "fit.callbacks[0]",
        ["LambdaCallback is refused", "(LambdaCallback runs arbitrary Python code)"],
        id="lambda-callback",
    ),
    pytest.param(
        CALLBACKS,
        [{"LambdaCallback": {"on_epoch_end": "print"}}],
        "fit.callbacks[0].LambdaCallback",
        ["LambdaCallback is refused"],
        id="lambda-callback-mapping",
    ),
    pytest.param(
        CALLBACKS,
        ["TerminateOnNaN", {"LearningRateScheduler": {"schedule": "f"}}],
        "fit.callbacks[1].LearningRateScheduler",
        [
            "LearningRateScheduler is refused",
            "it needs a Python function",
            "learning_rate schedule such as {ExponentialDecay: {...}}",
        ],
        id="learning-rate-scheduler",
    ),
    pytest.param(
        CALLBACKS,
        [{"RemoteMonitor": {"root": "http://example.com"}}],
        "fit.callbacks[0].RemoteMonitor",
        ["RemoteMonitor is refused", "network"],
        id="remote-monitor",
    ),
    pytest.param(
        CALLBACKS,
        ["BackupAndRestore"],
        "fit.callbacks[0]",
        ["BackupAndRestore is refused", "--resume"],
        id="backup-and-restore",
    ),
    pytest.param(CALLBACKS, ["History"], "fit.callbacks[0]", ["History is refused"], id="history"),
    pytest.param(
        CALLBACKS, ["Callback"], "fit.callbacks[0]", ["Callback is refused"], id="abstract-callback"
    ),
    pytest.param(
        CALLBACKS,
        ["EarlyStoping"],
        "fit.callbacks[0]",
        ["unknown callback 'EarlyStoping'", "(did you mean 'EarlyStopping'?)"],
        id="unknown-callback",
    ),
    pytest.param(
        CALLBACKS,
        [{"EarlyStopping": {"min_delta": "1e-4"}}],
        "fit.callbacks[0].EarlyStopping.min_delta",
        ["'1e-4' is a string, not a number"],
        id="yaml11-exponent-in-a-callback",
    ),
    pytest.param(
        CALLBACKS,
        [{"EarlyStopping": {"patience": 2}, "monitor": "val_loss"}],
        "fit.callbacks[0]",
        ["a callback is a one-key mapping, this one has keys EarlyStopping, monitor"],
        id="callback-argument-not-indented",
    ),
    # Augmentation
    pytest.param(
        AUGMENT,
        ["RandomFlip2"],
        "data.augment[0]",
        ["unknown layer 'RandomFlip2'", "(did you mean 'RandomFlip'?)"],
        id="unknown-augmentation",
    ),
    pytest.param(
        AUGMENT,
        [{"RandomRotation": {"factor": 0.1}}, "Lambda"],
        "data.augment[1]",
        ["Lambda is refused"],
        id="lambda-augmentation",
    ),
    pytest.param(
        AUGMENT,
        [None],
        "data.augment[0]",
        ["a layer is a name or a one-key mapping"],
        id="null-augmentation",
    ),
]


@pytest.mark.parametrize("key_path, spec, at, fragments", BAD_SPECS)
def test_bad_spec(key_path, spec, at, fragments):
    error = spec_error(with_value(key_path, spec))
    message = error.format()
    assert message.startswith(f"{WHERE}: {at}: "), message
    for fragment in fragments:
        assert fragment in message, message


GOOD_SPECS = [
    pytest.param(OPTIMIZER, "ADAM", id="optimizer-upper-case"),
    pytest.param(OPTIMIZER, "adam", id="optimizer-lower-case"),
    pytest.param(OPTIMIZER, "rmsprop", id="optimizer-rmsprop"),
    pytest.param(OPTIMIZER, {"Adam": {"learning_rate": 0.0002, "beta_1": 0.5}}, id="dcgan-adam"),
    pytest.param(OPTIMIZER, {"adamw": {"weight_decay": 0.01}}, id="optimizer-mapping-lower-case"),
    pytest.param(OPTIMIZER, {"SGD": {"momentum": 0.9, "nesterov": True}}, id="sgd"),
    pytest.param(OPTIMIZER, {"Adam": None}, id="optimizer-null-arguments"),
    pytest.param(OPTIMIZER, {"Adam": {"learning_rate": 1.0e-3}}, id="learning-rate-float"),
    pytest.param(
        OPTIMIZER,
        {
            "Adam": {
                "learning_rate": {
                    "ExponentialDecay": {
                        "initial_learning_rate": 0.002,
                        "decay_steps": 400,
                        "decay_rate": 0.9,
                    }
                }
            }
        },
        id="schedule",
    ),
    pytest.param(LOSS, "mse", id="loss-mse"),
    pytest.param(LOSS, "mae", id="loss-mae"),
    pytest.param(LOSS, "sparse_categorical_crossentropy", id="loss-sparse"),
    pytest.param(LOSS, "binary_crossentropy", id="loss-binary"),
    pytest.param(LOSS, "BinaryCrossentropy", id="loss-class"),
    pytest.param(LOSS, {"CategoricalCrossentropy": {"label_smoothing": 0.1}}, id="loss-arguments"),
    pytest.param(LOSS, "huber", id="loss-huber"),
    pytest.param(LOSS, "kl_divergence", id="loss-kl-divergence"),
    pytest.param(METRICS, ["mae", "acc"], id="metrics-short"),
    pytest.param(
        METRICS,
        ["accuracy", {"Precision": {}}, "Recall", {"F1Score": {"average": "macro"}}],
        id="metrics-classes",
    ),
    pytest.param(
        METRICS,
        ["categorical_accuracy", "top_k_categorical_accuracy", "auc"],
        id="metrics-snake-case",
    ),
    pytest.param(METRICS, [], id="no-metrics"),
    pytest.param(
        CALLBACKS,
        [
            {"ReduceLROnPlateau": {"monitor": "val_loss", "factor": 0.5}},
            "TerminateOnNaN",
            {"CSVLogger": {"filename": "log.csv"}},
            {"ModelCheckpoint": {"filepath": "best.keras"}},
        ],
        id="callbacks",
    ),
    pytest.param(
        AUGMENT,
        [
            "RandomFlip",
            {"RandomRotation": {"factor": 0.05}},
            {"RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1}},
        ],
        id="augmentation",
    ),
    pytest.param(LAYER, "Flatten", id="bare-layer"),
    pytest.param(LAYER, {"Flatten": None}, id="layer-null-arguments"),
    pytest.param(
        LAYER,
        {
            "Dense": {
                "units": 4,
                "kernel_initializer": {"HeNormal": {"seed": 1}},
                "bias_initializer": "zeros",
                "activation": "gelu",
            }
        },
        id="initializers",
    ),
    pytest.param(
        LAYER,
        {"Dense": {"units": 4, "kernel_initializer": "he_normal"}},
        id="initializer-snake-case",
    ),
    pytest.param(
        LAYER, {"Conv2DTranspose": {"filters": 4, "kernel_size": 3}}, id="conv2d-transpose"
    ),
    pytest.param(LAYER, {"LeakyReLU": {"negative_slope": 0.2}}, id="leaky-relu"),
    pytest.param(LAYER, {"Bidirectional": {"layer": {"LSTM": {"units": 4}}}}, id="bidirectional"),
    pytest.param(LAYER, {"Dropout": {"rate": 0.5, "seed": 1}}, id="dropout"),
]


@pytest.mark.parametrize("key_path, spec", GOOD_SPECS)
def test_good_spec(key_path, spec):
    config = validate(with_value(key_path, spec))
    node = config.model_dump()
    for part in key_path:
        node = node[part]
    assert node == spec


@pytest.mark.parametrize(
    "key_path, spec, at, fragments",
    [
        pytest.param(
            ("compile", "loss"),
            {"digit": "msee"},
            "compile.loss.digit",
            ["unknown loss 'msee'", "did you mean 'mse'?"],
            id="per-output-loss",
        ),
        pytest.param(
            ("compile", "metrics"),
            {"digit": ["acuracy"]},
            "compile.metrics.digit[0]",
            ["unknown metric 'acuracy'", "did you mean ", "ccuracy'?"],
            id="per-output-metric",
        ),
        pytest.param(
            ("compile", "loss"),
            {"digt": "mse"},
            "compile.loss.digt",
            ["unknown output 'digt'", "did you mean 'digit'?"],
            id="misspelt-loss-output",
        ),
        pytest.param(
            ("compile", "metrics"),
            {"digt": ["accuracy"]},
            "compile.metrics.digt",
            ["unknown output 'digt'", "did you mean 'digit'?"],
            id="misspelt-metric-output",
        ),
        pytest.param(
            ("model", "layers", 0),
            {"Dense": {"units": 4, "inputs": "pixel"}},
            "model.layers[0].Dense.inputs",
            ["unknown input 'pixel'", "did you mean 'pixels'?"],
            id="unknown-input",
        ),
        pytest.param(
            ("model", "layers", 0),
            {"Dense": {"units": 4, "inputs": "pixels", "activation": "rleu"}},
            "model.layers[0].Dense.activation",
            ["did you mean 'relu'?"],
            id="inputs-is-not-passed-as-an-argument-check",
        ),
    ],
)
def test_bad_functional_spec(key_path, spec, at, fragments):
    message = spec_error(with_value(key_path, spec, FUNCTIONAL)).format()
    assert message.startswith(f"{WHERE}: {at}: "), message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "key_path, spec",
    [
        pytest.param(
            ("compile", "loss"),
            {"digit": {"CategoricalCrossentropy": {"label_smoothing": 0.1}}},
            id="per-output-loss",
        ),
        pytest.param(
            ("compile", "metrics"), {"digit": ["accuracy", "mae"]}, id="per-output-metrics"
        ),
    ],
)
def test_good_functional_spec(key_path, spec):
    validate(with_value(key_path, spec, FUNCTIONAL))


# Gaps: values that reach Keras (after TensorFlow is imported) although they could be refused now.
@pytest.mark.parametrize(
    "key_path, spec, fragment",
    [
        pytest.param(
            LAYER,
            {"Dense": {"units": 4, "kernel_regularizer": {"L2": {"l2": "1e-4"}}}},
            "'1e-4' is a string",
            id="yaml11-exponent-in-a-regularizer",
        ),
        pytest.param(
            LAYER,
            {"Dense": {"units": 4, "kernel_regularizer": {"L1L3": {"l1": 0.1}}}},
            "'L1L3'",
            id="unknown-regularizer",
        ),
        pytest.param(
            LAYER,
            {"Dense": {"units": 4, "kernel_constraint": {"MaxNormm": {}}}},
            "'MaxNormm'",
            id="unknown-constraint",
        ),
        pytest.param(
            OPTIMIZER,
            {
                "Adam": {
                    "learning_rate": {
                        "PiecewiseConstantDecay": {"boundaries": [100], "values": ["1e-3", "1e-4"]}
                    }
                }
            },
            "'1e-3' is a string",
            id="yaml11-exponent-in-a-list",
        ),
        pytest.param(
            LAYER,
            {"RNN": {"cell": {"Lambda": {"function": "f"}}}},
            "Lambda is refused",
            id="lambda-as-rnn-cell",
        ),
    ],
)
def test_nested_values_are_checked_before_tensorflow(key_path, spec, fragment):
    message = spec_error(with_value(key_path, spec)).format()
    assert fragment in message, message


@pytest.mark.parametrize(
    "choices",
    [
        ["Accuracy", "accuracy", "Precision", "precision"],
        ["precision", "Precision", "accuracy", "Accuracy"],
    ],
)
def test_did_you_mean_is_stable_and_keeps_the_case_style(choices):
    assert did_you_mean("acuracy", choices) == "did you mean 'accuracy'?"
    assert did_you_mean("Precison", choices) == "did you mean 'Precision'?"


# --------------------------------------------------------------------------------------------
# Positions in a real file, and the spec splitter itself


NESTED_FILE = """\
name: nested
data: {source: mnist}
model:
  input_shape: [10, 4]
  layers:
    - Bidirectional:
        layer:
          LSTM2: {units: 4}
    - Dense: {units: 1}
compile:
  optimizer:
    Adam:
      learning_rate:
        ExponentialDecy: {initial_learning_rate: 0.01, decay_steps: 10, decay_rate: 0.9}
  loss: mse
"""


@pytest.mark.parametrize(
    "text, line, column, fragment",
    [
        pytest.param(
            NESTED_FILE,
            8,
            11,
            "model.layers[0].Bidirectional.layer.LSTM2: unknown layer "
            "'LSTM2' (did you mean 'LSTM'?)",
            id="inner-layer",
        ),
        pytest.param(
            NESTED_FILE.replace("LSTM2", "LSTM"),
            14,
            9,
            "compile.optimizer.Adam.learning_rate.ExponentialDecy: unknown learning-rate "
            "schedule 'ExponentialDecy' (did you mean 'ExponentialDecay'?)",
            id="schedule",
        ),
        pytest.param(
            NESTED_FILE.replace("LSTM2", "LSTM")
            .replace("Decy", "Decay")
            .replace("loss: mse", "loss: mse\n  metrics: [mae, msle2]"),
            16,
            18,
            "compile.metrics[1]: unknown metric 'msle2' (did you mean 'msle'?)",
            id="metric-in-flow-list",
        ),
    ],
)
def test_spec_errors_point_at_the_file(tmp_path, text, line, column, fragment):
    path = tmp_path / "nested.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.format() == f"{path}:{line}:{column}: {fragment}"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Flatten", ("Flatten", {})),
        ({"Dense": {"units": 10}}, ("Dense", {"units": 10})),
        ({"Dense": None}, ("Dense", {})),
        ({"Dense": {}}, ("Dense", {})),
    ],
)
def test_split_spec(value, expected):
    assert split_spec(value, ("x",), "layer") == expected


def test_split_spec_returns_a_copy_of_the_arguments():
    spec = {"Dense": {"units": 10}}
    _, args = split_spec(spec, ())
    args["units"] = 3
    assert spec == {"Dense": {"units": 10}}


@pytest.mark.parametrize(
    "value, key_path",
    [
        ({"Dense": [10]}, ("m", "Dense")),
        ({"Dense": 1, "Flatten": None}, ("m",)),
        (7, ("m",)),
        ("", ("m",)),
    ],
)
def test_split_spec_errors_carry_the_key_path(value, key_path):
    with pytest.raises(SpecError) as caught:
        split_spec(value, ("m",), "layer")
    assert caught.value.key_path == key_path
    assert caught.value.hint and "{Dense: {units: 10}}" in caught.value.hint
