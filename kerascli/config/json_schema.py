"""The config's JSON Schema (draft 2020-12), for editors: `kerascli schema`.

The sections, their fields, descriptions and defaults come from the pydantic schema
(`model_json_schema`); the places that name Keras objects (layers, optimizers, losses, metrics,
callbacks, and the initializers, regularizers, constraints and activations inside layer
arguments) get the names the installed Keras exports, and every layer its constructor arguments,
both read from Keras' source by `keras_names` without importing it. The schema is for writing
configs; `load_config` stays the judge of what runs (cross-field rules, Functional wiring).
"""

from __future__ import annotations

import json
import re
from typing import Any

from kerascli.config import keras_names as catalog
from kerascli.config import keras_signatures
from kerascli.config.schema import ExperimentConfig
from kerascli.config.spec_places import SPEC_PLACES, SpecKind, SpecPlace

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Argument types read from the first words of a Keras docstring entry ("Positive integer, ...",
# "Float between 0 and 1", "Boolean, whether ..."); anything vaguer stays unconstrained.
_DOC_TYPES = [
    (
        re.compile(r"(an? )?(optional )?(positive |non-negative )?(int|integer)([,.;:]|\s*\(|$)"),
        "integer",
    ),
    (
        re.compile(
            r"(an? )?(optional )?(positive |non-negative )?(float|floating point)"
            r"([,.;:]|\s+between|\s*>=|\s*\(|$)"
        ),
        "number",
    ),
    (re.compile(r"(an? )?(optional )?(bool|boolean)([,.;:]|\s*\(|$)"), "boolean"),
    (re.compile(r"(an? )?(optional )?(str|string)([,.;:]|$)"), "string"),
]
# Argument names whose values name Keras objects, and the definition that lists those names.
_NAMED_ARGUMENTS = {
    "_initializer": "initializer",
    "_regularizer": "regularizer",
    "_constraint": "constraint",
}
_ACTIVATION_ARGUMENTS = ("activation", "recurrent_activation")
_WIRING = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    "description": "Functional models: the input or layer name(s) this layer takes.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _named_spec(names: set[str], description: str) -> dict:
    """A bare name or a one-key mapping from a name to its arguments (not checked here)."""
    ordered = sorted(names)
    return {
        "description": description,
        "anyOf": [
            {"type": "string", "enum": ordered},
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {name: {"type": ["object", "null"]} for name in ordered},
                "additionalProperties": False,
            },
        ],
    }


def _plain(value: Any) -> Any:
    """A Python literal as JSON holds it: tuples (Keras' shapes) become lists, at any depth."""
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _argument_type(name: str, argument: keras_signatures.Argument) -> dict:
    """What a layer argument may hold, where Keras' source says: its default, or its docstring."""
    default = argument.default
    for suffix, definition in _NAMED_ARGUMENTS.items():
        if name.endswith(suffix):
            return {"anyOf": [_ref(definition), {"type": ["number", "null"]}]}
    if name in _ACTIVATION_ARGUMENTS:
        return {"anyOf": [_ref("activation"), {"type": ["object", "null"]}]}
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, (int, float, tuple)):
        # Numbers and shapes: Keras takes an int or a tuple (written as a list) in many of them.
        return {"type": ["number", "array", "null"]}
    if default is None or default is keras_signatures.REQUIRED or isinstance(default, str):
        first_words = argument.doc.lower()
        for pattern, kind in _DOC_TYPES:
            if pattern.match(first_words):
                return {"type": [kind, "null"] if default is None else kind}
    return {}


def _layer_definition(name: str, signature: keras_signatures.Signature) -> dict:
    properties = {}
    for argument_name, argument in signature.arguments.items():
        prop = _argument_type(argument_name, argument)
        if argument.doc:
            prop["description"] = argument.doc
        if argument.default not in (keras_signatures.REQUIRED, keras_signatures.UNREADABLE):
            prop["default"] = _plain(argument.default)
        properties[argument_name] = prop
    properties.setdefault("inputs", _WIRING)
    required = [n for n, a in signature.arguments.items() if a.default is keras_signatures.REQUIRED]
    definition = {
        "type": ["object", "null"],
        "description": signature.summary or name,
        "properties": properties,
        "additionalProperties": not signature.complete,
    }
    if required:
        definition["required"] = required
    return definition


# A `keras.applications` model's arguments, as `specs._check_backbone` and
# `models.backbones.build_backbone` take them; the constructors differ (`alpha`, ...), so
# other arguments stay allowed.
_BACKBONE = {
    "type": ["object", "null"],
    "description": (
        "A pretrained keras.applications model, used like a layer on the previous layer's output."
    ),
    "properties": {
        "include_top": {"type": "boolean", "description": "Keep the ImageNet classifier head."},
        "weights": {
            "type": ["string", "null"],
            "description": (
                "imagenet (the Keras cache), a weights file, an earlier run directory or .keras "
                "file (its matching backbone's weights), or null (random)."
            ),
        },
        "pooling": {
            "enum": ["avg", "max", None],
            "description": ("Without the top: pool the last feature map to one vector."),
        },
        "trainable": {"type": "boolean", "description": "false freezes its weights."},
        "preprocess": {
            "enum": ["auto", "none"],
            "description": (
                "auto: a backbone with weights applies its family's preprocess_input inside the "
                "model; none: it takes the pixels as they come."
            ),
        },
        "batchnorm_momentum": {
            "type": "number",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 1,
            "description": (
                "Momentum of its BatchNormalization layers (0.9 for a backbone trained from "
                "weights: null; keras.applications set 0.99-0.999)."
            ),
        },
    },
}


