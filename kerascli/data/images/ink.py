"""Ink and paper: telling light-on-dark images from dark-on-light ones, and inverting them.

MNIST-like data is white ink on black; digits written or printed on paper are the opposite. For
one-channel models trained on dark-background data, `predict` inverts images with a light border
first (`images_to_invert`), taking their grey paper to black and their ink to white (`invert`).
"""

from __future__ import annotations

import numpy as np

# How much of an image's edge counts as its background: MNIST centres a 20x20 digit in 28x28,
# so the outer tenth of an MNIST-like image is background, not ink.
_BORDER_FRACTION = 0.1


def ring_mask(height: int, width: int) -> np.ndarray:
    """Marks an image's outer ring: a tenth of the shorter side wide, at least one pixel."""
    ring = max(1, int(round(min(height, width) * _BORDER_FRACTION)))
    mask = np.ones((height, width), dtype=bool)
    mask[ring : height - ring, ring : width - ring] = False
    return mask


def border_levels(batch: np.ndarray) -> np.ndarray:
    """The median brightness of each image's outer ring: its background, in most images.

    Args:
        batch: uint8 images `(n, height, width)` or `(n, height, width, channels)`.

    Returns:
        A float array `(n,)` in 0-255: per image, the median over the ring of the mean over
        channels.
    """
    batch = np.asarray(batch)
    ring = batch[:, ring_mask(*batch.shape[1:3])].astype(np.float32)
    if ring.ndim == 3:
        ring = ring.mean(axis=-1)
    return np.median(ring, axis=1)


def border_level(pixels: np.ndarray) -> float:
    """`border_levels` of one image `(height, width)` or `(height, width, channels)`."""
    return float(border_levels(np.asarray(pixels)[None])[0])


def invert(batch: np.ndarray) -> np.ndarray:
    """Turns dark-on-light images into light-on-dark ones, with MNIST's black and white levels.

    Paper photographed in room light is grey, not white, and ink is rarely black; inverted, that
    is a grey digit on a grey background, which MNIST-trained models never saw (MNIST's
    background is 0 and nearly every digit reaches 255). Where the inverted background is dark
    (the image was light), the levels are stretched so that the background becomes 0 and the
    brightest ink 255; a scan with white paper and black ink is simply inverted. An image that
    was already dark, or that has no ink to speak of, is only inverted.

    Args:
        batch: uint8 images `(n, height, width[, channels])`.

    Returns:
        The inverted uint8 images.
    """
    inverted = 255.0 - np.asarray(batch, dtype=np.float32)
    shape = (-1,) + (1,) * (inverted.ndim - 1)
    background = border_levels(inverted).reshape(shape)
    top = inverted.reshape(len(inverted), -1).max(axis=1).reshape(shape)
    # Too little contrast means no ink, and stretching it would only amplify noise.
    stretch = (background < 128.0) & (top - background >= 32.0)
    low = np.where(stretch, background, 0.0)
    high = np.where(stretch, top, 255.0)
    stretched = (inverted - low) * (255.0 / (high - low))
    return np.clip(np.rint(stretched), 0, 255).astype(np.uint8)


def images_to_invert(batch: np.ndarray, invert_mode: str, auto_invert: bool) -> np.ndarray:
    """Which images of a batch to invert: all (`"yes"`), none, or (auto) those with a light border.

    Args:
        batch: uint8 images `(n, height, width[, channels])`.
        invert_mode: `"auto"`, `"yes"` or `"no"`.
        auto_invert: Whether `"auto"` applies (a one-channel model trained on dark backgrounds).

    Returns:
        A boolean array `(n,)`.
    """
    if invert_mode == "yes":
        return np.ones(len(batch), dtype=bool)
    if auto_invert:
        return border_levels(batch) > 127.5
    return np.zeros(len(batch), dtype=bool)


def has_dark_background(pixels: np.ndarray) -> bool:
    """Whether images (any value range, `(n, height, width[, channels])`) are light on dark,
    judged by the median border brightness of each."""
    pixels = np.asarray(pixels, dtype=np.float32)
    high = 255.0 if pixels.max(initial=0.0) > 1.0 else 1.0
    return float(np.mean(border_levels(pixels / high * 255.0))) < 128.0
