"""The one list of places Keras specs may appear: each place is overridable into, checked, and
described in the JSON Schema, all from `SPEC_PLACES`."""

from __future__ import annotations

import copy

import pytest

from kerascli.config.json_schema import config_schema
from kerascli.config.loading import validate_data
from kerascli.config.overrides import apply_overrides
from kerascli.config.spec_places import SPEC_PLACES, SpecKind, is_spec_slot
from kerascli.config.yaml_source import YamlDocument
from kerascli.errors import ConfigError
from tests.config.test_specs import BASE, FUNCTIONAL, WHERE

GAN = {
    "name": "gan",
    "data": {"source": "mnist", "preprocess": {"reshape": [28, 28, 1], "range": [-1, 1]}},
    "gan": {
        "latent_dim": 8,
        "generator": [
            {"Dense": {"units": 784, "activation": "tanh"}},
            {"Reshape": {"target_shape": [28, 28, 1]}},
        ],
        "discriminator": ["Flatten", {"Dense": {"units": 1}}],
    },
    "fit": {"epochs": 1},
}

# place, its key path pattern, what its specs build, a config, where an unknown name goes in
# it, and the line the user reads.
TABLE = [
    ("model.layers[*]", SpecKind.LAYER, BASE, ("model", "layers", 1), {"Dense2": {"units": 3}},
     "model.layers[1].Dense2: unknown layer 'Dense2' (did you mean 'Dense'?)"),
    ("data.augment[*]", SpecKind.LAYER, BASE, ("data", "augment"), ["RandomFlop"],
     "data.augment[0]: unknown layer 'RandomFlop' (did you mean 'RandomFlip'?)"),
    ("gan.generator[*]", SpecKind.LAYER, GAN, ("gan", "generator", 0), {"Dens": {"units": 784}},
     "gan.generator[0].Dens: unknown layer 'Dens' (did you mean 'Dense'?)"),
    ("gan.generator_optimizer", SpecKind.OPTIMIZER, GAN, ("gan", "generator_optimizer"), "adamm",
     "gan.generator_optimizer: unknown optimizer 'adamm' (did you mean 'Adam'?)"),
    ("gan.discriminator[*]", SpecKind.LAYER, GAN, ("gan", "discriminator", 0), "Flaten",
     "gan.discriminator[0]: unknown layer 'Flaten' (did you mean 'Flatten'?)"),
    ("gan.discriminator_optimizer", SpecKind.OPTIMIZER, GAN, ("gan", "discriminator_optimizer"),
     "sgdd", "gan.discriminator_optimizer: unknown optimizer 'sgdd' (did you mean 'SGD'?)"),
    ("compile.optimizer", SpecKind.OPTIMIZER, BASE, ("compile", "optimizer"), "adamm",
     "compile.optimizer: unknown optimizer 'adamm' (did you mean 'Adam'?)"),
    ("compile.loss", SpecKind.LOSS, FUNCTIONAL, ("compile", "loss"), {"digit": "msee"},
     "compile.loss.digit: unknown loss 'msee' (did you mean 'mse'?)"),
    ("compile.metrics[*]", SpecKind.METRIC, BASE, ("compile", "metrics"), ["acuracy"],
     "compile.metrics[0]: unknown metric 'acuracy' (did you mean 'accuracy'?)"),
    ("fit.callbacks[*]", SpecKind.CALLBACK, BASE, ("fit", "callbacks"), [{"EarlyStoping": {}}],
     "fit.callbacks[0].EarlyStoping: unknown callback 'EarlyStoping' (did you mean "
     "'EarlyStopping'?)"),
]  # fmt: skip


def validate(data: dict):
    return validate_data(data, YamlDocument(path=WHERE, data=data))


def put(data: dict, key_path: tuple, value) -> dict:
    data = copy.deepcopy(data)
    node = data
    for key in key_path[:-1]:
        node = node[key]
    node[key_path[-1]] = value
    return data


def test_the_table_covers_every_place_once():
    assert [row[0] for row in TABLE] == [place.path for place in SPEC_PLACES]


