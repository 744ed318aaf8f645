"""Tests for kerascli.images: real image files written with Pillow, good and bad."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from kerascli.data.idx import read_idx
from kerascli.data.images import decode, ink
from kerascli.data.images import files as image_files
from kerascli.data.images.decode import bomb_guard, load_image
from kerascli.data.images.files import find_images
from kerascli.data.images.ink import border_level
from kerascli.data.images.reader import ImageReader
from kerascli.errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[3]
MNIST28 = dict(height=28, width=28, channels=1)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """Eight real MNIST test digits, uint8 (8, 28, 28): white ink on black."""
    return read_idx(REPO_ROOT / "data" / "mnist" / "t10k-images-idx3-ubyte.gz")[:8]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` x `height` pixels (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


# ------------------------------------------------------------------------------ finding files


def test_find_images_expands_directories_in_order(tmp_path, digits):
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in ("b.png", "a.PNG", "c.jpeg", "d.bmp"):
        fmt = image_files.EXTENSIONS[Path(name).suffix.lower()]
        Image.fromarray(digits[0]).save(folder / name, format=fmt)
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(b"")
    (folder / "sub").mkdir()
    single = tmp_path / "one.jpg"
    Image.fromarray(digits[1]).save(single)

    files, errors = find_images([single, folder])

    assert errors == []
    assert [f.name for f in files] == ["one.jpg", "a.PNG", "b.png", "c.jpeg", "d.bmp"]


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("empty", lambda p: p.mkdir(), "no PNG, JPEG or BMP files in this directory"),
        ("missing.png", lambda p: None, "no such file or directory"),
        ("animation.gif", lambda p: p.write_bytes(b"GIF89a"), "'.gif' files are not read"),
        ("README", lambda p: p.write_text("hello"), "files without an extension are not read"),
    ],
)
def test_find_images_errors(tmp_path, name, make, message):
    target = tmp_path / name
    make(target)

    files, errors = find_images([target])

    assert files == []
    assert len(errors) == 1 and errors[0].where == str(target)
    assert message in errors[0].format()


# ------------------------------------------------------------------------------ good images


def test_png_round_trip_is_exact(tmp_path, digits):
    path = tmp_path / "digit.png"
    Image.fromarray(digits[0]).save(path)

    pixels = load_image(path, **MNIST28)

    assert pixels.shape == (28, 28, 1) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[..., 0], digits[0])


@pytest.mark.parametrize("fmt, suffix, mean_error", [("BMP", ".bmp", 0.0), ("JPEG", ".jpg", 6.0)])
def test_bmp_and_jpeg(tmp_path, digits, fmt, suffix, mean_error):
    path = tmp_path / f"digit{suffix}"
    Image.fromarray(digits[2]).save(path, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))

    pixels = load_image(path, **MNIST28)[..., 0].astype(int)

    assert np.abs(pixels - digits[2]).mean() <= mean_error  # JPEG is lossy, BMP exact


def _save_converted(path: Path, digit: np.ndarray, kind: str) -> None:
    """Writes `digit` (white on black) in one of the awkward encodings users send."""
    if kind == "16-bit":
        Image.fromarray(digit.astype(np.uint16) * 257).save(path)  # mode I;16, 65535 = white
    elif kind == "cmyk-jpeg":
        Image.fromarray(digit).convert("RGB").convert("CMYK").save(path, quality=95)
    elif kind == "palette":
        Image.fromarray(digit).convert("P").save(path)
    elif kind == "rgb":
        Image.fromarray(np.stack([digit] * 3, axis=-1)).save(path)
    elif kind == "bilevel-bmp":
        Image.fromarray(digit).point(lambda v: 255 if v > 127 else 0).convert("1").save(path)


@pytest.mark.parametrize(
    "kind, suffix, tolerance",
    [
        ("16-bit", ".png", 0),
        ("cmyk-jpeg", ".jpg", 20),
        ("palette", ".png", 3),
        ("rgb", ".png", 1),
        ("bilevel-bmp", ".bmp", 128),
    ],
)
def test_awkward_encodings_convert_to_the_same_digit(tmp_path, digits, kind, suffix, tolerance):
    path = tmp_path / f"digit{suffix}"
    _save_converted(path, digits[3], kind)

    pixels = load_image(path, **MNIST28)[..., 0].astype(int)

    assert pixels.shape == (28, 28)
    assert np.abs(pixels - digits[3]).mean() <= tolerance / 4 + 0.5
    assert pixels[:3].max() <= tolerance + 10  # the black border stays black


@pytest.mark.parametrize(
    "ink, mode, expected_background",
    [
        (0, "RGBA", 255),  # dark ink on transparent: onto white, which auto-inversion expects
        (0, "LA", 255),
        (255, "RGBA", 0),  # light ink on transparent: onto black, already MNIST's convention
        (255, "LA", 0),
    ],
)
def test_transparency_is_composited_against_the_ink(
    tmp_path, digits, ink, mode, expected_background
):
    alpha = digits[4]
    color = np.full((28, 28, 3 if mode == "RGBA" else 1), ink, dtype=np.uint8)
    array = np.concatenate([color, alpha[..., None]], axis=-1)
    path = tmp_path / "drawn.png"
    Image.fromarray(array, mode).save(path)

    pixels = load_image(path, **MNIST28)[..., 0].astype(int)

    assert border_level(pixels) == expected_background
    strokes = alpha == 255
    assert strokes.any() and np.abs(pixels[strokes] - ink).max() <= 2


def test_palette_with_transparent_index(tmp_path, digits):
    image = Image.fromarray(255 - digits[5]).convert("P")
    image.info["transparency"] = image.getpixel((0, 0))  # the white paper is transparent
    path = tmp_path / "palette.png"
    image.save(path, transparency=image.getpixel((0, 0)))

    pixels = load_image(path, **MNIST28)

    assert border_level(pixels) == 255  # dark ink: composited onto white


def test_channels_follow_the_model(tmp_path, digits):
    gray = tmp_path / "gray.png"
    Image.fromarray(digits[0]).save(gray)
    color = tmp_path / "color.png"
    Image.fromarray(np.stack([digits[0], digits[0] // 2, digits[0] // 4], axis=-1)).save(color)

    as_rgb = load_image(gray, height=28, width=28, channels=3)
    as_gray = load_image(color, **MNIST28)

    assert as_rgb.shape == (28, 28, 3)
    np.testing.assert_array_equal(as_rgb[..., 0], as_rgb[..., 2])
    assert as_gray.shape == (28, 28, 1)


def test_larger_scans_are_resized_and_non_square_ones_padded(tmp_path, digits):
    big = tmp_path / "big.png"
    Image.fromarray(digits[6]).resize((112, 112), Image.Resampling.BICUBIC).save(big)
    wide = tmp_path / "wide.png"
    Image.fromarray(np.pad(digits[6], ((0, 0), (28, 28)))).save(wide)  # 84 wide, 28 high

    resized = load_image(big, **MNIST28)[..., 0].astype(int)
    padded = load_image(wide, **MNIST28)[..., 0].astype(int)

    assert np.abs(resized - digits[6]).mean() < 12
    # The digit keeps its proportions: shrunk by 3 in both directions, in the middle rows.
    rows = np.flatnonzero(padded.max(axis=1) > 60)
    assert rows.min() >= 8 and rows.max() <= 19


# ------------------------------------------------------------------------------ bad images


def _truncated_png(path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _gif_named_png(path: Path) -> None:
    Image.new("L", (28, 28)).save(path, format="GIF")


def _tiff_named_jpg(path: Path) -> None:
    Image.new("L", (28, 28)).save(path, format="TIFF")


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("empty.png", lambda p: p.write_bytes(b""), "empty file"),
        ("text.png", lambda p: p.write_text("just some text\n"), "not a PNG, JPEG or BMP image"),
        ("truncated.png", _truncated_png, "truncated image"),
        ("header-only.png", lambda p: p.write_bytes(png_claiming(28, 28)[:20]), "truncated"),
        ("gif-inside.png", _gif_named_png, "not a PNG, JPEG or BMP image"),
        ("tiff-inside.jpg", _tiff_named_jpg, "not a PNG, JPEG or BMP image"),
        ("animation.gif", _gif_named_png, "'.gif' files are not read"),
        ("scan.tiff", lambda p: Image.new("L", (8, 8)).save(p), "'.tiff' files are not read"),
        ("bomb.png", lambda p: p.write_bytes(png_claiming(100_000, 100_000)), "decompression bomb"),
        ("big.png", lambda p: p.write_bytes(png_claiming(10_000, 10_000)), "decompression bomb"),
    ],
)
def test_bad_files_get_a_short_error(tmp_path, name, make, message):
    path = tmp_path / name
    make(path)

    with bomb_guard(), pytest.raises(DataError) as caught:
        load_image(path, **MNIST28)

    line = caught.value.format()
    assert caught.value.where == str(path)
    assert message in line and "\n" not in line and len(line) < 300


def test_other_formats_are_refused_unopened(tmp_path, monkeypatch):
    def no_open(*args, **kwargs):
        raise AssertionError("Image.open must not see a .gif")

    monkeypatch.setattr(decode.Image, "open", no_open)
    path = tmp_path / "a.gif"
    path.write_bytes(b"GIF89a")

    with pytest.raises(DataError, match="not read"):
        load_image(path, **MNIST28)


def test_pillow_limit_applies_without_the_guard(tmp_path, monkeypatch, digits):
    # Between MAX_IMAGE_PIXELS and twice that, Pillow alone would only warn.
    monkeypatch.setattr(decode.Image, "MAX_IMAGE_PIXELS", 500)
    path = tmp_path / "digit.png"
    Image.fromarray(digits[0]).save(path)  # 784 pixels

    with (
        pytest.warns(Image.DecompressionBombWarning),
        pytest.raises(DataError, match="decompression"),
    ):
        load_image(path, **MNIST28)


def test_reader_keeps_order_and_errors_in_place(tmp_path, digits):
    paths = []
    for index in range(5):
        path = tmp_path / f"{index}.png"
        Image.fromarray(digits[index]).save(path)
        paths.append(path)
    paths[2].write_text("broken")

    with ImageReader(workers=3, **MNIST28) as reader:
        results = reader.read(paths)

    assert isinstance(results[2], DataError) and str(paths[2]) in results[2].format()
    for index in (0, 1, 3, 4):
        np.testing.assert_array_equal(results[index][..., 0], digits[index])


def test_border_level():
    image = np.zeros((28, 28), dtype=np.uint8)
    image[10:18, 10:18] = 255
    assert border_level(image) == 0
    assert border_level(255 - image) == 255
    assert border_level(np.full((5, 7, 3), 200, dtype=np.uint8)) == 200


def test_invert_takes_grey_paper_to_black(digits):
    # A digit photographed on grey paper with grey ink: paper 190, strokes down to 40.
    photo = (190 - digits[:4].astype(np.float32) * (150 / 255)).astype(np.uint8)
    already_dark = digits[4:5]

    inverted = ink.invert(photo)
    flipped_back = ink.invert(already_dark)

    assert inverted.dtype == np.uint8 and inverted.shape == photo.shape
    assert (border_levels := ink.border_levels(inverted)).max() == 0, border_levels
    assert np.abs(inverted.astype(int) - digits[:4]).mean() < 3  # ink back at full strength
    np.testing.assert_array_equal(flipped_back, 255 - already_dark)  # plain inversion


# ------------------------------------------------------------------------------ large and odd files


def _large(digit: np.ndarray, mode: str) -> Image.Image:
    """`digit` blown up to 1,400 x 1,400 (50 times the model's input) in `mode`."""
    big = Image.fromarray(digit).resize((1400, 1400), Image.Resampling.BILINEAR)
    if mode == "RGBA":  # white ink on nothing: the alpha channel is the digit
        alpha = np.asarray(big)
        return Image.fromarray(np.dstack([np.full_like(alpha, 255)] * 3 + [alpha]), "RGBA")
    if mode == "P-transparent":  # pure white ink on a transparent index 0 (black)
        paletted = (
            Image.fromarray(np.where(digit > 127, 255, 0).astype(np.uint8))
            .resize((1400, 1400), Image.Resampling.NEAREST)
            .convert("P")
        )
        paletted.info["transparency"] = 0
        return paletted
    return big.convert(mode)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "P-transparent", "1", "I;16"])
