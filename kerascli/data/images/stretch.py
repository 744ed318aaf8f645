"""Reading a file as an image-folder run's training read it, without TensorFlow.

`source: images` training decodes every file with TensorFlow's `decode_image` (first frame of a
GIF, the channels of `data.color_mode`) and stretches it to `data.image_size` with TensorFlow's
bilinear `resize` (`keras.utils.image_dataset_from_directory`). `kerascli predict` on an export,
and `serve`, must give a model the same pixels without importing TensorFlow: the file is decoded
here by Pillow (restricted to PNG, JPEG, BMP and GIF, under the bomb limit, as every reader in
`data.images`), converted to the channels TensorFlow's decoders give, and resized by
`bilinear_resize`, a numpy copy of TensorFlow's kernel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from kerascli.data.images.decode import check_pixels, decoding_errors
from kerascli.data.images.files import open_regular, unsupported
from kerascli.data.images.folders import (
    FOLDER_EXTENSIONS,
    FOLDER_FORMATS,
    FOLDER_SUPPORTED,
    unreadable_by_keras,
)
from kerascli.errors import DataError

# `data.color_mode` -> the Pillow mode holding the channels TensorFlow's decoders give.
COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _axis(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices below and above each output sample, and the weight of the one above."""
    scale = np.float32(in_size / out_size)
    centres = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    floor = np.floor(centres)
    lower = np.maximum(floor, 0).astype(np.int64)
    upper = np.minimum(np.ceil(centres), in_size - 1).astype(np.int64)
    return lower, upper, (centres - floor).astype(np.float32)


def bilinear_resize(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resizes an image `(h, w, channels)` as `tf.image.resize(..., method="bilinear")` does.

    Written by hand because TensorFlow's resize is what training used, and no TensorFlow-free
    library reproduces it: Pillow's and OpenCV's bilinear filters antialias (average over the
    whole footprint) when shrinking, and round to uint8. This is TensorFlow's `ResizeBilinear`
    with half-pixel centres and no antialiasing: an output sample at `out` reads the source at
    `in = (out + 0.5) * in_size / out_size - 0.5`, between `max(floor(in), 0)` and
    `min(ceil(in), in_size - 1)`, weighted by `in - floor(in)`; rows, then columns.

    Args:
        pixels: An image `(h, w, channels)` of any numeric dtype.
        height: Output height. width: Output width.

    Returns:
        A float32 array `(height, width, channels)`.
    """
    source = np.asarray(pixels, dtype=np.float32)
    top, bottom, y_lerp = _axis(source.shape[0], height)
    left, right, x_lerp = _axis(source.shape[1], width)
    x_lerp = x_lerp[None, :, None]
    upper_rows, lower_rows = source[top], source[bottom]
    top_row = upper_rows[:, left] + (upper_rows[:, right] - upper_rows[:, left]) * x_lerp
    bottom_row = lower_rows[:, left] + (lower_rows[:, right] - lower_rows[:, left]) * x_lerp
    return top_row + (bottom_row - top_row) * y_lerp[:, None, None]


# libpng's RGB-to-grey weights as TensorFlow sets them (0.299, 0.587), in its 15-bit fixed point,
# truncated: measured identical on every pixel, where Pillow's `convert("L")` rounds differently.
_GREY_WEIGHTS = np.array([9797, 19234, 3737], dtype=np.int64)


def _decoded_channels(image: Image.Image, image_format: str, color_mode: str) -> np.ndarray:
    """The uint8 pixels `(h, w, channels)` TensorFlow's decoder gives for `color_mode`.

    Each rule is a fact of TensorFlow's decoders (libpng, its BMP and GIF readers), checked
    against them by the tests: PNG samples of 16 bits keep their high byte (`strip_16`); colour
    becomes grey with libpng's weights; alpha is dropped or added (opaque), never composited; an
    8-bit BMP's palette indices are read as grey levels; a GIF's transparent pixels are black.
    """
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    if image_format == "BMP" and image.mode in ("P", "L"):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8), "L")
    hidden = None
    if image_format == "GIF" and "transparency" in image.info and image.mode in ("P", "L"):
        hidden = np.asarray(image) == image.info["transparency"]
    if color_mode == "grayscale" and image.mode not in ("L", "LA", "1"):
        rgb = np.asarray(image.convert("RGB"), dtype=np.int64)
        return ((rgb @ _GREY_WEIGHTS) >> 15).astype(np.uint8)[..., None]
    pixels = np.array(image.convert(COLOR_MODES[color_mode]), dtype=np.uint8)
    if hidden is not None:
        pixels[hidden] = 0
    return pixels.reshape(*pixels.shape[:2], -1)


def _bmp_fourth_byte_as_alpha(image: Image.Image, handle, path: Path) -> Image.Image:
    """A 32-bit BMP as TensorFlow's decoder reads it for RGBA: its fourth byte is alpha.

    Pillow opens a 32-bit BMP without an alpha mask as RGB (raw mode `BGRX`, the fourth byte
    dropped), TensorFlow as BGRA; so the same pixel rows are unpacked again by Pillow as `BGRA`.
    Other BMPs are returned as they are.
    """
    tile = image.tile[0] if len(image.tile) == 1 else None
    if tile is None or tile[0] != "raw" or tile[3][0] != "BGRX":
        return image
    _, _, offset, (_, stride, orientation) = tile
    handle.seek(offset)
    rows = handle.read(stride * image.height)
    if len(rows) < stride * image.height:
        raise DataError(str(path), "truncated or corrupt BMP image")
    return Image.frombuffer("RGBA", image.size, rows, "raw", "BGRA", stride, orientation)


def load_like_training(path: str | Path, *, height: int, width: int, color_mode: str) -> np.ndarray:
    """Reads one image file as `source: images` training read it: stretched, never padded.

    Args:
        path: A `.png`, `.jpg`/`.jpeg`, `.bmp` or `.gif` file (its content decides the format).
        height: Output height. width: Output width.
        color_mode: `data.color_mode`: `"grayscale"`, `"rgb"` or `"rgba"`.

    Returns:
        A float32 array `(height, width, channels)` in [0, 255].

    Raises:
        DataError: As `data.images.decode.load_image`, and for a format TensorFlow cannot decode
            in `color_mode` (`folders.unreadable_by_keras`).
    """
    path = Path(path)
    if path.suffix.lower() not in FOLDER_EXTENSIONS:
        raise unsupported(path, FOLDER_SUPPORTED)
    with (
        decoding_errors(path, FOLDER_SUPPORTED),
        open_regular(path) as handle,
        Image.open(handle, formats=list(FOLDER_FORMATS)) as image,
    ):
        check_pixels(image, path)
        image_format = "JPEG" if image.format == "MPO" else image.format
        refused = unreadable_by_keras(path, image_format, color_mode)
        if refused:
            raise refused
        if image_format == "JPEG" and color_mode == "grayscale":
            # libjpeg's own grayscale output (its Y channel), as TensorFlow asks for it.
            image.draft("L", image.size)
        if image_format == "BMP" and color_mode == "rgba":
            image = _bmp_fourth_byte_as_alpha(image, handle, path)
        # A GIF's first frame is what is open; EXIF orientation is not applied (nor by TF).
        pixels = _decoded_channels(image, image_format, color_mode)
    return bilinear_resize(pixels, height, width)
