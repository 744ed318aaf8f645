"""Pretrained models from `keras.applications` standing in a layer stack like a layer.

`- MobileNetV2: {include_top: false, weights: null, pooling: avg, trainable: false}` builds
`keras.applications.MobileNetV2` on the previous layer's output shape; `trainable: false`
freezes it. `weights: imagenet` is Keras' own: the file in the Keras cache
(`$KERAS_HOME/models`, by default `~/.keras/models`), downloaded when it is missing. Offline and
missing, the error names the exact file Keras asked for and the folder it looks in: the name comes
from Keras' own call (`file_utils.get_file`), so there is no table of weight files to drift.
"""

from __future__ import annotations

import contextlib
import io
import os
import urllib.parse
import warnings
from pathlib import Path

from kerascli.config.keys import format_key_path
from kerascli.errors import ConfigError, one_line
from kerascli.models.backbone_inputs import PREPROCESS_SUFFIX, preprocess_layer
from kerascli.models.backbone_weights import copy_from_run, is_model_source


def is_backbone(name: str) -> bool:
    """Whether `name` is a `keras.applications` model."""
    import keras

    return name[:1].isupper() and callable(getattr(keras.applications, name, None))


def _cache_folder(cache_dir: str | None, cache_subdir: str) -> Path:
    # The folder `keras.utils.get_file` looks in: KERAS_HOME (read by Keras at import), or /tmp
    # when that is not writable, exactly as `get_file` decides.
    from keras.src.backend.config import keras_home

    base = os.path.expanduser(cache_dir or keras_home())
    if not os.access(base, os.W_OK):
        base = os.path.join("/tmp", ".keras")
    return Path(base, cache_subdir)


@contextlib.contextmanager
def _weights_download_named(where: str):
    """Turns a failed weights download inside the block into a `ConfigError` naming the file.

    `keras.applications` fetch their weights through `keras.src.utils.file_utils.get_file`,
    which raises a bare `Exception` when offline. It is wrapped for the duration of the block so
    that the failure can say which file, by Keras' own name for it, to put where.
    """
    from keras.src.utils import file_utils

    original = file_utils.get_file

    def get_file(fname=None, origin=None, *args, cache_subdir="datasets", cache_dir=None, **kwargs):
        try:
            return original(
                fname, origin, *args, cache_subdir=cache_subdir, cache_dir=cache_dir, **kwargs
            )
        except Exception as error:  # noqa: BLE001 - Keras raises bare Exception when offline
            name = fname or os.path.basename(urllib.parse.urlsplit(origin or "").path)
            folder = _cache_folder(cache_dir, cache_subdir)
            raise ConfigError(
                where,
                f"the ImageNet weights file {name} is not in the Keras "
                f"cache and could not be downloaded ({one_line(error, 100)})",
                f"put {name} in {folder}, or use weights: null or a local weights file",
            ) from None

    file_utils.get_file = get_file
    try:
        yield
    finally:
        file_utils.get_file = original


def build_backbone(name: str, args: dict, input_shape, key_path: tuple) -> list:
    """Builds a `keras.applications` model on `input_shape`, with its input scaling in front.

    Args:
        name: The application, e.g. `MobileNetV2`.
        args: Its arguments; `trainable` (default true), `preprocess` (auto or none) and
            `batchnorm_momentum` are kerascli's, the rest the constructor's (`include_top`,
            `weights`, `pooling`, `alpha`, `name`, ...). `weights` may also name a run directory
            or a `.keras` file, whose matching backbone's weights are copied in.
        input_shape: The previous layer's output shape, without the batch axis (an
            `input_shape` argument wins).
        key_path: Where the spec is in the config.

    Returns:
        The layers to add in order: the family's `preprocess_input` as a layer when the
        backbone has weights (see `backbone_inputs`), then the model, frozen when
        `trainable: false`.

    Raises:
        ConfigError: When Keras refuses the arguments or the input shape, the ImageNet
            weights are neither cached nor downloadable, or a run holds no matching backbone.
    """
    import keras

    args = dict(args)
    trainable = args.pop("trainable", True)
    preprocess = args.pop("preprocess", "auto")
    momentum = args.pop("batchnorm_momentum", None)
    weights = args.get("weights", "imagenet")
    from_run = is_model_source(weights)
    if from_run:
        args["weights"] = None
    args.setdefault("input_shape", tuple(input_shape))
    where = format_key_path(key_path + (name,))
    # Keras prints "Downloading data from ..." and warns that non-square or unusual sizes load
    # the 224x224 weights; kerascli's output is its own progress and one line per problem.
    with (
        _weights_download_named(format_key_path(key_path + (name, "weights"))),
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", UserWarning)
        try:
            model = getattr(keras.applications, name)(**args)
        except (TypeError, ValueError, OSError) as error:
            raise ConfigError(
                where,
                one_line(error, 300),
                "see the keras.applications documentation for its arguments",
            ) from None
    if momentum is not None:
        # keras.applications set momentum 0.999 (MobileNetV2) or 0.99: tuned for ImageNet's
        # long schedules, the moving statistics of a backbone trained from scratch for a few
        # hundred steps stay near their start. Saved in each layer's config with the model.
        for layer in model.layers:  # keras.applications models are flat
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = float(momentum)
    channels = int(args["input_shape"][-1]) if args["input_shape"] else 3
    front = None
    if from_run:
        earlier = copy_from_run(model, weights, format_key_path(key_path + (name, "weights")))
        if earlier is not None and preprocess == "auto":
            config = {**earlier.get_config(), "name": model.name + PREPROCESS_SUFFIX}
            front = type(earlier).from_config(config)
    elif weights is not None and preprocess == "auto":
        front = preprocess_layer(name, model.name, channels)
    model.trainable = trainable
    return [front, model] if front is not None else [model]
