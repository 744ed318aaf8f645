"""Grids of generated images: one PNG per epoch, an animated GIF of them all, `kerascli sample`.

Grids are tiled in numpy and written with Pillow rather than drawn with matplotlib: a sample grid
should show the generator's exact pixels (scaled up without smoothing), and it is written every
epoch, where a matplotlib figure of 64 axes costs seconds.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from kerascli.data.preprocess import to_pixels
from kerascli.runs.files import atomic_write_bytes
from kerascli.runs.layout import PROGRESS_GIF, epoch_of

if TYPE_CHECKING:  # annotations only: sampling an exported generator loads no pydantic
    from kerascli.config.schema import PreprocessConfig

_GAP = 2  # pixels between tiles
_MIN_TILE = 56  # small images (28x28 digits) are scaled up to at least this size


def tile(pixels: np.ndarray, columns: int | None = None) -> np.ndarray:
    """Arranges uint8 images `(N, H, W[, C])` in a grid with a thin dark border.

    Args:
        pixels: The images.
        columns: Images per row. Defaults to `None`, a square-ish grid.

    Returns:
        One uint8 image `(rows*H', columns*W', C)`, each tile scaled up by a whole factor.
    """
    if pixels.ndim == 3:
        pixels = pixels[..., None]
    count, height, width, channels = pixels.shape
    factor = max(1, math.ceil(_MIN_TILE / max(height, width)))
    pixels = pixels.repeat(factor, axis=1).repeat(factor, axis=2)
    height, width = height * factor, width * factor
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.full(
        (rows * (height + _GAP) + _GAP, columns * (width + _GAP) + _GAP, channels),
        40,
        dtype=np.uint8,
    )
    for index in range(count):
        top = _GAP + (index // columns) * (height + _GAP)
        left = _GAP + (index % columns) * (width + _GAP)
        grid[top : top + height, left : left + width] = pixels[index]
    return grid


def grid_pixels(images: np.ndarray, preprocess: PreprocessConfig) -> np.ndarray:
    """Generated images, mapped back to pixels and tiled into one uint8 grid `(H, W, C)`.

    Args:
        images: Generator output, in the value range the data was preprocessed to.
        preprocess: The data's preprocessing (gives that range).
    """
    return tile(to_pixels(images, preprocess))


def save_grid_pixels(grid: np.ndarray, path: Path, image_format: str = "PNG") -> Path:
    """Writes a uint8 grid `(H, W, C)` (from `grid_pixels`) as one image, atomically."""
    picture = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def save_grid(
    images: np.ndarray, preprocess: PreprocessConfig, path: Path, image_format: str = "PNG"
) -> Path:
    """Maps generated images back to pixels and writes them as one grid image, atomically.

    Args:
        images: Generator output, in the value range the data was preprocessed to.
        preprocess: The data's preprocessing (gives that range).
        path: The file to write.
        image_format: A Pillow format name. Defaults to `"PNG"`.

    Returns:
        `path`.
    """
    return save_grid_pixels(grid_pixels(images, preprocess), path, image_format)


def save_progress_gif(samples_dir: Path, frame_ms: int = 400, max_frames: int = 200) -> Path | None:
    """Animates the `epoch_NNN.png` grids of a run, in epoch order, into `progress.gif`.

    Args:
        samples_dir: The run's `samples/` directory.
        frame_ms: How long each frame shows, in milliseconds. Defaults to 400.
        max_frames: Past this many epochs, frames are taken at even steps (first and last
            always kept), so a long run's GIF stays small. Defaults to 200.

    Returns:
        The GIF's path, or `None` when there are no grids yet.
    """
    frames = sorted(
        Path(samples_dir).glob("epoch_*.png"), key=lambda frame: epoch_of(frame.name) or 0
    )
    if not frames:
        return None
    if len(frames) > max_frames:
        picks = np.linspace(0, len(frames) - 1, max_frames).round().astype(int)
        frames = [frames[index] for index in sorted(set(picks))]
    pictures = []
    for frame in frames:
        # Only the PNGs this module wrote are read; formats= keeps Pillow to that decoder.
        with Image.open(frame, formats=["PNG"]) as picture:
            pictures.append(picture.convert("RGB"))
    # A resumed run may draw a different number of samples (gan.samples), so grids can differ in
    # size; a GIF draws every frame on the first one's canvas, so each gets the largest canvas.
    size = (max(p.width for p in pictures), max(p.height for p in pictures))
    pictures = [_on_canvas(picture, size).quantize(colors=256) for picture in pictures]
    buffer = io.BytesIO()
    # The last frame is held longer, so the loop shows where training ended.
    durations = [frame_ms] * (len(pictures) - 1) + [frame_ms * 4]
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0
    )
    path = Path(samples_dir) / PROGRESS_GIF
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _on_canvas(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture at the top left of a canvas of `size` in the grid's border grey."""
    if picture.size == size:
        return picture
    canvas = Image.new("RGB", size, (40, 40, 40))
    canvas.paste(picture, (0, 0))
    return canvas


def fixed_noise(count: int, latent_dim: int, seed: int) -> np.ndarray:
    """The same standard-normal noise for a given seed, in every process and after a resume."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype(np.float32)
