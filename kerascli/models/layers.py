"""Building layers and models from the `model` section and the GAN's layer stacks.

Sequential stacks take an input shape; Functional models are wired by
`config.wiring.functional_wiring`, the one home of the naming and wiring rule. Errors Keras raises
while building are turned into `ConfigError`s at the spec's key path.
"""

from __future__ import annotations

from typing import Any

from kerascli.config.keras_names import REFUSED_LAYERS
from kerascli.config.keys import format_key_path
from kerascli.config.schema import ModelConfig
from kerascli.config.specs import WIRING_KEYS, split_spec
from kerascli.config.wiring import functional_wiring
from kerascli.errors import ConfigError, one_line
from kerascli.models.augmentation import MIXING_LAYERS, BatchAugmentation
from kerascli.models.backbones import build_backbone, is_backbone
from kerascli.models.keras_config import explain_arguments, keras_config


def build_layers(spec: Any, key_path: tuple, input_shape: tuple | None = None) -> list:
    """Builds the layers one spec stands for: one Keras layer, or a `keras.applications` model
    with its input scaling in front (`backbones.build_backbone`).

    Raises:
        ConfigError: When Keras refuses the arguments.
    """
    name, args = split_spec(spec, key_path, "layer")
    if is_backbone(name):
        args = {k: v for k, v in args.items() if k not in WIRING_KEYS}
        return build_backbone(name, args, input_shape, key_path)
    return [build_layer(spec, key_path, input_shape)]


def build_layer(spec: Any, key_path: tuple, input_shape: tuple | None = None):
    """Builds one layer from its spec: a Keras layer, or a `keras.applications` model (without
    its input scaling: `build_layers` adds that).

    Args:
        spec: The layer spec.
        key_path: Where it is in the config.
        input_shape: What the layer takes, without the batch axis: a pretrained model is built
            on it (see `backbones`). Defaults to `None`.

    Raises:
        ConfigError: When Keras refuses the arguments.
    """
    import keras

    name, args = split_spec(spec, key_path, "layer")
    if name in REFUSED_LAYERS:  # checked with the config too; kept here as a second lock
        raise ConfigError(format_key_path(key_path), f"{name} is refused", REFUSED_LAYERS[name])
    args = {k: v for k, v in args.items() if k not in WIRING_KEYS}
    if is_backbone(name):
        return build_backbone(name, args, input_shape, key_path)[-1]
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
        message, hint = one_line(error, 300), None
        if cls is not None:
            message, hint = explain_arguments(cls, args, message)
        raise ConfigError(where, message, hint) from None


def build_sequential(
    specs: list, input_shape, *, name: str, key_path: tuple, dtype: str | None = None
):
    """Stacks layers from their specs on an input of `input_shape` as a `keras.Sequential`.

    Args:
        specs: The layer specs, in order.
        input_shape: The input shape without the batch axis.
        name: The model's name.
        key_path: Where the list of specs is in the config, e.g. `("gan", "generator")`.
        dtype: The input's dtype (`"string"` for text). Defaults to `None` (floats).

    Returns:
        The built `keras.Sequential`.

    Raises:
        ConfigError: When a layer cannot be built or does not fit the previous layer's output.
    """
    import keras

    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=tuple(input_shape), dtype=dtype))
    for index, spec in enumerate(specs):
        previous = tuple(model.layers[-1].output.shape) if model.layers else (None, *input_shape)
        try:
            for layer in build_layers(spec, key_path + (index,), previous[1:]):
                model.add(layer)
        except (TypeError, ValueError) as error:
            raise ConfigError(
                format_key_path(key_path + (index, split_spec(spec, ())[0])),
                f"does not fit the previous output of shape {previous}: {one_line(error, 300)}",
            ) from None
    return model


def build_model(
    config: ModelConfig, input_shape: tuple | list | None = None, input_dtype: str | None = None
):
    """Builds a Sequential or Functional `keras.Model` from the `model` section.

    Sequential models stack `layers` on `input_shape`. Functional models start from the named
    `inputs`; each layer takes `inputs:` (a name or a list of names of model inputs or earlier
    layers, by default the previous layer) and is referred to by its `name`; `outputs` lists the
    output layers (by default the last one).

    Args:
        config: The validated `model` section.
        input_shape: The input shape the data decides (`data.sources.load_training_data`:
            image folders' `files_input_shape`, a table's encoded width, `()` for text), for a
            Sequential model whose `input_shape` is left out. Defaults to `None`.
        input_dtype: The input dtype the data decides (`"string"` for text). Defaults to `None`.

    Returns:
        An unbuilt-free (fully built) `keras.Model`.

    Raises:
        ConfigError: When a layer cannot be built or its inputs do not fit.
    """
    import keras

    if not config.functional:
        shape = config.input_shape if config.input_shape is not None else input_shape
        return build_sequential(
            config.layers,
            shape,
            name=config.name or "sequential",
            key_path=("model", "layers"),
            dtype=input_dtype,
        )

    tensors = {
        name: keras.Input(shape=tuple(shape), name=name) for name, shape in config.inputs.items()
    }
    previous = next(iter(tensors))
    for layer in functional_wiring(config):
        key_path = ("model", "layers", layer.index)
        sources = layer.sources
        inputs = tensors[sources] if isinstance(sources, str) else [tensors[s] for s in sources]
        shape = tuple(inputs.shape[1:]) if isinstance(sources, str) else None
        built = build_layers(
            {layer.class_name: {**layer.args, "name": layer.reference}}, key_path, shape
        )
        try:
            for step in built:
                inputs = step(inputs)
            tensors[layer.reference] = inputs
        except (TypeError, ValueError) as error:
            raise ConfigError(
                format_key_path(key_path + (layer.class_name,)),
                f"cannot be applied to {sources}: {one_line(error, 300)}",
            ) from None
        previous = layer.reference
    outputs = [tensors[name] for name in (config.outputs or [previous])]
    inputs = list(tensors[name] for name in config.inputs)
    return keras.Model(
        inputs=inputs if len(inputs) > 1 else inputs[0],
        outputs=outputs if len(outputs) > 1 else outputs[0],
        name=config.name or "functional",
    )


def build_augmentation(specs: list, key_path: tuple = ("data", "augment")):
    """Builds `data.augment` as a `BatchAugmentation` on `(x, y)` batches, or `None` when empty.

    The image layers become one `keras.Sequential`; MixUp and CutMix, which blend labels too,
    are applied after it (see `augmentation`).
    """
    import keras

    if not specs:
        return None
    images, mixing = [], []
    for index, spec in enumerate(specs):
        layer = build_layer(spec, key_path + (index,))
        (mixing if split_spec(spec, ())[0] in MIXING_LAYERS else images).append(layer)
    sequential = keras.Sequential(images, name="augmentation") if images else None
    return BatchAugmentation(sequential, mixing)
