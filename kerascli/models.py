"""Building Keras objects from config specs, through Keras' own deserialization.

Every layer, optimizer, schedule, loss and metric is made by Keras' `deserialize`/`get` from a
`{"class_name", "config", "module"}` dict, so any class Keras ships works without a table here.
Errors Keras raises while building are turned into `ConfigError`s at the spec's key path.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from kerascli import catalog
from kerascli.config import CompileConfig, ModelConfig, format_key_path
from kerascli.errors import ConfigError, did_you_mean
from kerascli.specs import WIRING_KEYS, split_spec

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
# Arguments of callbacks that name files: they are placed inside the run directory.
_CALLBACK_PATH_ARGUMENTS = ("filepath", "filename", "log_dir")


def _keras_message(error: Exception) -> str:
    """The root cause of a Keras error: Keras wraps it in 'Exception encountered:' layers."""
    text = str(error).split("Exception encountered:")[-1].strip()
    return " ".join(text.split())[:300]


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
            value = [keras_config(item, nested, key_path + (name, argument, index))
                     if isinstance(item, dict) and len(item) == 1 else item
                     for index, item in enumerate(value)]
        config[argument] = value
    return {"class_name": name, "config": config, "module": module}


def _explain_arguments(cls, args: dict, message: str) -> tuple[str, str | None]:
    """Names an unknown argument (with did-you-mean) when Keras only said something was missing."""
    try:
        accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    except (TypeError, ValueError):
        return message, None
    base = {"name", "dtype", "trainable", "autocast", "input_shape", "input_dim", "batch_size",
            "input_dtype", "activity_regularizer"}
    unknown = [key for key in args if key not in accepted and key not in base]
    if unknown:
        return f"unknown argument {unknown[0]!r}", did_you_mean(unknown[0], accepted)
    return message, None


def build_layer(spec: Any, key_path: tuple):
    """Builds one layer from its spec.

    Raises:
        ConfigError: When Keras refuses the arguments.
    """
    import keras

    name, args = split_spec(spec, key_path, "layer")
    if name in catalog.REFUSED_LAYERS:
        raise ConfigError(format_key_path(key_path), f"{name} is refused",
                          catalog.REFUSED_LAYERS[name])
    args = {k: v for k, v in args.items() if k not in WIRING_KEYS}
    config = keras_config({name: args}, "keras.layers", key_path)
    where = format_key_path(key_path + (name,))
    cls = getattr(keras.layers, name, None)
    try:
        try:
            return keras.layers.deserialize(config)
        except KeyError:
            # Some layers' from_config expects every key get_config writes (Rescaling wants
            # `offset`); the constructor itself takes the arguments the user gave.
            if cls is None or any(isinstance(v, dict) for v in config["config"].values()):
                raise
            return cls(**config["config"])
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        message, hint = _keras_message(error), None
        if cls is not None:
            message, hint = _explain_arguments(cls, args, message)
        raise ConfigError(where, message, hint) from None


def build_sequential(specs: list, input_shape, *, name: str, key_path: tuple):
    """Stacks layers from their specs on an input of `input_shape` as a `keras.Sequential`.

    Args:
        specs: The layer specs, in order.
        input_shape: The input shape without the batch axis.
        name: The model's name.
        key_path: Where the list of specs is in the config, e.g. `("gan", "generator")`.

    Returns:
        The built `keras.Sequential`.

    Raises:
        ConfigError: When a layer cannot be built or does not fit the previous layer's output.
    """
    import keras

    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=tuple(input_shape)))
    for index, spec in enumerate(specs):
        layer = build_layer(spec, key_path + (index,))
        previous = tuple(model.layers[-1].output.shape) if model.layers else (None, *input_shape)
        try:
            model.add(layer)
        except (TypeError, ValueError) as error:
            raise ConfigError(format_key_path(key_path + (index, split_spec(spec, ())[0])),
                              f"does not fit the previous output of shape {previous}: "
                              f"{_keras_message(error)}") from None
    return model


def build_optimizer(spec: Any, key_path: tuple):
    """Builds an optimizer from a name or `{Name: {arguments}}` (schedules included).

    Raises:
        ConfigError: When Keras refuses it.
    """
    import keras

    optimizer = _get(keras.optimizers.get, spec, "keras.optimizers", key_path, "optimizer")
    return keras.optimizers.get(optimizer.lower()) if isinstance(optimizer, str) else optimizer


def build_model(config: ModelConfig):
    """Builds a Sequential or Functional `keras.Model` from the `model` section.

    Sequential models stack `layers` on `input_shape`. Functional models start from the named
    `inputs`; each layer takes `inputs:` (a name or a list of names of model inputs or earlier
    layers, by default the previous layer) and is referred to by its `name`; `outputs` lists the
    output layers (by default the last one).

    Args:
        config: The validated `model` section.

    Returns:
        An unbuilt-free (fully built) `keras.Model`.

    Raises:
        ConfigError: When a layer cannot be built or its inputs do not fit.
    """
    import keras

    if not config.functional:
        return build_sequential(config.layers, config.input_shape,
                                name=config.name or "sequential", key_path=("model", "layers"))

    tensors = {name: keras.Input(shape=tuple(shape), name=name)
               for name, shape in config.inputs.items()}
    previous = next(iter(tensors))
    for index, spec in enumerate(config.layers):
        key_path = ("model", "layers", index)
        name, args = split_spec(spec, key_path, "layer")
        reference = args.get("name") or f"{name.lower()}_{index}"
        sources = args.get("inputs", previous)
        layer = build_layer({name: {**args, "name": reference}}, key_path)
        inputs = tensors[sources] if isinstance(sources, str) else [tensors[s] for s in sources]
        try:
            tensors[reference] = layer(inputs)
        except (TypeError, ValueError) as error:
            raise ConfigError(format_key_path(key_path + (name,)),
                              f"cannot be applied to {sources}: {_keras_message(error)}") from None
        previous = reference
    outputs = [tensors[name] for name in (config.outputs or [previous])]
    inputs = list(tensors[name] for name in config.inputs)
    return keras.Model(inputs=inputs if len(inputs) > 1 else inputs[0],
                       outputs=outputs if len(outputs) > 1 else outputs[0],
                       name=config.name or "functional")


def build_augmentation(specs: list, key_path: tuple = ("data", "augment")):
    """Builds the augmentation layers as one `keras.Sequential`, or `None` when there are none."""
    import keras

    if not specs:
        return None
    return keras.Sequential([build_layer(spec, key_path + (index,))
                             for index, spec in enumerate(specs)], name="augmentation")


def _get(getter, spec: Any, module: str, key_path: tuple, kind: str):
    if isinstance(spec, str):
        return spec  # Keras resolves names itself in compile (and 'accuracy' depends on the loss).
    try:
        return getter(keras_config(spec, module, key_path))
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise ConfigError(format_key_path(key_path), f"invalid {kind}: "
                          f"{_keras_message(error)}") from None


def _per_output(value, build, output_names: list[str]):
    # `{CategoricalCrossentropy: {...}}` is one loss; `{digit: mse, box: mae}` is one per output.
    if isinstance(value, dict) and value and set(value) <= set(output_names):
        return {name: build(item, (name,)) for name, item in value.items()}
    return build(value, ())


def compile_model(model, config: CompileConfig) -> None:
    """Compiles `model` with the optimizer, loss(es) and metrics of the `compile` section.

    Raises:
        ConfigError: When Keras refuses an optimizer, loss or metric.
    """
    import keras

    optimizer = build_optimizer(config.optimizer, ("compile", "optimizer"))
    outputs = list(getattr(model, "output_names", None) or [model.layers[-1].name])
    loss = _per_output(config.loss, lambda spec, sub: _get(
        keras.losses.get, spec, "keras.losses", ("compile", "loss") + sub, "loss"), outputs)
    metrics = _per_output(config.metrics, lambda group, sub: [
        _get(keras.metrics.get, spec, "keras.metrics", ("compile", "metrics") + sub + (i,), "metric")
        for i, spec in enumerate(group)], outputs)
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics or None,
                      loss_weights=config.loss_weights,
                      steps_per_execution=config.steps_per_execution,
                      jit_compile=config.jit_compile)
    except (TypeError, ValueError, KeyError) as error:
        raise ConfigError("compile", _keras_message(error)) from None


def build_callbacks(specs: list, run_dir: Path) -> list:
    """Builds the `fit.callbacks`; file arguments are resolved inside the run directory.

    Raises:
        ConfigError: When a callback cannot be built, or a file argument leaves the run directory.
    """
    import keras

    callbacks = []
    for index, spec in enumerate(specs):
        key_path = ("fit", "callbacks", index)
        name, args = split_spec(spec, key_path, "callback")
        for argument in _CALLBACK_PATH_ARGUMENTS:
            if argument in args:
                target = (run_dir / str(args[argument])).resolve()
                if not target.is_relative_to(run_dir.resolve()):
                    raise ConfigError(format_key_path(key_path + (name, argument)),
                                      "must stay inside the run directory",
                                      "give a relative path such as best.keras")
                args[argument] = str(target)
        cls = getattr(keras.callbacks, name, None)
        if cls is None or name in catalog.REFUSED_CALLBACKS:
            raise ConfigError(format_key_path(key_path), f"unknown callback {name!r}",
                              catalog.REFUSED_CALLBACKS.get(name))
        try:
            callbacks.append(cls(**args))
        except (TypeError, ValueError) as error:
            message, hint = _explain_arguments(cls, args, _keras_message(error))
            raise ConfigError(format_key_path(key_path + (name,)), message, hint) from None
    return callbacks


def dry_run_error(model, x, y) -> str | None:
    """Evaluates two examples and returns Keras' complaint, or `None` when the data fits.

    One tiny step turns a model/data mismatch into a clear error before any real work starts.
    """
    sample = slice(0, 2)
    x_sample = {k: v[sample] for k, v in x.items()} if isinstance(x, dict) else x[sample]
    y_sample = tuple(t[sample] for t in y) if isinstance(y, tuple) else y[sample]
    try:
        model.test_on_batch(x_sample, y_sample)
    except (ValueError, TypeError) as error:
        return " ".join(str(error).split())[:300]
    return None


def as_probabilities(outputs):
    """Class probabilities from a classifier's outputs, `(N, classes)`.

    Models trained with `from_logits=True` output logits: they get a softmax (or a sigmoid for one
    unit). One sigmoid unit becomes the two columns `[1 - p, p]`.
    """
    import numpy as np

    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-1] == 1:
        if outputs.min() < 0.0 or outputs.max() > 1.0:
            outputs = 1.0 / (1.0 + np.exp(-outputs))
        return np.concatenate([1.0 - outputs, outputs], axis=-1)
    sums = outputs.sum(axis=-1)
    if outputs.min() < 0.0 or not np.allclose(sums, 1.0, atol=1e-3):
        shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        outputs = shifted / shifted.sum(axis=-1, keepdims=True)
    return outputs
