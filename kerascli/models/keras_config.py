"""From the config's one-key specs to the dicts Keras' own `deserialize` functions read.

Every layer, optimizer, schedule, loss and metric is made by Keras' `deserialize`/`get` from a
`{"class_name", "config", "module"}` dict, so any class Keras ships works without a table here.
"""

from __future__ import annotations

import inspect
from typing import Any

from kerascli.config.specs import split_spec
from kerascli.errors import did_you_mean

# Argument names whose values are themselves Keras objects, and the namespace to find them in.
_NESTED_MODULES = {
    "layer": "keras.layers",
    "backward_layer": "keras.layers",
    "cell": "keras.layers",
    "learning_rate": "keras.optimizers.schedules",
}
_NESTED_SUFFIXES = {
    "_initializer": "keras.initializers",
    "_regularizer": "keras.regularizers",
    "_constraint": "keras.constraints",
}


def _nested_module(argument: str) -> str | None:
    if argument in _NESTED_MODULES:
        return _NESTED_MODULES[argument]
    return next((m for suffix, m in _NESTED_SUFFIXES.items() if argument.endswith(suffix)), None)


def keras_config(spec: Any, module: str, key_path: tuple = ()) -> Any:
    """Converts a one-key spec into the dict Keras' `deserialize` functions read.

    Arguments that hold Keras objects (`kernel_initializer: {HeNormal: {seed: 1}}`, a wrapped
    `layer`, a `learning_rate` schedule) are converted too.

    Args:
        spec: A name or `{Name: {arguments}}`.
        module: The Keras namespace the class lives in, e.g. `"keras.layers"`.
        key_path: Where the spec is, for errors. Defaults to `()`.

    Returns:
        `{"class_name": ..., "config": {...}, "module": module}`.
    """
    name, args = split_spec(spec, key_path)
    config = {}
    for argument, value in args.items():
        nested = _nested_module(argument)
        if nested and isinstance(value, dict) and len(value) == 1:
            value = keras_config(value, nested, key_path + (name, argument))
        elif nested and isinstance(value, list):  # stacked RNN cells
            value = [
                keras_config(item, nested, key_path + (name, argument, index))
                if isinstance(item, dict) and len(item) == 1
                else item
                for index, item in enumerate(value)
            ]
        config[argument] = value
    return {"class_name": name, "config": config, "module": module}


def explain_arguments(cls, args: dict, message: str) -> tuple[str, str | None]:
    """Names an unknown argument (with did-you-mean) when Keras only said something was missing."""
    try:
        accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    except (TypeError, ValueError):
        return message, None
    base = {
        "name",
        "dtype",
        "trainable",
        "autocast",
        "input_shape",
        "input_dim",
        "batch_size",
        "input_dtype",
        "activity_regularizer",
    }
    unknown = [key for key in args if key not in accepted and key not in base]
    if unknown:
        return f"unknown argument {unknown[0]!r}", did_you_mean(unknown[0], accepted)
    return message, None
