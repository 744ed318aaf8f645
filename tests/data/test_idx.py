"""Tests for the IDX reader and writer, on real files written to `tmp_path`."""

from __future__ import annotations

import gzip
import os
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from kerascli.data.idx import read_idx, write_idx
from kerascli.errors import DataError

MNIST_TEST_LABELS = Path("/work/shared/datasets/mnist/t10k-labels-idx1-ubyte.gz")

DTYPES = [
    pytest.param(np.uint8, 0x08, id="uint8"),
    pytest.param(np.int8, 0x09, id="int8"),
    pytest.param(np.int16, 0x0B, id="int16"),
    pytest.param(np.int32, 0x0C, id="int32"),
    pytest.param(np.float32, 0x0D, id="float32"),
    pytest.param(np.float64, 0x0E, id="float64"),
]
SHAPES = [pytest.param((7,), id="labels-1d"), pytest.param((5, 4, 3), id="images-3d")]


def _sample(dtype, shape) -> np.ndarray:
    """Returns values spanning the dtype's range, negatives and fractions included."""
    n = int(np.prod(shape))
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.linspace(info.min, info.max, n).round().astype(dtype)
    else:
        values = np.linspace(-1e3, 1e3, n).astype(dtype) + dtype(0.125)
    return values.reshape(shape)


def _header(code: int, *dims: int, magic: bytes = b"\x00\x00") -> bytes:
    return magic + bytes([code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, code", DTYPES)
@pytest.mark.parametrize("name", ["data.idx", "data.idx.gz"])
def test_round_trip(tmp_path, name, dtype, code, shape):
    array = _sample(dtype, shape)
    path = tmp_path / name
    write_idx(path, array)

    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    header = gzip.decompress(raw)[:4] if name.endswith(".gz") else raw[:4]
    assert header == bytes([0, 0, code, len(shape)])

    result = read_idx(path)
    assert result.shape == shape
    assert result.dtype == np.dtype(dtype)
    assert result.dtype.isnative
    np.testing.assert_array_equal(result, array)


@pytest.mark.parametrize("compress", [True, False])
def test_compression_is_detected_from_content_not_name(tmp_path, compress):
    array = np.arange(12, dtype=np.int16).reshape(3, 4)
    path = tmp_path / ("misleading.gz" if not compress else "misleading.idx")
    write_idx(path, array, compress=compress)
    np.testing.assert_array_equal(read_idx(str(path)), array)


def test_big_endian_input_is_written_as_its_values(tmp_path):
    array = np.array([1, -2, 300], dtype=">i4")
    write_idx(tmp_path / "be.idx", array)
    result = read_idx(tmp_path / "be.idx")
    assert result.dtype == np.dtype(np.int32)
    np.testing.assert_array_equal(result, [1, -2, 300])


def test_result_is_writable(tmp_path):
    write_idx(tmp_path / "a.idx", np.zeros(3, np.uint8))
    result = read_idx(tmp_path / "a.idx")
    result[0] = 1
    assert result[0] == 1


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros(3, np.int64), "cannot store dtype int64"),
        (np.zeros(3, np.uint16), "cannot store dtype uint16"),
        (np.zeros(3, np.complex64), "cannot store dtype complex64"),
        (np.array(5, np.uint8), "not 0"),
    ],
)
def test_write_refuses_what_idx_cannot_hold(tmp_path, array, message):
    with pytest.raises(ValueError, match=message):
        write_idx(tmp_path / "x.idx", array)


