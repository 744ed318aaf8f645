"""The one-key syntax for anything Keras builds, and its checks before TensorFlow is imported.

A spec is a bare Keras name (`Flatten`, `adam`) or a one-key mapping from the name to its
arguments (`{Dense: {units: 10}}`). This module splits specs into (name, arguments) and checks the
names against Keras' exports (`catalog`) so that a misspelt layer gets a did-you-mean at once; the
arguments themselves are checked by Keras when `models` builds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerascli.config import keras_names as catalog
from kerascli.errors import article, did_you_mean

# Reserved keys in a Functional model's layer arguments: they wire the graph, Keras never sees them.
WIRING_KEYS = ("inputs",)
# YAML 1.1 has no float without a dot, so `1e-3` arrives as a string; Keras would fail obscurely.
_EXPONENT_STRING = re.compile(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+")


@dataclass
class SpecError(Exception):
    """A spec problem at `key_path` (a tuple of keys and indices into the config)."""

    key_path: tuple
    what: str
    hint: str | None = None
    inside: bool = False  # blame a `--set` of a key under `key_path` too


def split_spec(value: Any, key_path: tuple, kind: str = "object") -> tuple[str, dict]:
    """Splits a spec into its Keras name and its arguments.

    Args:
        value: A bare name or a one-key mapping `{Name: {arguments} or null}`.
        key_path: Where the spec is, for errors.
        kind: What the spec names (`layer`, `optimizer`, ...), for errors. Defaults to `"object"`.

    Returns:
        `(name, arguments)`; arguments is a new dict (empty for a bare name).

    Raises:
        SpecError: When the value has another shape.
    """
    example = "{Dense: {units: 10}}" if kind == "layer" else "{Name: {argument: value}}"
    if isinstance(value, str) and value:
        return value, {}
    if isinstance(value, dict) and len(value) == 1:
        name, args = next(iter(value.items()))
        if isinstance(name, str) and (args is None or isinstance(args, dict)):
            if args and any(not isinstance(key, str) for key in args):
                raise SpecError(key_path + (name,), "argument names must be strings")
            return name, dict(args or {})
        if isinstance(name, str):
            raise SpecError(
                key_path + (name,),
                f"the arguments of {name} must be a mapping, got {type(args).__name__}",
                f"write it as {example}",
            )
    if isinstance(value, dict) and len(value) > 1:
        keys = ", ".join(map(str, list(value)[:3]))
        raise SpecError(
            key_path,
            f"{article(kind)} {kind} is a one-key mapping, this one has keys {keys}",
            f"indent the arguments under the {kind} name: {example}",
        )
    raise SpecError(
        key_path,
        f"{article(kind)} {kind} is a name or a one-key mapping, got "
        f"{type(value).__name__} {value!r}"[:150],
        f"e.g. {example}",
    )


def _check_name(
    name: str,
    known: set[str],
    refused: dict[str, str],
    key_path: tuple,
    kind: str,
    case_insensitive: bool = False,
) -> None:
    if name in refused:
        raise SpecError(key_path, f"{name} is refused", refused[name])
    if not catalog.available():
        return  # Keras' namespaces could not be read; Keras itself checks when building.
    if name in known or (case_insensitive and name.lower() in {k.lower() for k in known}):
        return
    raise SpecError(key_path, f"unknown {kind} {name!r}", did_you_mean(name, known))


def _check_numbers(value: Any, here: tuple) -> None:
    """Refuses `1e-3`-style strings anywhere in an argument value, lists and mappings included."""
    if isinstance(value, str) and _EXPONENT_STRING.fullmatch(value):
        raise SpecError(
            here,
            f"{value!r} is a string, not a number",
            f"YAML 1.1 reads {value} as a string; write it as 1.0e-3 style, "
            "with a dot and a signed exponent",
        )
    items = (
        value.items()
        if isinstance(value, dict)
        else (enumerate(value) if isinstance(value, list) else ())
    )
    for key, item in items:
        _check_numbers(item, here + (key,))


def _check_arguments(args: dict, key_path: tuple) -> None:
    """Checks argument values that name Keras objects (activations, initializers, regularizers,
    constraints, nested layers and cells, schedules), at any depth."""
    for key, value in args.items():
        here = key_path + (key,)
        _check_numbers(value, here)
        if key == "activation" and isinstance(value, str):
            _check_name(value, catalog.activation_names(), {}, here, "activation")
        elif key.endswith("_initializer"):
            check_object(value, here, "initializer", catalog.initializer_names())
        elif key.endswith("_regularizer"):
            check_object(value, here, "regularizer", catalog.regularizer_names())
        elif key.endswith("_constraint"):
            check_object(value, here, "constraint", catalog.constraint_names())
        elif key in ("layer", "backward_layer", "cell"):
            # An RNN's cell may be a list of cells (stacked).
            for index, item in enumerate(value) if isinstance(value, list) else [(None, value)]:
                check_layer(item, here if index is None else here + (index,))
        elif key == "learning_rate" and isinstance(value, dict):
            check_object(value, here, "learning-rate schedule", catalog.schedule_names())


def check_object(
    value: Any,
    key_path: tuple,
    kind: str,
    known: set[str],
    refused: dict[str, str] | None = None,
    case_insensitive: bool = False,
) -> None:
    """Checks a spec's shape, its name against `known`, and the arguments that name objects."""
    if value is None or isinstance(value, (int, float)):
        return
    name, args = split_spec(value, key_path, kind)
    name_path = key_path + (name,) if isinstance(value, dict) else key_path
    _check_name(name, known, refused or {}, name_path, kind, case_insensitive)
    _check_arguments(args, name_path)


