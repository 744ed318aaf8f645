"""Decoding one image file into the size and channels a model takes, through Pillow, safely.

Image files come from users and may be anything: a text file named `.png`, a truncated download,
a GIF, a 16-bit scan, a CMYK JPEG from a print workflow, a PNG whose header claims a billion
pixels. Only PNG, JPEG and BMP are read, and only through Pillow restricted to those decoders
(`Image.open(..., formats=...)`), so a file is never handed to any other of Pillow's parsers.
Pillow's decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`) stays on, and images over it are
refused before their pixels are decoded. Every problem with one file is a `DataError` for that
file, so the other files can still be used.

Everything here returns uint8 arrays `(height, width, channels)`; scaling to what the model was
trained on is `kerascli.data.preprocess.preprocess_images`' job. Nothing imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kerascli.data.images.files import (
    EXTENSIONS,
    FORMATS,
    SUPPORTED,
    UnsupportedImage,
    file_size,
    open_regular,
    signature,
    stat_problem,
    unsupported,
)
from kerascli.data.images.ink import ring_mask
from kerascli.errors import DataError, one_line


def check_pixels(image: Image.Image, path: Path) -> None:
    """Raises `DataError` for an image over Pillow's pixel limit, before its pixels are decoded."""
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; kerascli refuses at the limit.
    limit = Image.MAX_IMAGE_PIXELS
    pixels = image.width * image.height
    if limit and pixels > limit:
        raise DataError(
            str(path),
            f"too many pixels ({image.width}x{image.height}): refused as "
            f"a possible decompression bomb (the limit is {limit:,} pixels)",
            "use a smaller image",
        )


def _to_8bit(image: Image.Image) -> Image.Image:
    """Turns 16-bit and 32-bit grayscale (`I;16`, `I`, `F`) into 8-bit `L`."""
    values = np.asarray(image)
    if image.mode == "F":
        high = 255.0 if values.size == 0 or values.max() <= 255.0 else float(values.max())
        scaled = values / high * 255.0
    else:
        # PNG stores 16-bit samples; 65535 maps to 255 (divide by 257, the exact ratio).
        scaled = values.astype(np.float64) / 257.0
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """Composites a transparent image onto a background that contrasts with its ink.

    Drawings saved with transparency are ink on nothing. Dark ink goes onto white, which is the
    paper that automatic inversion expects and turns into MNIST's white-on-black; light ink goes
    onto black, which is already MNIST's convention. Either way the digit stays visible, which
    a fixed white or black background would not guarantee.
    """
    rgba = image.convert("RGBA")
    pixels = np.asarray(rgba, dtype=np.float32)
    alpha = pixels[..., 3] / 255.0
    luma = pixels[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    weight = float(alpha.sum())
    ink = float((luma * alpha).sum() / weight) if weight > 0 else 0.0
    background = (255, 255, 255, 255) if ink < 128 else (0, 0, 0, 255)
    return Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba).convert("RGB")


