"""The callbacks a GAN run adds to `fit`: a fixed-noise sample grid and the judge's scores per
epoch."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from kerascli.config.schema import PreprocessConfig
from kerascli.evaluation.judge import Judge
from kerascli.runs.layout import sample_grid_file
from kerascli.visuals.samples import grid_pixels, save_grid_pixels


class SampleGrid(keras.callbacks.Callback):
    """Draws the generator's images for one fixed noise batch after every epoch.

    Args:
        generator: The generator network.
        noise: The fixed noise, `(count, latent_dim)`.
        preprocess: The data's preprocessing, to map images back to pixels.
        samples_dir: Where `epoch_NNN.png` goes.
    """

    def __init__(
        self, generator, noise: np.ndarray, preprocess: PreprocessConfig, samples_dir: Path
    ):
        super().__init__()
        self.generator = generator
        self.noise = noise
        self.preprocess = preprocess
        self.samples_dir = Path(samples_dir)
        self.last_grid: np.ndarray | None = None  # the newest grid, for TensorBoard

    def on_epoch_end(self, epoch, logs=None):
        images = keras.ops.convert_to_numpy(self.generator(self.noise, training=False))
        self.last_grid = grid_pixels(images, self.preprocess)
        # The GIF is assembled once, when training stops: rebuilding it every epoch would cost
        # time in proportion to the epochs so far.
        save_grid_pixels(self.last_grid, self.samples_dir / sample_grid_file(epoch + 1))


class JudgeCallback(keras.callbacks.Callback):
    """Adds the judge's figures to each epoch's logs (and so to the history and plots)."""

    def __init__(self, judge: Judge, generator, preprocess: PreprocessConfig):
        super().__init__()
        self.judge, self.generator, self.preprocess = judge, generator, preprocess

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update(self.judge.score(self.generator, self.preprocess))