@pytest.mark.parametrize("path, kind, config, key_path, spec, message", TABLE)
def test_each_place_is_checked(path, kind, config, key_path, spec, message):
    place = next(place for place in SPEC_PLACES if place.path == path)
    assert place.kind is kind
    validate(config)  # the config itself is valid

    with pytest.raises(ConfigError) as raised:
        validate(put(config, key_path, spec))

    assert raised.value.format() == f"{WHERE}: {message}"


@pytest.mark.parametrize("place", SPEC_PLACES, ids=lambda place: place.path)
def test_each_place_is_a_field_of_the_schema_holding_its_kind(place):
    schema = config_schema()
    field = schema["$defs"][place.schema]["properties"][place.field]
    text = str(field)
    assert f"'#/$defs/{place.kind.value}'" in text
    assert field.get("description"), "pydantic's description is kept"
    assert ("'type': 'array'" in text) is place.many
    assert ("anyOf" in field) is place.per_output
    assert ("'minItems': 1" in text) is place.at_least_one


@pytest.mark.parametrize(
    "key_path, holds",
    [
        (("model", "layers", 0), True),
        (("model", "layers"), False),
        (("model", "layers", 0, "Dense"), False),
        (("compile", "optimizer"), True),
        (("compile", "optimizer", 0), False),
        (("compile", "metrics", 2), True),
        (("fit", "callbacks", 1), True),
        (("gan", "generator", 3), True),
        (("gan", "discriminator_optimizer"), True),
        (("data", "augment", 0), True),
        (("data", "preprocess"), False),
        (("fit", "epochs"), False),
    ],
)
def test_spec_slots(key_path, holds):
    assert is_spec_slot(key_path) is holds


@pytest.mark.parametrize(
    "config, override, key_path, value",
    [
        (
            BASE,
            "model.layers[1].units=7",
            ("model", "layers", 1),
            {"Dense": {"units": 7, "activation": "relu"}},
        ),
        (
            BASE,
            "compile.optimizer.learning_rate=0.01",
            ("compile", "optimizer"),
            {"adam": {"learning_rate": 0.01}},
        ),
        (
            BASE,
            "compile.metrics[0].name=acc",
            ("compile", "metrics", 0),
            {"accuracy": {"name": "acc"}},
        ),
        (
            GAN,
            "gan.discriminator[0].name=flat",
            ("gan", "discriminator", 0),
            {"Flatten": {"name": "flat"}},
        ),
        (
            GAN,
            "gan.generator_optimizer.Adam.beta_1=0.5",
            ("gan", "generator_optimizer"),
            {"Adam": {"beta_1": 0.5}},
        ),
    ],
)
def test_overrides_reach_the_arguments_of_a_spec_at_each_kind_of_place(
    config, override, key_path, value
):
    data = copy.deepcopy(config)
    apply_overrides(data, [override])

    node = data
    for key in key_path:
        node = node[key]
    assert node == value
    validate(data)


@pytest.mark.parametrize(
    "place_path, value, outputs, specs",
    [
        ("compile.loss", "mse", set(), [(("compile", "loss"), "mse")]),
        (
            "compile.loss",
            {"Huber": {"delta": 2}},
            set(),
            [(("compile", "loss"), {"Huber": {"delta": 2}})],
        ),
        (
            "compile.loss",
            {"a": "mse", "b": "mae"},
            {"a", "b"},
            [(("compile", "loss", "a"), "mse"), (("compile", "loss", "b"), "mae")],
        ),
        (
            "compile.metrics[*]",
            ["mae", "mse"],
            set(),
            [(("compile", "metrics", 0), "mae"), (("compile", "metrics", 1), "mse")],
        ),
        ("compile.metrics[*]", {"a": ["mae"]}, {"a"}, [(("compile", "metrics", "a", 0), "mae")]),
        ("fit.callbacks[*]", [], set(), []),
    ],
)
def test_the_specs_a_place_holds(place_path, value, outputs, specs):
    place = next(place for place in SPEC_PLACES if place.path == place_path)
    assert list(place.specs(value, outputs)) == specs
