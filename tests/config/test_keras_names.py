"""Tests for the catalog of Keras names, read from the installed Keras without importing it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascli.config import keras_names as catalog

REPO = Path(__file__).resolve().parents[2]


def _run(script: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )


def test_catalog_reads_keras_names_without_importing_keras():
    result = _run(
        "import sys, kerascli.config.keras_names as c\n"
        "assert 'Dense' in c.layer_names()\n"
        "assert 'Adam' in c.optimizer_names() and 'ExponentialDecay' in c.schedule_names()\n"
        "assert 'mse' in c.loss_names() and 'accuracy' in c.metric_names()\n"
        "assert 'EarlyStopping' in c.callback_names() and 'relu' in c.activation_names()\n"
        "assert 'glorot_uniform' in c.initializer_names()\n"
        "assert c.available()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, "
        "[m for m in sys.modules if m.startswith(('keras', 'tensorflow'))]\n"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_keras_is_installed_where_the_catalog_looks():
    spec = importlib.util.find_spec("keras")
    assert spec is not None and spec.submodule_search_locations
    assert Path(spec.submodule_search_locations[0], "layers", "__init__.py").is_file()
    assert catalog.available()


@pytest.mark.parametrize(
    "function, names",
    [
        (
            catalog.layer_names,
            [
                "Dense",
                "Conv2D",
                "Conv2DTranspose",
                "MaxPooling2D",
                "MaxPool2D",
                "Flatten",
                "Dropout",
                "BatchNormalization",
                "LeakyReLU",
                "LSTM",
                "Bidirectional",
                "Concatenate",
                "Add",
                "RandomFlip",
                "RandomRotation",
                "Reshape",
                "Embedding",
            ],
        ),
        (catalog.optimizer_names, ["Adam", "AdamW", "SGD", "RMSprop", "Nadam"]),
        (catalog.schedule_names, ["ExponentialDecay", "CosineDecay", "PiecewiseConstantDecay"]),
        (
            catalog.loss_names,
            [
                "categorical_crossentropy",
                "CategoricalCrossentropy",
                "sparse_categorical_crossentropy",
                "binary_crossentropy",
                "mse",
                "mae",
                "MeanSquaredError",
                "mean_squared_error",
                "huber",
                "kl_divergence",
            ],
        ),
        (
            catalog.metric_names,
            [
                "accuracy",
                "acc",
                "Accuracy",
                "categorical_accuracy",
                "Precision",
                "Recall",
                "F1Score",
                "AUC",
                "mae",
                "top_k_categorical_accuracy",
            ],
        ),
        (
            catalog.callback_names,
            [
                "EarlyStopping",
                "ReduceLROnPlateau",
                "ModelCheckpoint",
                "CSVLogger",
                "TerminateOnNaN",
                "TensorBoard",
            ],
        ),
        (catalog.activation_names, ["relu", "softmax", "sigmoid", "tanh", "gelu", "leaky_relu"]),
        (
            catalog.initializer_names,
            [
                "GlorotUniform",
                "glorot_uniform",
                "HeNormal",
                "he_normal",
                "Zeros",
                "zeros",
                "RandomNormal",
            ],
        ),
    ],
)
def test_known_names(function, names):
    known = function()
    missing = [name for name in names if name not in known]
    assert not missing


@pytest.mark.parametrize(
    "function, names",
    [
        (
            catalog.layer_names,
            [
                "Lambda",
                "TFSMLayer",
                "TorchModuleWrapper",
                "JaxLayer",
                "FlaxLayer",
                "Layer",
                "Input",
                "InputLayer",
                "InputSpec",
                "Wrapper",
            ],
        ),
        (
            catalog.callback_names,
            [
                "LambdaCallback",
                "RemoteMonitor",
                "Callback",
                "CallbackList",
                "History",
                "ProgbarLogger",
                "BackupAndRestore",
                "LearningRateScheduler",
            ],
        ),
        (catalog.optimizer_names, ["Optimizer", "LossScaleOptimizer"]),
        (catalog.schedule_names, ["LearningRateSchedule"]),
        (catalog.loss_names, ["Loss", "get", "serialize", "deserialize", "Reduction"]),
        (catalog.metric_names, ["Metric", "get", "serialize", "deserialize"]),
        (catalog.activation_names, ["get", "serialize", "deserialize"]),
        (catalog.initializer_names, ["Initializer", "get", "serialize", "deserialize"]),
    ],
)
def test_excluded_names(function, names):
    present = [name for name in names if name in function()]
    assert not present


def test_every_refused_name_has_a_reason_and_is_excluded():
    assert set(catalog.REFUSED_LAYERS).isdisjoint(catalog.layer_names())
    assert set(catalog.REFUSED_CALLBACKS).isdisjoint(catalog.callback_names())
    for reason in [*catalog.REFUSED_LAYERS.values(), *catalog.REFUSED_CALLBACKS.values()]:
        assert isinstance(reason, str) and len(reason) > 10


def test_refused_layers_exist_in_keras():
    # Refusing a name Keras does not ship would hide a typo in the refusal table itself.
    exported = catalog._exports("layers")
    assert {"Lambda", "TFSMLayer"} <= exported
    assert {"LambdaCallback", "LearningRateScheduler"} <= catalog._exports("callbacks")


def test_no_private_names():
    for function in (
        catalog.layer_names,
        catalog.optimizer_names,
        catalog.loss_names,
        catalog.metric_names,
        catalog.callback_names,
        catalog.activation_names,
        catalog.initializer_names,
        catalog.schedule_names,
    ):
        assert not [name for name in function() if name.startswith("_")]


def test_class_namespaces_hold_only_classes():
    for function in (
        catalog.layer_names,
        catalog.optimizer_names,
        catalog.callback_names,
        catalog.schedule_names,
    ):
        assert all(name[:1].isupper() for name in function())


@pytest.mark.parametrize(
    "name, snake",
    [
        ("CategoricalCrossentropy", "categorical_crossentropy"),
        ("MeanSquaredError", "mean_squared_error"),
        ("KLDivergence", "kl_divergence"),
        ("HeNormal", "he_normal"),
        ("GlorotUniform", "glorot_uniform"),
        ("AUC", "auc"),
        ("F1Score", "f1_score"),
        ("TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
    ],
)
def test_snake_case_matches_keras_aliases(name, snake):
    assert catalog._snake_case(name) == snake


def test_unknown_namespace_is_empty():
    assert catalog._exports("no_such_namespace") == frozenset()
