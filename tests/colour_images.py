"""Small image folders the tests write: classes told apart by colour and pattern, learnable in a
few steps by a tiny backbone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

_PALETTES = {
    "red": (200, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 60, 200),
    "yellow": (210, 200, 40),
}


def write_colour_folders(
    root: Path,
    classes: tuple[str, ...] = ("red", "green", "blue"),
    per_class: dict[str, int] | None = None,
    size: int = 32,
    seed: int = 0,
    stripes: bool = False,
) -> Path:
    """Writes `root/<split>/<class>/*.png`: noisy images of each class's colour.

    Args:
        root: The folder to write.
        classes: Class names, each a key of the palette.
        per_class: Images per class in each split. Defaults to 24 train, 8 val, 8 test.
        size: Image side in pixels. Defaults to 32.
        seed: The random seed. Defaults to 0.
        stripes: Whether a class also differs in stripe direction (a second image set).

    Returns:
        `root`.
    """
    rng = np.random.default_rng(seed)
    per_class = per_class or {"train": 24, "val": 8, "test": 8}
    for split, count in per_class.items():
        for number, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                base = np.array(_PALETTES[name], dtype=np.float32)
                pixels = base + rng.normal(0, 40, (size, size, 3))
                if stripes:
                    band = (np.arange(size) // 4 % 2)[:, None] * 60.0  # (size, 1)
                    pixels += (band if number % 2 else band.T)[..., None]
                image = np.clip(pixels, 0, 255).astype(np.uint8)
                Image.fromarray(image).save(folder / f"{index:03d}.png")
    return root
