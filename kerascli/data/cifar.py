"""CIFAR-10 from its python batches, read without running anything the files name.

The batches are Python 2 pickles of a dict (`data`: uint8 rows of 3072 channel-first pixels,
`labels`: ints). `pickle.load` would import and call whatever a file names, so the batches go
through `_BatchUnpickler`, which knows only the few globals a numpy array needs. The archive is
read member by member in memory, never extracted, so its paths cannot land anywhere on disk.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from kerascli.data.splits import Splits
from kerascli.errors import DataError

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{index}" for index in range(1, 6))
TEST_BATCH = "test_batch"
LAYOUT_HINT = (
    "a CIFAR-10 directory holds data_batch_1 to data_batch_5 and test_batch, as in "
    "the extracted cifar-10-batches-py/"
)
_RECONSTRUCT = np.empty(0).__reduce__()[0]  # Whichever module this numpy keeps it in.


def _latin1(text, encoding="latin1"):
    # Python 3 writes bytes at protocol 2 as `_codecs.encode(text, "latin1")`; nothing else passes.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is allowed only to rebuild latin-1 bytes")
    return text.encode("latin1")


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1,
}


class _Refused(pickle.UnpicklingError):
    pass


class _BatchUnpickler(pickle.Unpickler):
    """Resolves only the globals a pickled numpy array needs; any other name is refused."""

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None


def _parse_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Unpickles one batch and returns its images (N, 32, 32, 3) and labels (N,), both uint8."""
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except _Refused as refused:
        raise DataError(
            where,
            f"refused to load: the pickle names {refused}, which is not part of a CIFAR-10 batch",
        ) from None
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        MemoryError,
        UnicodeError,
    ) as error:
        raise DataError(
            where, f"not a readable CIFAR-10 batch: {type(error).__name__}: {error}"
        ) from None
    if not isinstance(batch, dict):
        raise DataError(
            where, f"a CIFAR-10 batch is a dict, this file holds a {type(batch).__name__}"
        )
    # Python 2 wrote the keys as byte strings; a batch re-saved by Python 3 may use str.
    batch = {
        key.decode("latin1") if isinstance(key, bytes) else key: value
        for key, value in batch.items()
    }
    missing = [key for key in ("data", "labels") if key not in batch]
    if missing:
        raise DataError(where, f"the batch has no {' or '.join(missing)}")
    data, labels = batch["data"], batch["labels"]
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != 3 * 32 * 32
    ):
        found = (
            f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        )
        raise DataError(where, f"data must be uint8 rows of 3072 pixels, found {found}")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            where, f"labels must be a list of integers, found {labels.dtype} {labels.shape}"
        )
    if len(labels) != len(data):
        raise DataError(
            where,
            f"{len(data)} images but {len(labels)} labels",
            "images and labels must come in pairs",
        )
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise DataError(where, f"labels must lie in 0..9, found {labels.min()}..{labels.max()}")
    # Rows are 1024 red, 1024 green, 1024 blue; Keras models expect channels last.
    images = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    return images, labels.astype(np.uint8)


def _splits(batches: dict[str, tuple[np.ndarray, np.ndarray]], origin: str) -> Splits:
    train = [batches[name] for name in TRAIN_BATCHES]
    x_test, y_test = batches[TEST_BATCH]
    return Splits(
        np.concatenate([x for x, _ in train]),
        np.concatenate([y for _, y in train]),
        x_test,
        y_test,
        origin=origin,
    )


def read_cifar10_dir(directory: str | Path) -> Splits:
    """Reads CIFAR-10 from a directory of python batches (the extracted `cifar-10-batches-py/`).

    Args:
        directory: The directory holding `data_batch_1` .. `data_batch_5` and `test_batch`.

    Returns:
        `Splits` with uint8 images of shape (N, 32, 32, 3) and uint8 labels of shape (N,):
        50,000 training and 10,000 test examples for the real dataset.

    Raises:
        DataError: When a batch is missing, unreadable, names anything a numpy array does not
            need, or holds data of the wrong shape or labels outside 0..9.
    """
    directory = Path(directory)
    batches = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        path = directory / name
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise DataError(path, "file not found", LAYOUT_HINT) from None
        except OSError as error:
            raise DataError(path, f"cannot read: {error.strerror or error}") from None
        batches[name] = _parse_batch(raw, str(path))
    return _splits(batches, str(directory))


def read_cifar10_archive(path: str | Path) -> Splits:
    """Reads CIFAR-10 straight out of `cifar-10-python.tar.gz`, without extracting it.

    Args:
        path: The archive, as distributed at `CIFAR10_URL`. Its md5 is not required to match:
            every batch goes through the same restricted unpickler as a directory's.

    Returns:
        `Splits` as `read_cifar10_dir` returns them.

    Raises:
        DataError: When the archive is missing, not a gzip tar, truncated, lacks a batch, or a
            batch is unreadable or malformed.
    """
    wanted = {f"{ARCHIVE_DIR}/{name}": name for name in (*TRAIN_BATCHES, TEST_BATCH)}
    batches = {}
    try:
        # One pass in archive order: seeking back in a gzip stream would decompress it again.
        with tarfile.open(path, "r:gz") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    raw = archive.extractfile(member).read()
                    batches[wanted[member.name]] = _parse_batch(raw, f"{path} ({member.name})")
    except FileNotFoundError:
        raise DataError(path, "file not found") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DataError(path, f"not a readable .tar.gz archive: {error}") from None
    for member, name in wanted.items():
        if name not in batches:
            raise DataError(path, f"the archive has no {member}", "is it cifar-10-python.tar.gz?")
    return _splits(batches, str(path))


def md5_of(path: str | Path) -> str:
    """Returns the hex md5 of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_cifar10(cache_dir: Path) -> Path:
    """Downloads `cifar-10-python.tar.gz` into `cache_dir/datasets/` unless already there.

    Args:
        cache_dir: The Keras cache root, usually `~/.keras`.

    Returns:
        The path of the archive, its md5 checked against `CIFAR10_ARCHIVE_MD5`.

    Raises:
        DataError: When the file does not match the expected md5.
        Exception: Whatever `keras.utils.get_file` raises when the download fails.
    """
    import keras  # Deferred: importing Keras imports TensorFlow.

    try:
        path = Path(
            keras.utils.get_file(
                fname="cifar-10-python.tar.gz",
                origin=CIFAR10_URL,
                file_hash=CIFAR10_ARCHIVE_MD5,
                hash_algorithm="md5",
                cache_dir=str(cache_dir),
                extract=False,
            )
        )
    except ValueError:  # Keras' own check of a fresh download failed.
        raise DataError(
            CIFAR10_URL, "the download does not match its md5", "try again later"
        ) from None
    # Checked here too, not left to get_file alone: its hash handling has changed between
    # Keras versions, and a mismatched archive must never reach the reader unnoticed.
    actual = md5_of(path)
    if actual != CIFAR10_ARCHIVE_MD5:
        raise DataError(
            path,
            f"md5 {actual} does not match CIFAR-10's {CIFAR10_ARCHIVE_MD5}",
            "delete the file and run again to download it afresh",
        )
    return path
