"""Tests for the config's JSON Schema: checked with the real `jsonschema` validator (draft 2020-12).

The example configs must pass, and the mistakes users make (a misspelt key, layer or argument, a
wrong-typed argument, an unknown optimizer) must be flagged by the schema alone, as an editor
shows them. The layer arguments are read from Keras' source; they are compared with the installed
Keras itself here (importing it, which the schema never does).
"""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from kerascli.config import keras_names as catalog
from kerascli.config import keras_signatures
from kerascli.config.json_schema import DRAFT, config_schema

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
SHIPPED = REPO / "schema" / "kerascli.schema.json"


@pytest.fixture(scope="module")
def schema() -> dict:
    return config_schema()


@pytest.fixture(scope="module")
def validator(schema) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_schema_is_a_draft_2020_12_schema(schema):
    assert schema["$schema"] == DRAFT
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_example_config_is_valid(validator, path):
    errors = [
        f"{list(e.absolute_path)}: {e.message[:200]}"
        for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))
    ]
    assert not errors, errors


def _cnn() -> dict:
    return yaml.safe_load((REPO / "configs" / "mnist_cnn.yaml").read_text(encoding="utf-8"))


def _set(config: dict, path: list, value) -> dict:
    config = copy.deepcopy(config)
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return config


# Each mistake, where the schema flags it, and a fragment of its message.
@pytest.mark.parametrize(
    "where, value, flagged_at, fragment",
    [
        pytest.param(["fit", "epoch"], 3, ["fit"], "'epoch' was unexpected", id="misspelt-key"),
        pytest.param(
            ["data", "sorce"], "mnist", ["data"], "'sorce' was unexpected", id="misspelt-data-key"
        ),
        pytest.param(
            ["fit", "epochs"],
            "5",
            ["fit", "epochs"],
            "is not of type 'integer'",
            id="quoted-number",
        ),
        pytest.param(
            ["model", "layers", 4],
            {"Dense2": {"units": 10}},
            ["model", "layers", 4],
            "'Dense2' was unexpected",
            id="misspelt-layer",
        ),
        pytest.param(
            ["model", "layers", 0, "Conv2D", "kernel_sise"],
            3,
            ["model", "layers", 0, "Conv2D"],
            "'kernel_sise' was unexpected",
            id="misspelt-layer-argument",
        ),
        pytest.param(
            ["model", "layers", 4, "Dense", "units"],
            "ten",
            ["model", "layers", 4, "Dense", "units"],
            "'ten' is not of type 'integer'",
            id="wrong-typed-argument",
        ),
        pytest.param(
            ["model", "layers", 4, "Dense", "use_bias"],
            "yes",
            ["model", "layers", 4, "Dense", "use_bias"],
            "'yes' is not of type 'boolean'",
            id="wrong-typed-boolean-argument",
        ),
        pytest.param(
            ["model", "layers", 0, "Conv2D", "padding"],
            3,
            ["model", "layers", 0, "Conv2D", "padding"],
            "3 is not of type 'string'",
            id="wrong-typed-string-argument",
        ),
        pytest.param(
            ["model", "layers", 3, "Dense", "kernel_initializer"],
            "glorot_unifrom",
            ["model", "layers", 3, "Dense", "kernel_initializer"],
            "glorot_unifrom",
            id="misspelt-initializer",
        ),
        pytest.param(
            ["model", "layers", 3, "Dense", "activation"],
            "rleu",
            ["model", "layers", 3, "Dense", "activation"],
            "'rleu' is not one of",
            id="misspelt-activation",
        ),
        pytest.param(
            ["compile", "optimizer"],
            "adamm",
            ["compile", "optimizer"],
            "'adamm' is not one of",
            id="misspelt-optimizer",
        ),
        pytest.param(
            ["compile", "loss"],
            "categorical_crossentropyy",
            ["compile", "loss"],
            "is not one of",
            id="misspelt-loss",
        ),
        pytest.param(
            ["fit", "callbacks", 0],
            {"EarlyStoping": {"patience": 2}},
            ["fit", "callbacks", 0],
            "'EarlyStoping' was unexpected",
            id="misspelt-callback",
        ),
    ],
)
def test_mistakes_are_flagged_by_the_schema_alone(validator, where, value, flagged_at, fragment):
    errors = list(validator.iter_errors(_set(_cnn(), where, value)))
    assert errors, "the schema accepted the mistake"
    best = best_match(errors)
    assert list(best.absolute_path) == flagged_at, (list(best.absolute_path), best.message)
    assert fragment in best.message, best.message


def test_each_layer_argument_the_config_examples_use_is_known(validator):
    good = _set(
        _cnn(),
        ["model", "layers", 3, "Dense"],
        {
            "units": 64,
            "activation": "relu",
            "use_bias": False,
            "name": "hidden",
            "kernel_initializer": {"HeNormal": {"seed": 1}},
            "kernel_regularizer": "l2",
            "trainable": True,
            "dtype": "float32",
        },
    )
    assert not list(validator.iter_errors(good))


def test_every_field_has_a_description_and_its_default(schema):
    sections = [name for name in schema["$defs"] if name[0].isupper()]
    assert {"DataConfig", "ModelConfig", "CompileConfig", "FitConfig", "GanConfig"} <= set(sections)
    for name in sections:
        definition = schema["$defs"][name]
        required = set(definition.get("required", []))
        for field, prop in definition["properties"].items():
            assert prop.get("description"), f"{name}.{field} has no description"
            assert field in required or "default" in prop, f"{name}.{field} has no default"
    assert schema["$defs"]["FitConfig"]["properties"]["epochs"]["default"] == 10


