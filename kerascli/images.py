"""Reading image files for prediction: finding them, decoding them safely, converting them.

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
import errno
import os
import stat
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kerascli.errors import DataError

# The decoders that may look at a file. Pillow otherwise tries every format it knows, and some
# of its rarer parsers have had memory-safety bugs.
FORMATS = ("PNG", "JPEG", "BMP")
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".bmp": "BMP"}
_SUPPORTED = "PNG, JPEG or BMP"
_MAGIC = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff", "BMP": b"BM"}
# How much of an image's edge counts as its background: MNIST centres a 20x20 digit in 28x28,
# so the outer tenth of an MNIST-like image is background, not ink.
_BORDER_FRACTION = 0.1


def find_images(paths: list[str | Path]) -> tuple[list[Path], list[DataError]]:
    """Expands files and directories into the image files to read.

    A directory contributes its PNG, JPEG and BMP files (by extension, case-insensitive, not
    recursive, sorted by name); other files in it are skipped. A file named explicitly must have
    one of those extensions: anything else is refused without being opened. Nothing is opened
    here: only the file system's own metadata is read, so a named pipe or a device cannot block.

    Args:
        paths: Files and directories, as the user gave them.

    Returns:
        `(files, errors)`: the image files in order, and one `DataError` per path that gave none
        (missing, a broken symbolic link, not a regular file, not an image extension, a directory
        without images) and per image-named directory entry that cannot be read.
    """
    files: list[Path] = []
    errors: list[DataError] = []
    for given in paths:
        path = Path(given)
        try:
            mode = os.stat(path).st_mode  # follows symbolic links, as opening would
        except (OSError, ValueError) as error:
            errors.append(DataError(str(path), _stat_problem(path, error)))
            continue
        if stat.S_ISDIR(mode):
            found, problems = _scan_directory(path)
            errors.extend(problems)
            if not found and not problems:
                errors.append(DataError(str(path), f"no {_SUPPORTED} files in this directory"))
            files.extend(found)
        elif not stat.S_ISREG(mode):
            errors.append(DataError(str(path), _not_regular(mode), "name an image file"))
        elif path.suffix.lower() not in EXTENSIONS:
            errors.append(_unsupported(path))
        else:
            files.append(path)
    return files, errors


def _scan_directory(path: Path) -> tuple[list[Path], list[DataError]]:
    """The image files of one directory, and an error per image-named entry that is no file."""
    found: list[Path] = []
    problems: list[DataError] = []
    try:
        # scandir knows each entry's type without a stat call: it matters at 10,000 files.
        with os.scandir(path) as listing:
            entries = sorted((entry for entry in listing if not entry.name.startswith(".")
                              and os.path.splitext(entry.name)[1].lower() in EXTENSIONS),
                             key=lambda entry: entry.name)
    except OSError as error:
        return [], [DataError(str(path), f"cannot list the directory: {error.strerror}")]
    for entry in entries:
        try:
            # Both follow symbolic links; a link loop raises rather than answering False.
            is_file, is_dir = entry.is_file(), entry.is_dir()
        except OSError:
            is_file = is_dir = False
        if is_file:
            found.append(path / entry.name)
        elif not is_dir:  # a folder named like an image is neither recursed into nor an error
            # A broken link or a pipe named `x.png` was meant as an image: saying so beats
            # skipping it silently.
            problems.append(DataError(str(path / entry.name), _entry_problem(path / entry.name)))
    return found, problems


def _entry_problem(path: Path) -> str:
    try:
        return _not_regular(os.stat(path).st_mode)
    except (OSError, ValueError) as error:
        return _stat_problem(path, error)


def _stat_problem(path: Path, error: BaseException) -> str:
    """Why a path cannot be looked at, in words (`os.stat`'s error)."""
    if isinstance(error, ValueError):  # an embedded NUL byte
        return "not a valid path"
    if error.errno == errno.ELOOP:
        return "a symbolic link loop"
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(path):
            with contextlib.suppress(OSError):
                return f"a broken symbolic link (its target {os.readlink(path)} does not exist)"
            return "a broken symbolic link"
        return "no such file or directory"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


def _not_regular(mode: int) -> str:
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a directory"
            if stat.S_ISDIR(mode) else "not a regular file")
    return f"{kind}, not an image file" if kind.startswith("a ") else kind


def _unsupported(path: Path) -> DataError:
    kind = f"'{path.suffix}' files" if path.suffix else "files without an extension"
    return DataError(str(path), f"{kind} are not read", f"kerascli reads {_SUPPORTED} images")


def _signature(path: Path) -> str | None:
    """The format a file's first bytes claim, to tell a damaged image from a non-image."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    return next((name for name, magic in _MAGIC.items() if head.startswith(magic)), None)


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__


def _check_pixels(image: Image.Image, path: Path) -> None:
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; kerascli refuses at the limit.
    limit = Image.MAX_IMAGE_PIXELS
    pixels = image.width * image.height
    if limit and pixels > limit:
        raise DataError(str(path), f"too many pixels ({image.width}x{image.height}): refused as "
                        f"a possible decompression bomb (the limit is {limit:,} pixels)",
                        "use a smaller image")


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
        "transparency" in image.info and image.mode in ("P", "L", "RGB", "1"))
    if has_alpha:
        image = _flatten_alpha(image)
    if image.mode not in ("L", "RGB"):
        # CMYK, YCbCr, LAB, palette and bilevel images, through Pillow's own conversions.
        image = image.convert("RGB")
    target = "L" if channels == 1 else "RGB"
    return image if image.mode == target else image.convert(target)


def _ring_mask(height: int, width: int) -> np.ndarray:
    """Marks an image's outer ring: a tenth of the shorter side wide, at least one pixel."""
    ring = max(1, int(round(min(height, width) * _BORDER_FRACTION)))
    mask = np.ones((height, width), dtype=bool)
    mask[ring:height - ring, ring:width - ring] = False
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
    ring = batch[:, _ring_mask(*batch.shape[1:3])].astype(np.float32)
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


