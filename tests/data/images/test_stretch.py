"""`data.images.stretch`: files read without TensorFlow as image-folder training read them.

Compared with TensorFlow itself: `tf.image.resize` on random images, and `read_like_training`
(TensorFlow's `decode_image` and `resize`) on real PNG, BMP, GIF and JPEG files written here.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from kerascli.data.images.decode import bomb_guard
from kerascli.data.images.stretch import bilinear_resize, load_like_training
from kerascli.errors import DataError

# libjpeg's IDCT: TensorFlow decodes with its fast integer method, Pillow with the accurate one
# (and Pillow has no setting for it), so the same JPEG differs by a few levels; measured at most
# 7.6 levels of 255 on these noise images at quality 95 (photos differ less). Every other format
# is decoded to the same bytes, and the resize agrees to float32 rounding.
JPEG_LEVELS = 8.0
EXACT = 1e-3


@pytest.mark.parametrize(
    "size, out",
    [
        ((20, 18), (16, 16)),
        ((7, 5), (16, 23)),
        ((64, 40), (9, 13)),
        ((3, 3), (3, 3)),
        ((1, 9), (4, 2)),
        ((50, 50), (17, 31)),
        ((33, 12), (33, 24)),
    ],
)
def test_bilinear_resize_is_tensorflows(size, out):
    import tensorflow as tf

    rng = np.random.default_rng(sum(size) + sum(out))
    for channels in (1, 3, 4):
        pixels = rng.integers(0, 256, (*size, channels)).astype(np.float32)
        mine = bilinear_resize(pixels.astype(np.uint8), *out)
        assert mine.dtype == np.float32 and mine.shape == (*out, channels)
        np.testing.assert_allclose(mine, tf.image.resize(pixels, out).numpy(), atol=EXACT)


def write_files(folder: Path) -> list[Path]:
    """Noise images of several modes and sizes, saved in every format Pillow writes them to."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (size, mode) in enumerate(
        [((20, 18), "RGB"), ((31, 47), "RGB"), ((9, 12), "L"), ((25, 25), "RGBA"), ((30, 14), "P")]
    ):
        channels = {"RGB": 3, "L": 1, "RGBA": 4, "P": 3}[mode]
        pixels = rng.integers(0, 256, (*size, channels), dtype=np.uint8)
        image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels)
        image = image.convert("P") if mode == "P" else image
        for suffix in ("png", "jpg", "bmp", "gif"):
            if suffix == "jpg" and mode in ("RGBA", "P"):
                continue
            path = folder / f"{index}-{mode}.{suffix}"
            image.save(path, **({"quality": 95} if suffix == "jpg" else {}))
            paths.append(path)
    return paths


@pytest.mark.parametrize("color_mode", ["grayscale", "rgb", "rgba"])
def test_files_read_as_read_like_training_reads_them(tmp_path, color_mode):
    from kerascli.data.image_folders import read_like_training

    paths = write_files(tmp_path)
    for size in ((16, 16), (40, 9)):
        config = SimpleNamespace(color_mode=color_mode, image_size=list(size))
        expected = read_like_training(paths, config)
        with bomb_guard():
            for path, want in zip(paths, expected):
                if isinstance(want, DataError):  # a format TensorFlow refuses in this mode
                    with pytest.raises(DataError) as refused:
                        load_like_training(
                            path, height=size[0], width=size[1], color_mode=color_mode
                        )
                    assert refused.value.what == want.what
                    continue
                mine = load_like_training(
                    path, height=size[0], width=size[1], color_mode=color_mode
                )
                assert mine.shape == want.shape and mine.dtype == np.float32
                tolerance = JPEG_LEVELS if path.suffix == ".jpg" else EXACT
                assert np.abs(mine - want).max() <= tolerance, path.name


def test_gif_transparency_and_bmp_palettes_are_read_as_tensorflow_reads_them(tmp_path):
    from kerascli.data.image_folders import read_like_training

    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (12, 10, 4), dtype=np.uint8))
    image.save(tmp_path / "clear.gif")  # a transparent palette entry
    Image.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).convert("P").save(
        tmp_path / "palette.bmp"
    )
    paths = [tmp_path / "clear.gif", tmp_path / "palette.bmp"]
    assert "transparency" in Image.open(paths[0]).info
    expected = read_like_training(paths, SimpleNamespace(color_mode="rgb", image_size=[12, 10]))
    for path, want in zip(paths, expected):
        np.testing.assert_allclose(
            load_like_training(path, height=12, width=10, color_mode="rgb"), want, atol=EXACT
        )


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.txt", b"hello", "'.txt' files are not read"),
        ("empty.png", b"", "empty file"),
        ("fake.gif", b"not a gif at all", "not a PNG, JPEG, BMP or GIF image"),
    ],
)
def test_bad_files_are_one_error_naming_them(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as error:
        load_like_training(path, height=8, width=8, color_mode="rgb")
    assert error.value.where == str(path) and message in error.value.what


def test_tensorflows_refusals_are_kept(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.bmp")
    with pytest.raises(DataError, match="BMP images cannot be read as grayscale"):
        load_like_training(tmp_path / "a.bmp", height=8, width=8, color_mode="grayscale")


def test_a_truncated_32_bit_bmp_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.bmp"
    pixels = np.random.default_rng(3).integers(0, 256, (20, 20, 4), dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DataError) as refused:
        load_like_training(path, height=8, width=8, color_mode="rgba")
    assert refused.value.format() == f"{path}: truncated or corrupt BMP image"
