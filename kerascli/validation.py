"""The `validate` use case: build everything a config describes, train nothing."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from kerascli.config import ExperimentConfig


def validate_experiment(config: ExperimentConfig) -> str:
    """Builds and compiles the model, the augmentation and the callbacks of a config.

    Args:
        config: A validated experiment config with `model` and `compile`.

    Returns:
        The model summary as text.

    Raises:
        ConfigError: When Keras refuses any part of the config.
    """
    from rich.console import Console

    from kerascli import models

    if config.gan is not None:
        networks = _gan_networks(config)
    else:
        model = models.build_model(config.model)
        models.compile_model(model, config.compile)
        networks = [model]
    models.build_augmentation(config.data.augment)
    with tempfile.TemporaryDirectory() as scratch:
        models.build_callbacks(config.fit.callbacks, Path(scratch))
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
    for network in networks:
        # Keras prints its summary through rich when given no print_fn; capture it as plain text.
        network.summary(print_fn=lambda line, line_break=True: console.print(
            line, markup=False, end="\n" if line_break else ""))
    return buffer.getvalue().rstrip()


def _gan_networks(config: ExperimentConfig) -> list:
    """The generator and discriminator, checked against the data's image shape."""
    from kerascli.data.preprocess import preprocess_images
    from kerascli.data.sources import load_splits
    from kerascli.gan import build_networks, check_gan_data

    check_gan_data(config)
    # The image shape decides whether the generator fits; one example is enough to know it.
    first = load_splits(config.data).x_train[:1]
    image_shape = preprocess_images(first, config.data.preprocess, "data.train").shape[1:]
    return list(build_networks(config, tuple(image_shape)))
