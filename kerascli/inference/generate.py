"""`kerascli sample` through an exported generator: new images without TensorFlow.

The noise, the grid and the file are those of the Keras path (`visuals.samples.fixed_noise` and
`save_grid`), so for the same seed both paths draw the same images.
"""

from __future__ import annotations

from pathlib import Path

from kerascli.data.images.files import EXTENSIONS
from kerascli.errors import ConfigError
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


def sample_grid(
    generate, preprocess, *, latent_dim: int, count: int, out: str | Path, seed: int
) -> Path:
    """Draws `count` images with `generate` (noise to images) into one grid image at `out`.

    Raises:
        ConfigError: When `out` is not an image file name.
    """
    image_format = grid_format(Path(out))
    images = generate(fixed_noise(count, latent_dim, seed))
    return save_grid(images, preprocess, Path(out), image_format)