LABELS = _header(0x08, 4) + bytes([1, 2, 3, 4])
MALFORMED = [
    pytest.param(b"", False, r"truncated header: the file is empty", id="empty"),
    pytest.param(b"\x00\x00\x08", False, r"truncated header: 3 of 4 bytes", id="3-byte-header"),
    pytest.param(
        _header(0x08, 4, magic=b"\x12\x34") + bytes(4),
        False,
        r"not an IDX file: bad magic bytes 0x1234",
        id="bad-magic",
    ),
    pytest.param(
        _header(0x07, 4) + bytes(4),
        False,
        r"unknown IDX type code 0x07 \(expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E\)",
        id="unknown-type-code",
    ),
    pytest.param(b"\x00\x00\x08\x00", False, r"declares 0 dimensions", id="ndim-0"),
    pytest.param(
        _header(0x08, 10, 0, 28) + bytes(10), False, r"dimension 2 is 0", id="zero-dimension"
    ),
    pytest.param(
        _header(0x08, 10, 28, 28)[:10],
        False,
        r"truncated header: 3 dimension sizes need 12 bytes but only 6 follow",
        id="truncated-dims",
    ),
    pytest.param(
        _header(0x08, 60000, 28, 28) + bytes(1000),
        False,
        r"header declares 47040000 bytes of data but the file holds 1000",
        id="declares-more-raw",
    ),
    pytest.param(
        _header(0x08, 60000, 28, 28) + bytes(1000),
        True,
        r"header declares 47040000 bytes of data but the file holds 1000",
        id="declares-more-gzip",
    ),
    pytest.param(
        _header(0x0D, 3) + bytes(4 * 3 - 1),
        False,
        r"header declares 12 bytes of data but the file holds 11",
        id="declares-more-float32",
    ),
    pytest.param(LABELS + bytes(5), False, r": 5 trailing bytes after the data", id="trailing-raw"),
    pytest.param(LABELS + bytes(5), True, r": 5 trailing bytes after the data", id="trailing-gzip"),
    pytest.param(
        _header(0x08, 4, magic=b"\x12\x34") + bytes(4),
        True,
        r"not an IDX file: bad magic bytes 0x1234",
        id="bad-magic-inside-gzip",
    ),
    pytest.param(b"", True, r"truncated header: the file is empty", id="empty-gzip"),
    pytest.param(
        b"\x1f\x8b" + b"this is not deflate data at all",
        False,
        r"corrupt gzip: ",
        id="corrupt-gzip",
    ),
    pytest.param(
        gzip.compress(LABELS, mtime=0)[:-12], False, r"corrupt gzip: ", id="truncated-gzip"
    ),
    pytest.param(
        gzip.compress(LABELS, mtime=0)[:-4] + b"\xff\xff\xff\xff",
        False,
        r"corrupt gzip: ",
        id="gzip-bad-length-trailer",
    ),
]


@pytest.mark.parametrize("content, compress, message", MALFORMED)
def test_malformed_file_is_refused(tmp_path, content, compress, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(gzip.compress(content, mtime=0) if compress else content)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert info.value.where == str(path)
    assert str(info.value).startswith(f"{path}: ")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.idx"
    with pytest.raises(DataError, match=r"nope\.idx: file not found") as info:
        read_idx(path)
    assert info.value.where == str(path)


def test_directory(tmp_path):
    with pytest.raises(DataError, match=r"is a directory"):
        read_idx(tmp_path)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root and Windows ignore file modes"
)
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.idx"
    write_idx(path, np.zeros(3, np.uint8))
    path.chmod(0)
    try:
        with pytest.raises(DataError, match=r"permission denied"):
            read_idx(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize(
    "code, dims",
    [
        pytest.param(0x08, (0xFFFFFFFF, 0xFFFFFFFF, 1), id="uint8-2**64"),
        pytest.param(0x0E, (0xFFFFFFFF,) * 255, id="float64-255-dims"),
        pytest.param(0x08, (0x80000001, 2, 1), id="just-over-4GiB"),
    ],
)
def test_huge_declared_size_is_refused_without_allocating(tmp_path, code, dims, compress):
    content = _header(code, *dims) + bytes(16)
    path = tmp_path / "huge.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    start = time.monotonic()
    with pytest.raises(DataError, match=r"bytes, more than the 4 GiB limit"):
        read_idx(path)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_large_size_under_the_cap_is_checked_against_the_file(tmp_path, compress):
    # 4 GiB exactly is allowed by the cap, so only the size check stands between it and a read.
    content = _header(0x08, 0x40000000, 4) + bytes(16)
    path = tmp_path / "big.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    message = r"header declares 4294967296 bytes of data but the file holds 16"
    with pytest.raises(DataError, match=message):
        read_idx(path)


@pytest.mark.skipif(not MNIST_TEST_LABELS.exists(), reason="MNIST test labels not present")
def test_real_mnist_test_labels():
    labels = read_idx(MNIST_TEST_LABELS)
    assert labels.shape == (10000,)
    assert labels.dtype == np.uint8
    assert labels.min() >= 0 and labels.max() <= 9
    assert set(np.unique(labels)) == set(range(10))
    assert labels[0] == 7


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_read_idx_shape_reads_the_header_only(tmp_path, compress):
    path = tmp_path / "images.idx"
    write_idx(path, np.zeros((6, 4, 3), np.uint8), compress=compress)
    from kerascli.data.idx import read_idx_shape

    assert read_idx_shape(path) == (6, 4, 3)
    # A file whose data is missing still has a readable header: only the header is read.
    cut = tmp_path / "cut.idx"
    cut.write_bytes(struct.pack(">BBBB3I", 0, 0, 0x08, 3, 6, 4, 3))
    assert read_idx_shape(cut) == (6, 4, 3)
    with pytest.raises(DataError, match="declares"):
        read_idx(cut)


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param(b"", "truncated header: the file is empty", id="empty"),
        pytest.param(b"\x01\x02\x08\x01", "bad magic bytes", id="magic"),
        pytest.param(b"\x00\x00\x07\x01", "unknown IDX type code 0x07", id="type-code"),
    ],
)
def test_read_idx_shape_refuses_bad_headers(tmp_path, content, message):
    from kerascli.data.idx import read_idx_shape

    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx_shape(path)