def _layer_spec(signatures: dict[str, keras_signatures.Signature]) -> dict:
    backbones = catalog.application_names()
    names = sorted(catalog.layer_names() | backbones)
    return {
        "description": "A Keras layer (or a keras.applications model): `Name: {arguments}` "
        "or a bare `Name`.",
        "anyOf": [
            {"type": "string", "enum": names},
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {
                    name: _ref(f"layer.{name}")
                    if name in signatures
                    else _ref("backbone")
                    if name in backbones
                    else {"type": ["object", "null"]}
                    for name in names
                },
                "additionalProperties": False,
            },
        ],
    }


def _keras_definitions() -> dict[str, dict]:
    signatures = keras_signatures.layer_signatures()
    optimizers = catalog.optimizer_names()
    definitions = {
        "layer": _layer_spec(signatures),
        "backbone": _BACKBONE,
        "optimizer": _named_spec(
            optimizers | {n.lower() for n in optimizers},
            "A Keras optimizer: `adam`, or {Adam: {learning_rate: 0.001}}.",
        ),
        "loss": _named_spec(catalog.loss_names(), "A Keras loss by name or {Name: {arguments}}."),
        "metric": _named_spec(
            catalog.metric_names(), "A Keras metric by name or {Name: {arguments}}."
        ),
        "callback": _named_spec(catalog.callback_names(), "A Keras callback: {Name: {arguments}}."),
        "initializer": _named_spec(catalog.initializer_names(), "A Keras initializer."),
        "regularizer": _named_spec(catalog.regularizer_names(), "A Keras regularizer."),
        "constraint": _named_spec(catalog.constraint_names(), "A Keras weight constraint."),
        "activation": {
            "type": "string",
            "enum": sorted(catalog.activation_names()),
            "description": "A Keras activation function.",
        },
    }
    layers = {
        f"layer.{name}": _layer_definition(name, signature)
        for name, signature in signatures.items()
    }
    definitions.update(_shared_arguments(layers))
    definitions.update(layers)
    return definitions


def _shared_arguments(layers: dict[str, dict]) -> dict[str, dict]:
    """Moves argument schemas that many layers repeat word for word (`trainable`, `dtype`,
    `kernel_initializer`, ...) into shared definitions, in place; returns those definitions.

    The schema is read by editors on every keystroke and shipped in the repository: this keeps it
    about half the size without changing what it accepts.
    """
    counts: dict[str, int] = {}
    for layer in layers.values():
        for name, prop in layer["properties"].items():
            key = f"{name}:{json.dumps(prop, sort_keys=True)}"
            counts[key] = counts.get(key, 0) + 1
    shared: dict[str, dict] = {}
    names: dict[str, str] = {}
    variants: dict[str, int] = {}  # how many shared schemas an argument name has (`dtype.2`)
    for layer in layers.values():
        for name, prop in layer["properties"].items():
            key = f"{name}:{json.dumps(prop, sort_keys=True)}"
            if counts[key] < 3:
                continue
            if key not in names:
                variants[name] = variants.get(name, 0) + 1
                names[key] = f"argument.{name}" + (
                    f".{variants[name]}" if variants[name] > 1 else ""
                )
                shared[names[key]] = prop
            layer["properties"][name] = _ref(names[key])
    return shared


def _place(properties: dict, field: str, schema: dict) -> None:
    """Puts a Keras definition at a field, keeping pydantic's description and default."""
    kept = {
        key: properties[field][key]
        for key in ("title", "description", "default")
        if key in properties[field]
    }
    properties[field] = {**kept, **schema}


# How each place's schema describes its mapping per output name.
_PER_OUTPUT = {
    SpecKind.LOSS: "A loss per output name.",
    SpecKind.METRIC: "Metrics per output name.",
}


def _place_schema(place: SpecPlace) -> dict:
    """The schema of one place of Keras specs (`spec_places`): a spec of its kind, or a list of
    them, or either per output name."""
    schema: dict = _ref(place.kind.value)
    if place.many:
        schema = {"type": "array", "items": schema}
        if place.at_least_one:
            schema["minItems"] = 1
    if place.per_output:
        per_output = {
            "type": "object",
            "description": _PER_OUTPUT[place.kind],
            "additionalProperties": schema,
        }
        schema = {"anyOf": [schema, per_output]}
    return schema


def config_schema(partial: bool = False) -> dict[str, Any]:
    """The JSON Schema of an experiment config.

    Args:
        partial: For a file that is composed with others (`kerascli train base.yaml quick.yaml`):
            no section or field is required, everything else is checked as in a whole config.
            Defaults to False.

    Returns:
        A draft 2020-12 JSON Schema as a JSON-serializable dict.
    """
    schema = ExperimentConfig.model_json_schema()
    definitions = schema["$defs"]
    for place in SPEC_PLACES:
        _place(definitions[place.schema]["properties"], place.field, _place_schema(place))
    # A stage's own callbacks (`fit.stages[*].callbacks[*]`): the one place inside a list of
    # sections, which the one list of places (`SPEC_PLACES`) does not describe.
    _place(
        definitions["StageConfig"]["properties"],
        "callbacks",
        {"type": "array", "items": _ref("callback")},
    )
    if partial:
        # The config's own sections only: a layer's required arguments stay required, because a
        # later file replaces a list of layers whole.
        for section in [schema, *(definitions[name] for name in list(definitions))]:
            section.pop("required", None)
    definitions.update(_keras_definitions())
    title = "kerascli config file composed with others" if partial else "kerascli experiment config"
    return {"$schema": DRAFT, **schema, "title": title}
