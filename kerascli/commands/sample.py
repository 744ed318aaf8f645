"""`kerascli sample`: new images from a trained GAN's generator, in one grid image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.data.images.files import EXTENSIONS
from kerascli.errors import ConfigError
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun
from kerascli.visuals.samples import fixed_noise, save_grid


def grid_format(out: Path) -> str:
    """The Pillow format a grid file name asks for (`.png`, `.jpg` or `.bmp`).

    Raises:
        ConfigError: When `out` is not an image file name.
    """
    image_format = EXTENSIONS.get(Path(out).suffix.lower())
    if image_format is None:
        raise ConfigError("--out", f"{Path(out).name}: not a .png, .jpg or .bmp file name")
    return image_format


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
    image_format = grid_format(Path(out))
    generator = load_model(run, "generator")
    seed = seed if seed is not None else int(np.random.default_rng().integers(2**31))
    images = generator.predict(fixed_noise(count, run.config.gan.latent_dim, seed),
                               batch_size=256, verbose=0)
    return save_grid(images, run.config.data.preprocess, Path(out), image_format)