def test_large_images_are_reduced_first_to_the_same_result(tmp_path, digits, monkeypatch, mode):
    image = _large(digits[7], mode)
    path = tmp_path / "large.png"
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)
    image.save(path, transparency=0) if mode == "P-transparent" else image.save(path)

    reduced = load_image(path, **MNIST28)[..., 0].astype(int)
    monkeypatch.setattr(decode, "_reduced", lambda image, width, height: image)
    direct = load_image(path, **MNIST28)[..., 0].astype(int)

    # The shortcut only saves memory (float32 copies of 2 million pixels): same picture.
    assert np.abs(reduced - direct).mean() < 2.0
    assert np.abs(reduced - digits[7]).mean() < 20


def test_directory_entries_that_are_no_files_are_reported(tmp_path, digits):
    Image.fromarray(digits[0]).save(tmp_path / "good.png")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "broken.jpg").symlink_to(tmp_path / "nowhere.jpg")
    os.mkfifo(tmp_path / "pipe.bmp")
    (tmp_path / "folder.png").mkdir()

    files, errors = find_images([tmp_path])

    assert [f.name for f in files] == ["good.png"]
    assert sorted(error.format() for error in errors) == [
        f"{tmp_path / 'broken.jpg'}: a broken symbolic link (its target "
        f"{tmp_path / 'nowhere.jpg'} does not exist)",
        f"{tmp_path / 'loop.png'}: a symbolic link loop",
        f"{tmp_path / 'pipe.bmp'}: a named pipe, not an image file",
    ]


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    # Opening a pipe for reading blocks until someone writes: load_image must not try.
    with pytest.raises(DataError, match="a named pipe, not an image file"):
        load_image(path, **MNIST28)


def test_pillow_warnings_do_not_reach_stderr(tmp_path, digits, recwarn):
    path = tmp_path / "exif.jpg"
    buffer = io.BytesIO()
    Image.fromarray(digits[0]).save(buffer, format="JPEG", quality=95)
    segment = b"Exif\x00\x00II*\x00\xff\xff\xff\xff"  # an EXIF block pointing past its end
    path.write_bytes(
        b"\xff\xd8\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + buffer.getvalue()[2:]
    )

    with bomb_guard():
        pixels = load_image(path, **MNIST28)

    assert pixels.shape == (28, 28, 1)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