@pytest.mark.parametrize(
    "definition, names",
    [
        ("layer", ["Dense", "Conv2D", "Flatten", "BatchNormalization", "LSTM"]),
        ("optimizer", ["Adam", "adam", "SGD", "RMSprop"]),
        ("loss", ["categorical_crossentropy", "BinaryCrossentropy", "mse"]),
        ("metric", ["accuracy", "Precision", "AUC"]),
        ("callback", ["EarlyStopping", "ReduceLROnPlateau"]),
        ("initializer", ["glorot_uniform", "HeNormal"]),
    ],
)
def test_the_keras_names_are_listed(schema, definition, names):
    bare = schema["$defs"][definition]["anyOf"][0]["enum"]
    assert set(names) <= set(bare)


def test_refused_layers_are_not_offered(schema):
    bare = set(schema["$defs"]["layer"]["anyOf"][0]["enum"])
    assert not bare & set(catalog.REFUSED_LAYERS)
    assert "layer.Lambda" not in schema["$defs"]


@pytest.mark.parametrize("partial", [False, True], ids=["whole", "partial"])
def test_the_shipped_schema_files_are_up_to_date(partial):
    shipped = SHIPPED.with_name("kerascli.partial.schema.json") if partial else SHIPPED
    assert shipped.is_file(), "regenerate it: make schema"
    assert shipped.read_text(encoding="utf-8") == json.dumps(config_schema(partial), indent=2) + (
        "\n"
    ), f"{shipped.name} is stale: regenerate it with `make schema`"


OVERLAY = {
    "fit": {"epochs": 1},
    "data": {"limit": {"train": 2000}},
    "compile": {"optimizer": {"SGD": {"momentum": 0.9}}},
}


def test_the_partial_schema_takes_a_file_composed_with_others(validator):
    partial = Draft202012Validator(config_schema(partial=True))
    assert not list(partial.iter_errors(OVERLAY))
    assert (
        "'data' is a required property"
        in best_match(validator.iter_errors({"fit": {"epochs": 1}})).message
    )  # the whole-config schema wants every section
    misspelt = best_match(partial.iter_errors({"fit": {"epoch": 1}}))
    assert "'epoch' was unexpected" in misspelt.message
    layer = best_match(
        partial.iter_errors({"model": {"layers": [{"Dense": {"activation": "relu"}}]}})
    )
    assert "'units' is a required property" in layer.message  # a layer is still whole


# --------------------------------------------------------------------------------------------
# The layer arguments, read from Keras' source, against the installed Keras itself


def test_layer_arguments_match_the_installed_keras():
    import keras

    signatures = keras_signatures.layer_signatures()
    assert set(signatures) == catalog.layer_names()
    for name, signature in signatures.items():
        parameters = inspect.signature(getattr(keras.layers, name).__init__).parameters
        explicit = {
            p.name: p
            for p in parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        assert set(explicit) <= set(signature.arguments), (
            name,
            set(explicit) - set(signature.arguments),
        )
        for argument_name, parameter in explicit.items():
            read = signature.arguments[argument_name].default
            if parameter.default is parameter.empty:
                assert read is keras_signatures.REQUIRED, (name, argument_name)
            elif read is not keras_signatures.UNREADABLE:
                assert read == parameter.default, (name, argument_name, read)


@pytest.mark.parametrize(
    "name, required",
    [
        ("Dense", {"units": 3}),
        ("Conv2D", {"filters": 2, "kernel_size": 3}),
        ("Dropout", {"rate": 0.1}),
        ("BatchNormalization", {}),
        ("LSTM", {"units": 2}),
        ("MaxPooling2D", {}),
        ("RandomFlip", {}),
        ("Embedding", {"input_dim": 5, "output_dim": 2}),
    ],
)
def test_keras_accepts_every_argument_the_schema_offers(name, required):
    import keras

    signature = keras_signatures.layer_signatures()[name]
    assert signature.complete
    arguments = {
        **{
            argument_name: argument.default
            for argument_name, argument in signature.arguments.items()
            if argument.default not in (keras_signatures.REQUIRED, keras_signatures.UNREADABLE)
        },
        **required,
    }
    layer = getattr(keras.layers, name)(**arguments)  # raises on an argument Keras does not take
    assert isinstance(layer, keras.layers.Layer)
    with pytest.raises((TypeError, ValueError)):
        getattr(keras.layers, name)(**required, not_an_argument=1)


MODELINE = "# yaml-language-server: $schema="


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_example_config_points_its_editor_at_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE), first
    # VS Code's YAML extension resolves the path relative to the file.
    assert (path.parent / first.removeprefix(MODELINE)).resolve() == SHIPPED.resolve()


def test_pretrained_backbones_are_layers_in_the_schema(validator):
    config = _cnn()
    config["model"]["layers"] = [
        {
            "MobileNetV2": {
                "include_top": False,
                "weights": None,
                "pooling": "avg",
                "trainable": False,
                "alpha": 0.35,
            }
        },
        "Flatten",
    ]
    assert list(validator.iter_errors(config)) == []
    config["model"]["layers"][0] = {"MobileNetV2": {"pooling": "mean"}}
    error = best_match(validator.iter_errors(config))
    assert error is not None and "'mean' is not one of" in error.message
    config["model"]["layers"][0] = {"MobileNetV3": {}}  # not a Keras application
    assert list(validator.iter_errors(config)) != []
