"""`kerascli validate`: build everything a config describes, train nothing, print the summary."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console

from kerascli.config.schema import ExperimentConfig
from kerascli.config.sources import ENCODED_SOURCES, files_input_shape
from kerascli.data.image_folders import image_layout
from kerascli.data.own import load_own_data
from kerascli.data.preprocess import preprocess_images
from kerascli.data.sources import example_shape
from kerascli.models.backbone_inputs import scaling_lines
from kerascli.models.callbacks import build_callbacks
from kerascli.models.compiling import compile_model
from kerascli.models.gan_networks import build_networks
from kerascli.models.layers import build_augmentation, build_model
from kerascli.training.stages import StagePlan


def inferred(config: ExperimentConfig) -> list[str]:
    """What kerascli decides from the data rather than the config, one sentence each.

    Raises:
        DataError: When an image folder's layout or one of its files is bad.
    """
    lines = []
    if config.data.source == "images":
        layout = image_layout(config.data, check_files=True)  # checked once per process
        names = layout.class_names
        counts = ", ".join(f"{count} {split}" for split, count in layout.files.items())
        held = f", {layout.held_out:.0%} of train held out for test" if layout.held_out else ""
        lines.append(
            f"data: {len(names)} classes from the folder names: {', '.join(names)} "
            f"({counts} images{held})"
        )
    model = config.model
    shape = files_input_shape(config.data)  # csv and text: `check_files` said what they hold
    if model is not None and model.input_shape is None and model.inputs is None and shape:
        lines.append(
            f"model.input_shape: {list(shape)}, inferred from the data "
            "(data.image_size and data.color_mode)"
        )
    return lines


def validate_experiment(config: ExperimentConfig) -> str:
    """Builds and compiles the model (or a GAN's two networks), the augmentation and the callbacks.

    Args:
        config: A validated experiment config.

    Returns:
        The summary of every network, as text.

    Raises:
        ConfigError: When Keras refuses any part of the config.
        DataError: When a GAN's training data cannot be read (its image shape decides whether the
            generator fits).
    """
    if config.gan is not None:
        # One example's shape is enough to know the image shape: no need to read the data.
        blank = np.zeros((1, *example_shape(config.data)), dtype=np.uint8)
        image_shape = preprocess_images(blank, config.data.preprocess, "data.train").shape[1:]
        networks = list(build_networks(config, tuple(image_shape)))
    elif config.data.source in ENCODED_SOURCES:
        # The data decides the input: a table's encoded width (its FeatureSpace adapted), text.
        own = load_own_data(config.data)
        model = build_model(config.model, own.input_shape, own.input_dtype)
        compile_model(model, config.compile)
        networks = [model]
    else:
        model = build_model(config.model, files_input_shape(config.data))
        compile_model(model, config.compile)
        networks = [model]
    build_augmentation(config.data.augment)
    with tempfile.TemporaryDirectory() as scratch:
        build_callbacks(config.fit.callbacks, Path(scratch))
        for stage in config.fit.stages or []:
            build_callbacks(stage.callbacks, Path(scratch))
    lines = inferred(config)
    if config.gan is None:
        # What scaling each backbone applies, and a warning when the data already rescaled.
        lines += scaling_lines(networks[0], config.data.preprocess)
        if config.fit.stages:
            StagePlan(networks[0], config)  # `unfreeze.from` names a layer of the backbone
    buffer = io.StringIO()
    for line in lines:
        buffer.write(line + "\n")
    console = Console(file=buffer, width=100, force_terminal=False, color_system=None)
    for network in networks:
        # Keras prints its summary through rich when given no print_fn; capture it as plain text.
        network.summary(
            print_fn=lambda line, line_break=True: console.print(
                line, markup=False, end="\n" if line_break else ""
            )
        )
    return buffer.getvalue().rstrip()
