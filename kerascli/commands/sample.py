"""`kerascli sample`: new images from a trained GAN's generator, in one grid image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.inference.generate import grid_format, sample_grid
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun


def sample(run: SavedRun, *, count: int, out: str | Path, seed: int | None = None) -> Path:
    """Draws `count` new images from a GAN run's generator into one grid image.

    Args:
        run: A GAN run, opened (`runs.saved.open_gan_run`).
        count: How many images.
        out: The grid image to write (`.png`, `.jpg` or `.bmp`).
        seed: Seeds the noise. Defaults to `None` (new images every time).

    Returns:
        The path written.

    Raises:
        RunError: When the run's `generator.keras` cannot be loaded.
        ConfigError: When `out` is not an image file name.
    """
    grid_format(Path(out))  # a bad file name is refused before the generator loads
    generator = load_model(run, "generator")
    seed = seed if seed is not None else int(np.random.default_rng().integers(2**31))
    return sample_grid(
        lambda noise: generator.predict(noise, batch_size=256, verbose=0),
        run.config.data.preprocess,
        latent_dim=run.config.gan.latent_dim,
        count=count,
        out=out,
        seed=seed,
    )