def _normalise_mode(image: Image.Image, channels: int) -> Image.Image:
    """Converts any decoded mode to `L` (one channel) or `RGB` (three)."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        image = _to_8bit(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        "transparency" in image.info and image.mode in ("P", "L", "RGB", "1")
    )
    if has_alpha:
        image = _flatten_alpha(image)
    if image.mode not in ("L", "RGB"):
        # CMYK, YCbCr, LAB, palette and bilevel images, through Pillow's own conversions.
        image = image.convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def _decoder_problem(error: BaseException) -> str:
    what = "truncated image" if "truncated" in str(error).lower() else "corrupt image"
    return f"{what}: {one_line(error, 120)}"


def _reduced(image: Image.Image, width: int, height: int) -> Image.Image:
    """Shrinks an image far larger than the model's input by an integer factor, first.

    The conversions that follow work in float32 (four bytes per sample), which for an image just
    under Pillow's pixel limit would be gigabytes per decoding thread. Keeping at least four times
    the output size leaves the final Lanczos resize the detail it needs.
    """
    factor = min(image.width // (4 * width), image.height // (4 * height))
    if factor < 2:
        return image
    # Pillow's reduce averages samples: palette indices and bilevel images are made plain
    # first, and a colour-key transparency becomes an alpha channel before it could be lost.
    if image.mode in ("1", "P", "PA") or "transparency" in image.info:
        transparent = image.mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "L" if image.mode == "1" else "RGB")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    premultiplied = {"RGBA": "RGBa", "LA": "La"}.get(image.mode)
    if premultiplied:
        # Averaged with their alpha, so the colour of invisible pixels does not bleed in.
        return image.convert(premultiplied).reduce(factor).convert(image.mode)
    return image.reduce(factor)


def load_image(path: str | Path, *, height: int, width: int, channels: int) -> np.ndarray:
    """Reads one image file and converts it to the size and channels a model takes.

    Only a regular file is opened (never a pipe or a device), and it is decoded by Pillow
    restricted to PNG, JPEG and BMP. 16-bit images are scaled to 8 bits; CMYK, palette and
    bilevel images are converted; transparency is composited (see `_flatten_alpha`); JPEG
    orientation tags are applied. An image many times the output size is first reduced by an
    integer factor (see `_reduced`). A non-matching aspect ratio is padded with the image's own
    border colour rather than stretched, then the image is resized with a Lanczos filter.

    Args:
        path: A `.png`, `.jpg`/`.jpeg` or `.bmp` file.
        height: Output height. width: Output width.
        channels: 1 (grayscale) or 3 (RGB).

    Returns:
        A uint8 array of shape `(height, width, channels)`.

    Raises:
        DataError: With a short reason when the file is missing, not a regular file, empty, of
            another format, not a decodable image, truncated, or larger than
            `Image.MAX_IMAGE_PIXELS`.
    """
    path = Path(path)
    if path.suffix.lower() not in EXTENSIONS:
        raise unsupported(path)
    with (
        decoding_errors(path),
        open_regular(path) as handle,
        Image.open(handle, formats=list(FORMATS)) as image,
    ):
        check_pixels(image, path)
        # MPO is how Pillow opens the JPEGs of cameras that embed a second picture: a JPEG
        # (its first frame is what a viewer shows), with the same orientation tag.
        if image.format in ("JPEG", "MPO"):
            # Lets libjpeg decode large photos at a fraction of their size (DCT scaling).
            image.draft(None, (width, height))
            image = ImageOps.exif_transpose(image)
        image = _normalise_mode(_reduced(image, width, height), channels)
        if image.size != (width, height):
            # Padding with the background keeps a digit's proportions, as MNIST's did.
            pixels = np.asarray(image)
            ring = np.median(pixels[ring_mask(*pixels.shape[:2])], axis=0)
            fill = int(ring) if channels == 1 else tuple(int(v) for v in ring)
            image = ImageOps.pad(
                image, (width, height), method=Image.Resampling.LANCZOS, color=fill
            )
        pixels = np.asarray(image, dtype=np.uint8)
    return pixels.reshape(height, width, channels)


@contextlib.contextmanager
def decoding_errors(path: Path, supported: str = SUPPORTED):
    """Turns every way opening and decoding `path` can fail into a `DataError` naming the file.

    Args:
        path: The image file being read.
        supported: The formats the reader accepts, in words, for a file of another format.
            Defaults to `SUPPORTED`.
    """
    try:
        yield
    except DataError:
        raise
    except (FileNotFoundError, NotADirectoryError) as error:
        raise DataError(str(path), stat_problem(path, error)) from None
    except PermissionError:
        raise DataError(str(path), "permission denied") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory") from None
    except UnidentifiedImageError:
        if file_size(path) == 0:
            raise DataError(str(path), "empty file") from None
        kind = signature(path)
        if kind:
            raise DataError(str(path), f"truncated or corrupt {kind} image") from None
        raise UnsupportedImage(
            str(path), f"not a {supported} image (the content is not one of those formats)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(
            str(path),
            "too many pixels: refused as a possible decompression bomb "
            f"(the limit is {Image.MAX_IMAGE_PIXELS:,} pixels)",
            "use a smaller image",
        ) from None
    except OSError as error:
        if error.errno is not None and error.filename is not None:
            # The file system's refusal (a link loop, ...), not the decoder's.
            raise DataError(str(path), stat_problem(path, error)) from None
        raise DataError(str(path), _decoder_problem(error)) from None
    except MemoryError:
        raise DataError(
            str(path), "not enough memory to decode this image", "use a smaller image"
        ) from None
    except Exception as error:  # noqa: BLE001 - decoders raise SyntaxError, ValueError...
        raise DataError(str(path), _decoder_problem(error)) from None


def check_image(
    path: str | Path, formats: tuple[str, ...] = FORMATS, supported: str = SUPPORTED
) -> str:
    """Decodes one image file completely, only to know that it can be read.

    Used before training on a folder of images, so that a damaged file is one error naming it
    before TensorFlow loads, not a failure in the middle of an epoch. Call it inside `bomb_guard`.

    Args:
        path: The file.
        formats: Pillow decoders allowed to read it. Defaults to `FORMATS`.
        supported: `formats` in words, for errors. Defaults to `SUPPORTED`.

    Returns:
        The format Pillow found in the file's content (`PNG`, `JPEG`, ...).

    Raises:
        DataError: As `load_image`, naming the file.
    """
    path = Path(path)
    with (
        decoding_errors(path, supported),
        open_regular(path) as handle,
        Image.open(handle, formats=list(formats)) as image,
    ):
        check_pixels(image, path)
        image.load()  # `verify()` alone passes truncated JPEGs that decoders then fail on
        return "JPEG" if image.format == "MPO" else image.format


@contextlib.contextmanager
def bomb_guard():
    """Turns Pillow's `DecompressionBombWarning` into an error for the duration of the block.

    Pillow's other warnings (`UserWarning`s about damage it worked around) are silenced.

    Warning filters are process-wide, so this belongs around a whole batch of reads in the
    calling thread (the reader threads see the same filters), not inside each read.
    """
    with warnings.catch_warnings():
        # Pillow warns about damage it works around (corrupt EXIF data, for one); printed, the
        # warning would be lines of stderr that are no `error:` line and name no file.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL(\.|$)")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield
