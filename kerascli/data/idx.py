"""Reads and writes the IDX file format, the format MNIST is distributed in.

This module needs only numpy: the CLI checks data files before TensorFlow is imported.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from kerascli.errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"
# Type code -> big-endian dtype, as the IDX format defines them.
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
_EXPECTED_CODES = ", ".join(f"0x{code:02X}" for code in _DTYPES)
# A header is 4 bytes plus 4 per dimension, so a corrupt one can claim up to 2**8160 bytes:
# refusing past this cap keeps a bad file from ever reaching an allocation.
_MAX_BYTES = 4 * 1024**3
# Counting trailing bytes of a gzip stream means decompressing them; stop at this many.
_TRAILING_PROBE = 1024**2
# Data is read in chunks because one big read preallocates the size asked for, which for a
# gzip stream is only what the header claims.
_CHUNK = 16 * 1024**2


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file, raw or gzip-compressed, into a numpy array.

    Compression is detected from the gzip magic bytes, not from the file name. The header is
    checked against the file size (for gzip, against the bytes the stream yields) before the
    data is read, so a corrupt header cannot make us allocate more than the file holds.

    Args:
        path: Path to the `.idx` file, optionally gzip-compressed.

    Returns:
        A native-endian array with the shape and element type the header declares.

    Raises:
        DataError: If the file is missing, unreadable, not a valid IDX file, or its size does
            not match its header.
    """
    return _with_stream(path, _read)


def read_idx_shape(path: str | os.PathLike) -> tuple[int, ...]:
    """Reads only the header of an IDX file (raw or gzip) and returns the shape it declares.

    Raises:
        DataError: If the file is missing, unreadable, or its header is not a valid IDX header.
    """
    return _with_stream(path, lambda stream, where, file_size: _read_header(stream, where)[0])


def _with_stream(path: str | os.PathLike, parse):
    """Opens an IDX file, raw or gzip, and calls `parse(stream, where, file_size)` on it."""
    where = os.fspath(path)
    if os.path.isdir(where):
        raise DataError(where, "is a directory, not an IDX file")
    compressed = False
    try:
        with open(where, "rb") as raw:
            compressed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not compressed:
                return parse(raw, where, os.fstat(raw.fileno()).st_size)
            with gzip.GzipFile(fileobj=raw) as stream:
                return parse(stream, where, None)
    except FileNotFoundError:
        raise DataError(where, "file not found", "check the path") from None
    except PermissionError:
        raise DataError(where, "permission denied", "check the file's permissions") from None
    except (EOFError, zlib.error) as e:
        raise DataError(where, f"corrupt gzip: {e}") from None
    except OSError as e:
        # gzip signals bad data with OSErrors that carry no errno; a real I/O failure has one.
        if compressed and e.errno is None:
            raise DataError(where, f"corrupt gzip: {e}") from None
        raise DataError(where, f"cannot read: {e.strerror or e}") from None


def _read_header(stream, where: str) -> tuple[tuple[int, ...], np.dtype]:
    """Parses and checks an IDX header; returns the declared shape and element type."""
    head = stream.read(4)
    if len(head) < 4:
        what = "the file is empty" if not head else f"{len(head)} of 4 bytes"
        raise DataError(where, f"truncated header: {what}")
    if head[:2] != b"\x00\x00":
        raise DataError(
            where,
            f"not an IDX file: bad magic bytes 0x{head[:2].hex().upper()}",
            "an IDX file starts with two zero bytes",
        )
    code, ndim = head[2], head[3]
    if code not in _DTYPES:
        raise DataError(
            where, f"unknown IDX type code 0x{code:02X} (expected one of {_EXPECTED_CODES})"
        )
    if ndim == 0:
        raise DataError(where, "the header declares 0 dimensions")
    sizes = stream.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise DataError(
            where,
            f"truncated header: {ndim} dimension sizes need {4 * ndim} bytes "
            f"but only {len(sizes)} follow",
        )
    shape = struct.unpack(f">{ndim}I", sizes)
    for axis, size in enumerate(shape, start=1):
        if size == 0:
            raise DataError(where, f"dimension {axis} is 0")
    dtype = _DTYPES[code]
    if math.prod(shape) * dtype.itemsize > _MAX_BYTES:
        raise DataError(
            where, f"declares {math.prod(shape) * dtype.itemsize} bytes, more than the 4 GiB limit"
        )
    return shape, dtype


def _read(stream, where: str, file_size: int | None) -> np.ndarray:
    """Parses an IDX stream; `file_size` is `None` when the stream is decompressed."""
    shape, dtype = _read_header(stream, where)
    ndim = len(shape)
    expected = math.prod(shape) * dtype.itemsize

    if file_size is not None:
        held = file_size - 4 - 4 * ndim
        if held < expected:
            raise _declares_more(where, expected, held)
        if held > expected:
            raise DataError(where, f"{held - expected} trailing bytes after the data")
    data = bytearray()
    while len(data) < expected:
        chunk = stream.read(min(expected - len(data), _CHUNK))
        if not chunk:
            break
        data += chunk
    if len(data) < expected:
        # Also reached for a raw file that shrank since it was measured.
        raise _declares_more(where, expected, len(data))
    trailing = len(stream.read(_TRAILING_PROBE))
    if trailing:
        more = "at least " if trailing == _TRAILING_PROBE else ""
        raise DataError(where, f"{more}{trailing} trailing bytes after the data")
    # Swapping in place over the bytearray avoids a second copy of the data.
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    if not array.dtype.isnative:
        array = array.byteswap(inplace=True).view(dtype.newbyteorder())
    return array


def _declares_more(where: str, expected: int, held: int) -> DataError:
    return DataError(
        where,
        f"header declares {expected} bytes of data but the file holds {held}",
        "the file is truncated or its header is wrong",
    )


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> None:
    """Writes an array to a file in IDX format.

    Args:
        path: Where to write the file; it is overwritten if it exists.
        array: The array to write; its dtype must be `uint8`, `int8`, `int16`, `int32`,
            `float32` or `float64`, in either byte order.
        compress: Whether to gzip the file. Defaults to `None`, which compresses when `path`
            ends in `.gz`.

    Raises:
        ValueError: If the array's dtype has no IDX type code, it has no dimensions or more
            than 255, or a dimension does not fit in 32 bits.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, not {array.ndim}")
    if max(array.shape) > 0xFFFFFFFF:
        raise ValueError(f"IDX dimension sizes must fit in 32 bits: {array.shape}")
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, code, array.ndim, *array.shape)
    data = np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    # mtime=0 keeps the compressed bytes identical across runs, so fixtures are reproducible.
    opener = gzip.GzipFile(path, "wb", mtime=0) if compress else open(path, "wb")
    with opener as f:
        f.write(header)
        f.write(data)