def check_layer(value: Any, key_path: tuple) -> tuple[str, dict]:
    """Checks one layer spec (a Keras layer or a `keras.applications` model); returns its (name,
    arguments)."""
    name, args = split_spec(value, key_path, "layer")
    name_path = key_path + (name,) if isinstance(value, dict) else key_path
    applications = catalog.application_names()
    _check_name(
        name, catalog.layer_names() | applications, catalog.REFUSED_LAYERS, name_path, "layer"
    )
    if name in applications:
        _check_backbone(args, name_path)
    else:
        _check_arguments({k: v for k, v in args.items() if k not in WIRING_KEYS}, name_path)
    return name, args


# The keys kerascli adds to a `keras.applications` model's arguments (the rest are Keras').
BACKBONE_KEYS = ("trainable", "preprocess", "batchnorm_momentum")
BACKBONE_PREPROCESS = ("auto", "none")
# A run directory's model; `runs.layout.MODEL_FILE`, which config (below runs) cannot import.
_RUN_MODEL = "model.keras"


def _check_backbone(args: dict, name_path: tuple) -> None:
    """A pretrained model's `weights` (null, imagenet, a file or a run directory), `trainable`,
    `preprocess` and `batchnorm_momentum`."""
    weights = args.get("weights", "imagenet")
    if weights is not None and not isinstance(weights, str):
        raise SpecError(
            name_path + ("weights",),
            f"must be null, imagenet, a weights file or a run directory, got {weights!r}",
        )
    if weights not in (None, "imagenet"):
        path = Path(weights)
        if path.is_dir() and not (path / _RUN_MODEL).is_file():
            raise SpecError(
                name_path + ("weights",),
                f"the folder {weights!r} has no {_RUN_MODEL}",
                "give a completed run directory, a .keras or .weights.h5 file, or imagenet",
            )
        if not path.exists():
            raise SpecError(
                name_path + ("weights",),
                f"no such weights file or run directory {weights!r}",
                "give a run directory, a .keras or .weights.h5 file, imagenet (the Keras "
                "cache) or null (random)",
            )
    if not isinstance(args.get("trainable", True), bool):
        raise SpecError(name_path + ("trainable",), "must be true or false")
    if args.get("preprocess", "auto") not in BACKBONE_PREPROCESS:
        raise SpecError(
            name_path + ("preprocess",),
            f"must be auto or none, got {args['preprocess']!r}",
            "auto applies the family's preprocess_input when the backbone has weights",
        )
    momentum = args.get("batchnorm_momentum")
    if momentum is not None and (
        isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 < momentum < 1
    ):
        raise SpecError(
            name_path + ("batchnorm_momentum",),
            f"must be a number between 0 and 1, got {momentum!r}",
            "0.9 suits a backbone trained from weights: null",
        )
    if "input_tensor" in args:
        raise SpecError(
            name_path + ("input_tensor",),
            "is set by kerascli",
            "the model takes the previous layer's output",
        )