def _open_regular(path: Path):
    """Opens a file for reading only if it is a regular file.

    The file is opened without blocking and checked on the open descriptor, so a named pipe
    (which would wait forever for a writer) or a device (`/dev/zero` never ends) is refused
    without being read, and nothing can be swapped in between the check and the read.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            raise DataError(str(path), _not_regular(mode), "name an image file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _decoder_problem(error: BaseException) -> str:
    what = "truncated image" if "truncated" in str(error).lower() else "corrupt image"
    return f"{what}: {_short(error)}"


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
        raise _unsupported(path)
    try:
        with _open_regular(path) as handle, Image.open(handle, formats=list(FORMATS)) as image:
            _check_pixels(image, path)
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
                ring = np.median(pixels[_ring_mask(*pixels.shape[:2])], axis=0)
                fill = int(ring) if channels == 1 else tuple(int(v) for v in ring)
                image = ImageOps.pad(image, (width, height), method=Image.Resampling.LANCZOS,
                                     color=fill)
            pixels = np.asarray(image, dtype=np.uint8)
    except DataError:
        raise
    except (FileNotFoundError, NotADirectoryError) as error:
        raise DataError(str(path), _stat_problem(path, error)) from None
    except PermissionError:
        raise DataError(str(path), "permission denied") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory") from None
    except UnidentifiedImageError:
        if _size(path) == 0:
            raise DataError(str(path), "empty file") from None
        kind = _signature(path)
        if kind:
            raise DataError(str(path), f"truncated or corrupt {kind} image") from None
        raise DataError(str(path), f"not a {_SUPPORTED} image (the content is not one of "
                        "those formats)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(str(path), "too many pixels: refused as a possible decompression bomb "
                        f"(the limit is {Image.MAX_IMAGE_PIXELS:,} pixels)",
                        "use a smaller image") from None
    except OSError as error:
        if error.errno is not None and error.filename is not None:
            # The file system's refusal (a link loop, ...), not the decoder's.
            raise DataError(str(path), _stat_problem(path, error)) from None
        raise DataError(str(path), _decoder_problem(error)) from None
    except MemoryError:
        raise DataError(str(path), "not enough memory to decode this image",
                        "use a smaller image") from None
    except Exception as error:  # noqa: BLE001 - decoders raise SyntaxError, ValueError...
        raise DataError(str(path), _decoder_problem(error)) from None
    return pixels.reshape(height, width, channels)


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


class ImageReader:
    """Decodes image files on a small thread pool, in order.

    Pillow's decoders and TensorFlow release the GIL, so the pool decodes the next batch while the
    model predicts the current one, and several large images decode at once. Use it as a context
    manager: it holds the pool and `bomb_guard`.

    Args:
        height: Output height. width: Output width.
        channels: 1 (grayscale) or 3 (RGB).
        workers: Decoding threads. Defaults to `None`: the CPU count, at most 4.
    """

    def __init__(self, *, height: int, width: int, channels: int, workers: int | None = None):
        self.height, self.width, self.channels = height, width, channels
        self.workers = workers or min(4, os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._guard = None

    def __enter__(self) -> ImageReader:
        self._guard = bomb_guard()
        self._guard.__enter__()
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="kerascli-image")
        return self

    def __exit__(self, *exc_info) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._guard.__exit__(*exc_info)

    def _read_one(self, path: Path) -> np.ndarray | DataError:
        try:
            return load_image(path, height=self.height, width=self.width, channels=self.channels)
        except DataError as error:
            return error

    def read(self, paths: list[Path]) -> list[np.ndarray | DataError]:
        """Reads `paths`; each item is the image array or the `DataError` for that file."""
        return [future.result() for future in self._submit(paths)]

    def read_batches(self, paths: list[Path], batch_size: int
                     ) -> Iterator[tuple[list[Path], list[np.ndarray | DataError]]]:
        """Reads `paths` in batches, in order, decoding the next batch while this one is used.

        Yields:
            `(paths, items)` per batch of at most `batch_size` files, as `read` returns them.
        """
        batches = [paths[start:start + batch_size] for start in range(0, len(paths), batch_size)]
        pending = self._submit(batches[0]) if batches else []
        for index, batch in enumerate(batches):
            current = pending
            if index + 1 < len(batches):
                # Queued behind this batch, so the pool works on it while the caller predicts.
                pending = self._submit(batches[index + 1])
            yield batch, [future.result() for future in current]

    def _submit(self, paths: list[Path]) -> list[Future]:
        if self._pool is None:
            raise RuntimeError("use ImageReader as a context manager")
        return [self._pool.submit(self._read_one, path) for path in paths]
