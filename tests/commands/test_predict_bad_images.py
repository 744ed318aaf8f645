"""Bad and awkward image inputs for `kerascli predict`, as tables.

Bad inputs (damaged files, other formats, decompression bombs, paths that are no image file)
each get one `error:` line naming the path, exit code 2 and no traceback; awkward but valid
encodings (16-bit, CMYK, palette, alpha, bilevel, ...) are converted and predicted. A directory
mixing both predicts the good files and reports each bad one on its own line.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import GifImagePlugin, Image, TiffImagePlugin, WebPImagePlugin
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.data.idx import read_idx
from tests.conftest import MNIST_DIR, train_tiny_run

runner = CliRunner()
DIGIT = read_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")[0]  # a 7, white on black


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """The one real run of this module: an MLP trained for one epoch on 300 MNIST digits."""
    return train_tiny_run(tmp_path_factory.mktemp("bad-images"))


def snapshot(path: Path) -> dict:
    return {
        str(p): (os.lstat(p).st_size, os.lstat(p).st_mtime_ns)
        for p in [path, *sorted(path.rglob("*"))]
    }


# ------------------------------------------------------------------------------ file builders


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_file(
    width: int, height: int, *, depth: int = 8, color: int = 0, rows: bytes | None = None
) -> bytes:
    """A PNG with the given IHDR; `rows` (filter byte + samples per row) default to 16 zeros."""
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    body = zlib.compress(rows if rows is not None else b"\x00" * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", body)
        + png_chunk(b"IEND", b"")
    )


def complete_bilevel_bomb() -> bytes:
    """A complete, valid 1-bit PNG of 10,000 x 9,000 pixels (over Pillow's 89.5 million):
    every row is there, and the whole file is about 11 KB."""
    width, height = 10_000, 9_000
    row = b"\x00" + b"\x00" * (width // 8)
    return png_file(width, height, depth=1, rows=row * height)


def saved(fmt: str | None = None, mode: str = "L", **options):
    """Builder: the digit in `mode`, saved by Pillow (as `fmt`, else by the file's suffix)."""

    def build(path: Path) -> None:
        Image.fromarray(DIGIT).convert(mode).save(path, format=fmt, **options)

    return build


def raw(data: bytes):
    def build(path: Path) -> None:
        path.write_bytes(data)

    return build


def truncated(fmt: str, keep: float):
    def build(path: Path) -> None:
        noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noise).save(buffer, format=fmt)
        data = buffer.getvalue()
        path.write_bytes(data[: int(len(data) * keep)])

    return build


def bad_crc(path: Path) -> None:
    data = bytearray(png_file(4, 4))
    data[29] ^= 0xFF  # the IHDR chunk's checksum
    path.write_bytes(bytes(data))


def symlink_loop(path: Path) -> None:
    path.symlink_to(path)


def broken_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "gone" / "digit.png")


def named_pipe(path: Path) -> None:
    os.mkfifo(path)


def device(path: Path) -> None:
    path.symlink_to("/dev/zero")  # endless: reading it would never finish


def directory(*files: str):
    def build(path: Path) -> None:
        path.mkdir()
        for name in files:
            (path / name).write_text("not an image")

    return build


def nothing(path: Path) -> None:
    pass


def bmp_header(width: int, height: int) -> bytes:
    return (
        b"BM"
        + struct.pack("<IHHI", 0, 0, 0, 54)
        + struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    )


JPEG_HUGE = b"\xff\xd8\xff\xc0\x00\x0b\x08\xff\xff\xff\xff\x01\x01\x11\x00\xff\xd9"
NOT_IMAGE = "not a PNG, JPEG or BMP image (the content is not one of those formats)"
BOMB = "too many pixels: refused as a possible decompression bomb"
NOT_READ = "files are not read (kerascli reads PNG, JPEG or BMP images)"

BAD_IMAGES = [
    # empty and not images at all
    pytest.param("empty.png", raw(b""), "empty file", id="empty-png"),
    pytest.param("empty.jpg", raw(b""), "empty file", id="empty-jpg"),
    pytest.param("notes.png", raw(b"this is text, not a picture\n"), NOT_IMAGE, id="text-png"),
    pytest.param("page.jpg", raw(b"<!DOCTYPE html><html>404</html>"), NOT_IMAGE, id="html-jpg"),
    pytest.param(
        "noise.bmp", raw(np.random.default_rng(2).bytes(512)), NOT_IMAGE, id="random-bytes-bmp"
    ),
    # truncated and damaged
    pytest.param("half.png", truncated("PNG", 0.5), "truncated image", id="truncated-png"),
    pytest.param("most.png", truncated("PNG", 0.95), "truncated image", id="truncated-png-end"),
    pytest.param(
        "signature.png",
        raw(b"\x89PNG\r\n\x1a\n"),
        "truncated or corrupt PNG image",
        id="png-signature-only",
    ),
    pytest.param("header.png", raw(png_file(28, 28)[:20]), "truncated", id="png-header-cut"),
    pytest.param("crc.png", bad_crc, "truncated or corrupt PNG image", id="png-bad-crc"),
    pytest.param(
        "zero.png", raw(png_file(0, 0)), "truncated or corrupt PNG image", id="png-zero-size"
    ),
    pytest.param("half.jpg", truncated("JPEG", 0.5), "truncated image", id="truncated-jpeg"),
    pytest.param(
        "start.jpg", truncated("JPEG", 0.05), "truncated image", id="truncated-jpeg-header"
    ),
    pytest.param(
        "soi.jpg", raw(b"\xff\xd8\xff"), "truncated or corrupt JPEG image", id="jpeg-marker-only"
    ),
    pytest.param("half.bmp", truncated("BMP", 0.5), "truncated image", id="truncated-bmp"),
    # decompression bombs: refused from the header, never decoded
    pytest.param("bomb.png", raw(png_file(100_000, 100_000)), BOMB, id="png-bomb-header"),
    pytest.param("wide.png", raw(png_file(2**31 - 1, 1)), BOMB, id="png-bomb-one-row"),
    pytest.param(
        "warned.png", raw(png_file(10_000, 10_000)), BOMB, id="png-between-limit-and-twice"
    ),  # Pillow alone would only warn
    pytest.param("bilevel.png", raw(complete_bilevel_bomb()), BOMB, id="png-complete-1bit-bomb"),
    pytest.param("bomb.jpg", raw(JPEG_HUGE), BOMB, id="jpeg-bomb-header"),
    pytest.param("bomb.bmp", raw(bmp_header(100_000, 100_000)), BOMB, id="bmp-bomb-header"),
    # other formats: by extension (never opened), or by content under an image extension
    pytest.param("anim.gif", saved("GIF"), f"'.gif' {NOT_READ}", id="gif"),
    pytest.param("scan.tiff", saved("TIFF"), f"'.tiff' {NOT_READ}", id="tiff"),
    pytest.param("scan.tif", saved("TIFF"), f"'.tif' {NOT_READ}", id="tif"),
    pytest.param("photo.webp", saved("WEBP", "RGB"), f"'.webp' {NOT_READ}", id="webp"),
    pytest.param("icon.ico", saved("ICO", "RGB"), f"'.ico' {NOT_READ}", id="ico"),
    pytest.param(
        "drawing.svg",
        raw(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        f"'.svg' {NOT_READ}",
        id="svg",
    ),
    pytest.param(
        "README", raw(b"hello"), "files without an extension are not read", id="no-extension"
    ),
    pytest.param("gif.png", saved("GIF"), NOT_IMAGE, id="gif-named-png"),
    pytest.param("tiff.jpg", saved("TIFF"), NOT_IMAGE, id="tiff-named-jpg"),
    pytest.param("webp.png", saved("WEBP", "RGB"), NOT_IMAGE, id="webp-named-png"),
    pytest.param("ico.bmp", saved("ICO", "RGB"), NOT_IMAGE, id="ico-named-bmp"),
    # paths that are no image file
    pytest.param("missing.png", nothing, "no such file or directory", id="missing-file"),
    pytest.param("missing", nothing, "no such file or directory", id="missing-directory"),
    pytest.param(
        "empty", directory(), "no PNG, JPEG or BMP files in this directory", id="empty-directory"
    ),
    pytest.param(
        "texts",
        directory("a.txt", "b.csv"),
        "no PNG, JPEG or BMP files",
        id="directory-without-images",
    ),
    pytest.param("loop.png", symlink_loop, "a symbolic link loop", id="symlink-loop"),
    pytest.param("broken.png", broken_symlink, "a broken symbolic link", id="broken-symlink"),
    pytest.param("pipe.png", named_pipe, "a named pipe, not an image file", id="named-pipe"),
    pytest.param("zero-device.png", device, "a device, not an image file", id="device"),
]


@pytest.mark.parametrize("name, build, fragment", BAD_IMAGES)
def test_bad_images_are_one_line_each(run_dir, tmp_path, name, build, fragment):
    path = tmp_path / name
    build(path)
    before = snapshot(run_dir)

    result = invoke("predict", path, "--run", run_dir)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert fragment in lines[0] and len(lines[0]) < 300, lines[0]
    assert snapshot(run_dir) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file(run_dir, tmp_path):
    path = tmp_path / "secret.png"
    Image.fromarray(DIGIT).save(path)
    path.chmod(0)

    result = invoke("predict", path, "--run", run_dir)

    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {path}: permission denied"


def test_other_decoders_never_see_the_file(run_dir, tmp_path, monkeypatch):
    """Pillow is restricted to PNG, JPEG and BMP: a GIF, TIFF or WebP named .png or .jpg is
    refused by content without its own (more exotic) parser ever running."""
    opened = []
    for plugin, cls in (
        (GifImagePlugin, "GifImageFile"),
        (TiffImagePlugin, "TiffImageFile"),
        (WebPImagePlugin, "WebPImageFile"),
    ):
        monkeypatch.setattr(
            getattr(plugin, cls), "_open", lambda self, name=cls: opened.append(name)
        )
    paths = []
    for name, fmt, mode in (
        ("a.png", "GIF", "L"),
        ("b.jpg", "TIFF", "L"),
        ("c.png", "WEBP", "RGB"),
    ):
        paths.append(tmp_path / name)
        Image.fromarray(DIGIT).convert(mode).save(paths[-1], format=fmt)

    result = invoke("predict", *paths, "--run", run_dir)

    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 3
    assert opened == []


# ------------------------------------------------------------------------------ awkward but valid


def with_orientation(path: Path, fmt: str) -> None:
    """A JPEG (or MPO, the camera variant) stored sideways with an EXIF orientation tag."""
    # Stored turned a quarter anticlockwise; orientation 6 says: turn it clockwise to view.
    image = Image.fromarray(np.rot90(DIGIT, 1).copy()).convert("RGB")
    exif = image.getexif()
    exif[0x0112] = 6
    options = {"save_all": True, "append_images": [image]} if fmt == "MPO" else {}
    image.save(path, format=fmt, exif=exif, quality=95, **options)


def corrupt_exif(path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(DIGIT).save(buffer, format="JPEG", quality=95)
    segment = b"Exif\x00\x00II*\x00\xff\xff\xff\xff"  # an IFD offset far past the end
    app1 = b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment
    path.write_bytes(b"\xff\xd8" + app1 + buffer.getvalue()[2:])


def with_alpha(mode: str):
    def build(path: Path) -> None:
        # White ink drawn on a transparent canvas: the alpha channel is the digit.
        ink = np.full((28, 28, 3 if mode == "RGBA" else 1), 255, dtype=np.uint8)
        Image.fromarray(np.concatenate([ink, DIGIT[..., None]], axis=-1), mode).save(path)

    return build


def large(path: Path) -> None:
    Image.fromarray(DIGIT).resize((3000, 3000), Image.Resampling.BICUBIC).save(
        path, compress_level=1
    )


# (name, builder, True when the conversion is exact and predicts what the plain PNG does)
AWKWARD = [
    pytest.param(
        "gray16.png",
        lambda p: Image.fromarray(DIGIT.astype(np.uint16) * 257).save(p),
        True,
        id="16-bit-grayscale",
    ),
    pytest.param(
        "rgb16.png",
        raw(png_file(2, 2, depth=16, color=2, rows=(b"\x00" + b"\xff" * 12) * 2)),
        False,
        id="16-bit-rgb",
    ),
    pytest.param("cmyk.jpg", saved("JPEG", "CMYK", quality=95), False, id="cmyk-jpeg"),
    pytest.param("palette.png", saved("PNG", "P"), True, id="palette"),
    pytest.param("palette.bmp", saved("BMP", "P"), True, id="palette-bmp"),
    pytest.param(
        "palette-trns.png", saved("PNG", "P", transparency=0), False, id="palette-with-transparency"
    ),
    pytest.param(
        "gray-trns.png",
        saved("PNG", "L", transparency=0),
        False,
        id="grayscale-with-transparent-colour",
    ),
    pytest.param("la.png", with_alpha("LA"), False, id="la-alpha"),
    pytest.param("rgba.png", with_alpha("RGBA"), False, id="rgba-alpha"),
    pytest.param("bilevel.png", saved("PNG", "1"), False, id="1-bit-png"),
    pytest.param("bilevel.bmp", saved("BMP", "1"), False, id="1-bit-bmp"),
    pytest.param(
        "progressive.jpg", saved("JPEG", progressive=True, quality=95), False, id="progressive-jpeg"
    ),
    pytest.param("rotated.jpg", lambda p: with_orientation(p, "JPEG"), False, id="exif-rotated"),
    pytest.param("camera.jpg", lambda p: with_orientation(p, "MPO"), False, id="mpo-jpeg"),
    pytest.param("bad-exif.jpg", corrupt_exif, False, id="corrupt-exif"),
    pytest.param(
        "animated.png",
        lambda p: Image.fromarray(DIGIT).save(
            p, save_all=True, append_images=[Image.fromarray(255 - DIGIT)]
        ),
        True,
        id="apng",
    ),
    pytest.param("large.png", large, False, id="3000x3000"),
    pytest.param("one-pixel.png", raw(png_file(1, 1, rows=b"\x00\xff")), False, id="one-pixel"),
    pytest.param("DIGIT.PNG", saved("PNG"), True, id="upper-case-suffix"),
]


@pytest.fixture(scope="module")
def plain_prediction(run_dir, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("plain") / "digit.png"
    Image.fromarray(DIGIT).save(path)
    result = invoke("predict", path, "--run", run_dir, "--json", "--top-k", "10")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name, build, exact", AWKWARD)
def test_awkward_images_are_converted_and_predicted(
    run_dir, plain_prediction, tmp_path, name, build, exact
):
    path = tmp_path / name
    build(path)

    result = invoke("predict", path, "--run", run_dir, "--json", "--top-k", "10")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no warning either (corrupt EXIF, skipped chunks, ...)
    row = json.loads(result.stdout)
    assert row["file"] == str(path) and 0.0 <= row["probability"] <= 1.0
    if exact:
        assert row["top_k"] == plain_prediction["top_k"]


def test_mpo_and_jpeg_orientation_is_applied(tmp_path):
    from kerascli.data.images.decode import load_image

    for fmt in ("JPEG", "MPO"):
        path = tmp_path / f"rotated-{fmt}.jpg"
        with_orientation(path, fmt)
        pixels = load_image(path, height=28, width=28, channels=1)[..., 0].astype(int)
        assert np.abs(pixels - DIGIT).mean() < 6, fmt  # upright again, as the digit was


# ------------------------------------------------------------------------------ mixed inputs


def test_a_mixed_directory_predicts_the_good_and_reports_each_bad(run_dir, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = ["a-good.png", "b-good.jpg", "c-good.bmp", "d-cmyk.jpg"]
    saved("PNG")(folder / good[0])
    saved("JPEG", quality=95)(folder / good[1])
    saved("BMP")(folder / good[2])
    saved("JPEG", "CMYK")(folder / good[3])
    bad = {
        "e-empty.png": raw(b""),
        "f-text.png": raw(b"text"),
        "g-half.jpg": truncated("JPEG", 0.5),
        "h-bomb.png": raw(png_file(100_000, 100_000)),
        "i-gif.png": saved("GIF"),
        "j-loop.png": symlink_loop,
        "k-pipe.png": named_pipe,
    }
    for name, build in bad.items():
        build(folder / name)
    (folder / "notes.txt").write_text("skipped: not an image extension")
    (folder / "sub.png").mkdir()  # a folder named like an image: skipped too
    missing = tmp_path / "missing.jpg"
    before = snapshot(run_dir)

    result = invoke("predict", folder, missing, "--run", run_dir, "--json")

    assert result.exit_code == 2  # something failed, though the good files were predicted
    assert "Traceback" not in result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(row["file"]).name for row in rows] == good
    errors = result.stderr.strip().splitlines()
    named = sorted(line.removeprefix("error: ").split(": ")[0] for line in errors)
    assert named == sorted([str(folder / name) for name in bad] + [str(missing)])
    assert all(line.startswith("error: ") for line in errors)
    assert snapshot(run_dir) == before


def test_only_bad_inputs_exit_2_without_loading_the_model(run_dir, tmp_path, monkeypatch):
    from kerascli.commands import predict

    def no_load(run):
        raise AssertionError("no image to predict: the model need not be loaded")

    monkeypatch.setattr(predict, "load_model", no_load)
    (tmp_path / "empty").mkdir()
    result = invoke("predict", tmp_path / "empty", tmp_path / "nowhere.png", "--run", run_dir)

    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 2 and result.stdout == ""
