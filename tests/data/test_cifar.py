"""CIFAR-10 python batches: tiny files in the real format, as a directory and as the tar.gz."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.schema import DataConfig, LimitConfig
from kerascli.data import cifar
from kerascli.data.cifar import md5_of, read_cifar10_archive, read_cifar10_dir
from kerascli.data.sources import load_splits
from kerascli.errors import DataError

PER_BATCH = 6
BATCHES = [f"data_batch_{index}" for index in range(1, 6)] + ["test_batch"]


def batch_dict(batch_index: int) -> dict:
    """A batch whose pixels say where they are: red = image, green = row, blue = batch."""
    images = np.zeros((PER_BATCH, 3, 32, 32), dtype=np.uint8)
    for image in range(PER_BATCH):
        images[image, 0] = image
        images[image, 1] = np.arange(32, dtype=np.uint8)[:, None] * 2 + (np.arange(32) >= 16)
        images[image, 2] = 100 + batch_index
    labels = [(batch_index + image) % 10 for image in range(PER_BATCH)]
    return {
        b"batch_label": f"batch {batch_index}".encode(),
        b"labels": labels,
        b"data": images.reshape(PER_BATCH, 3072),
        b"filenames": [b"x.png"] * PER_BATCH,
    }


def dump(obj) -> bytes:
    return pickle.dumps(obj, protocol=2)


class _Py2Pickler(pickle._Pickler):
    """Writes bytes and str as Python 2 `str` opcodes, as the distributed batches hold them."""

    dispatch = pickle._Pickler.dispatch.copy()

    def _save_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        self.write(
            pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw
            if len(raw) < 256
            else pickle.BINSTRING + struct.pack("<i", len(raw)) + raw
        )
        self.memoize(obj)

    dispatch[bytes] = dispatch[str] = _save_py2_str


def dump_py2(obj) -> bytes:
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def write_dir(directory, replace=None, dumper=dump):
    """Writes the six batches; `replace` maps a batch name to the raw bytes (or None: omit)."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(BATCHES):
        raw = (replace or {}).get(name, dumper(batch_dict(index)))
        if raw is not None:
            (directory / name).write_bytes(raw)
    return directory


def write_archive(path, replace=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        # Not in batch order, like the real archive: the reader must not assume one.
        for name in ["readme.html", *reversed(BATCHES)]:
            raw = b"<html/>" if name == "readme.html" else dump(batch_dict(BATCHES.index(name)))
            raw = (replace or {}).get(name, raw)
            if raw is not None:
                member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
                member.size = len(raw)
                archive.addfile(member, io.BytesIO(raw))
    return path


def truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def check_splits(splits):
    assert splits.x_train.shape == (5 * PER_BATCH, 32, 32, 3)
    assert splits.x_test.shape == (PER_BATCH, 32, 32, 3)
    assert splits.x_train.dtype == np.uint8 and splits.y_train.dtype == np.uint8
    assert splits.y_train.shape == (5 * PER_BATCH,) and splits.y_test.shape == (PER_BATCH,)
    # Image 4 of data_batch_3 (index 2), pixel at row 7, column 20: channel-first -> last.
    assert splits.x_train[2 * PER_BATCH + 4, 7, 20].tolist() == [4, 15, 102]
    assert splits.x_train[0, 31, 0].tolist() == [0, 62, 100]
    assert splits.x_test[5, 0, 31].tolist() == [5, 1, 105]
    assert splits.y_train.tolist() == [(b + i) % 10 for b in range(5) for i in range(PER_BATCH)]
    assert splits.y_test.tolist() == [(5 + i) % 10 for i in range(PER_BATCH)]


@pytest.mark.parametrize("dumper", [dump, dump_py2], ids=["python3", "python2"])
def test_reads_a_directory(tmp_path, dumper):
    directory = write_dir(tmp_path / "cifar-10-batches-py", dumper=dumper)
    splits = read_cifar10_dir(directory)
    check_splits(splits)
    assert splits.origin == str(directory)


def test_reads_the_archive_without_extracting(tmp_path):
    archive = write_archive(tmp_path / "cifar-10-python.tar.gz")
    splits = read_cifar10_archive(archive)
    check_splits(splits)
    assert splits.origin == str(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-python.tar.gz"]


def test_str_keys_are_accepted(tmp_path):
    batch = {key.decode(): value for key, value in batch_dict(0).items()}
    check_splits(read_cifar10_dir(write_dir(tmp_path, {"data_batch_1": dump(batch)})))


def test_load_splits_finds_directory_and_archive(tmp_path, monkeypatch):
    directory = write_dir(tmp_path / "batches")
    check_splits(load_splits(DataConfig(source="cifar10", path=str(directory))))
    write_archive(tmp_path / "holder" / "cifar-10-python.tar.gz")
    check_splits(load_splits(DataConfig(source="cifar10", path=str(tmp_path / "holder"))))
    write_dir(tmp_path / "env" / "cifar10")
    monkeypatch.setenv("KERASCLI_DATA", str(tmp_path / "env"))
    splits = load_splits(DataConfig(source="cifar10", limit=LimitConfig(train=8)))
    assert splits.origin == str(tmp_path / "env" / "cifar10") and len(splits.x_train) == 8


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _with(key, value):
    batch = batch_dict(0)
    batch[key] = value
    return dump(batch)


BAD = [
    ("truncated", lambda: dump(batch_dict(0))[:500], "not a readable CIFAR-10 batch"),
    ("not a pickle", lambda: b"hello, world\n" * 10, "not a readable CIFAR-10 batch"),
    ("builtins eval", lambda: dump({b"data": eval}), "the pickle names __builtin__.eval"),
    ("not a dict", lambda: dump([1, 2, 3]), "a CIFAR-10 batch is a dict, this file holds a list"),
    ("no labels", lambda: dump({b"data": batch_dict(0)[b"data"]}), "the batch has no labels"),
    (
        "wrong width",
        lambda: _with(b"data", np.zeros((PER_BATCH, 3000), np.uint8)),
        "data must be uint8 rows of 3072 pixels, found uint8 (6, 3000)",
    ),
    (
        "float data",
        lambda: _with(b"data", np.zeros((PER_BATCH, 3072), np.float32)),
        "data must be uint8 rows of 3072 pixels, found float32 (6, 3072)",
    ),
    (
        "label out of range",
        lambda: _with(b"labels", [0, 1, 2, 3, 4, 10]),
        "labels must lie in 0..9, found 0..10",
    ),
    (
        "negative label",
        lambda: _with(b"labels", [0, 1, 2, 3, 4, -1]),
        "labels must lie in 0..9, found -1..4",
    ),
    ("too few labels", lambda: _with(b"labels", [0, 1]), "6 images but 2 labels"),
    (
        "string labels",
        lambda: _with(b"labels", [b"cat"] * PER_BATCH),
        "labels must be a list of integers",
    ),
]


@pytest.mark.parametrize("make, message", [row[1:] for row in BAD], ids=[row[0] for row in BAD])
def test_bad_batches_are_one_line_errors(tmp_path, make, message):
    directory = write_dir(tmp_path / "cifar", {"data_batch_2": make()})
    with pytest.raises(DataError) as caught:
        read_cifar10_dir(directory)
    assert caught.value.where == str(directory / "data_batch_2")
    assert message in caught.value.what
    assert "\n" not in caught.value.format()


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = dump({b"data": _Exploit(marker), b"labels": []})
    for where, read in [
        (
            tmp_path / "dir" / "test_batch",
            lambda: read_cifar10_dir(write_dir(tmp_path / "dir", {"test_batch": payload})),
        ),
        (
            f"{tmp_path / 'a.tar.gz'} (cifar-10-batches-py/test_batch)",
            lambda: read_cifar10_archive(
                write_archive(tmp_path / "a.tar.gz", {"test_batch": payload})
            ),
        ),
    ]:
        with pytest.raises(DataError) as caught:
            read()
        assert caught.value.where == str(where)
        assert caught.value.what == (
            "refused to load: the pickle names posix.system, which is not part of a CIFAR-10 batch"
        )
    assert not marker.exists()
    pickle.loads(payload)  # The payload is live: a plain unpickler runs it.
    assert marker.exists()


def test_latin1_shim_rebuilds_bytes_only(tmp_path):
    evil = b"\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00abcX\x05\x00\x00\x00rot13\x86R."
    directory = write_dir(tmp_path, {"data_batch_1": evil})
    with pytest.raises(DataError, match="allowed only to rebuild latin-1 bytes"):
        read_cifar10_dir(directory)


def test_missing_batch_is_named(tmp_path):
    directory = write_dir(tmp_path, {"test_batch": None})
    with pytest.raises(DataError) as caught:
        read_cifar10_dir(directory)
    assert caught.value.where == str(tmp_path / "test_batch")
    assert caught.value.what == "file not found"


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda p: write_archive(p, {"test_batch": None}),
            "the archive has no cifar-10-batches-py/test_batch",
        ),
        (lambda p: truncate(write_archive(p)), "not a readable .tar.gz"),
        (lambda p: p.write_bytes(gzip.compress(b"not a tar" * 100)), "not a readable .tar.gz"),
        (lambda p: p.write_bytes(b"\x1f\x8b\x08\x00garbage" * 40), "not a readable .tar.gz"),
        (lambda p: None, "file not found"),
    ],
    ids=["missing member", "truncated gzip", "gzip not tar", "corrupt gzip", "absent"],
)
def test_bad_archives(tmp_path, make, message):
    path = tmp_path / "cifar-10-python.tar.gz"
    make(path)
    with pytest.raises(DataError) as caught:
        read_cifar10_archive(path)
    assert caught.value.where == str(path) and message in caught.value.what
    assert "\n" not in caught.value.format()


def test_md5_of_a_known_file(tmp_path):
    (tmp_path / "f").write_bytes(b"The quick brown fox jumps over the lazy dog")
    assert md5_of(tmp_path / "f") == "9e107d9d372bb6826bd81d3542a419d6"
    big = np.random.default_rng(0).bytes(3 * (1 << 20) + 17)  # Several chunks, a ragged end.
    (tmp_path / "big").write_bytes(big)
    assert md5_of(tmp_path / "big") == hashlib.md5(big).hexdigest()
    (tmp_path / "g").write_bytes(b"")
    assert md5_of(tmp_path / "g") == "d41d8cd98f00b204e9800998ecf8427e"


def test_download_is_checked_and_read_safely(tmp_path, monkeypatch):
    import keras

    archive = write_archive(tmp_path / "cache" / "datasets" / "cifar-10-python.tar.gz")
    calls = []

    def fake_get_file(**kwargs):
        calls.append(kwargs)
        return str(archive)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERASCLI_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="does not match CIFAR-10's c58f30108f"):
        load_splits(DataConfig(source="cifar10"))
    assert calls[0] == {
        "fname": "cifar-10-python.tar.gz",
        "origin": cifar.CIFAR10_URL,
        "file_hash": "c58f30108f718f92721af3b95e74349a",
        "hash_algorithm": "md5",
        "cache_dir": str(tmp_path / "home" / ".keras"),
        "extract": False,
    }
    monkeypatch.setattr(cifar, "CIFAR10_ARCHIVE_MD5", md5_of(archive))
    check_splits(load_splits(DataConfig(source="cifar10")))

    def offline(**kwargs):
        raise Exception("URL fetch failure on https://www.cs.toronto.edu: None -- offline")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(DataError, match=r"not found locally and the download failed \(Exception\)"):
        load_splits(DataConfig(source="cifar10"))


def test_train_on_cifar_through_the_cli(tmp_path, runs_dir):
    directory = write_dir(tmp_path / "cifar-10-batches-py")
    config = tmp_path / "cifar.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": "cifar",
                "seed": 1,
                "data": {
                    "source": "cifar10",
                    "path": str(directory),
                    "validation": {"split": 0.2},
                    "preprocess": {"scale": 255},
                },
                "model": {
                    "input_shape": [32, 32, 3],
                    "layers": ["Flatten", {"Dense": {"units": 10, "activation": "softmax"}}],
                },
                "compile": {
                    "optimizer": "adam",
                    "loss": "sparse_categorical_crossentropy",
                    "metrics": ["accuracy"],
                },
                "fit": {"epochs": 1, "batch_size": 8},
            }
        )
    )
    result = CliRunner().invoke(app, ["train", str(config), "--quiet"])
    assert result.exit_code == 0, result.output
    [run] = [p for p in runs_dir.iterdir() if p.is_dir()]
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed"
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["examples"] == PER_BATCH
    assert len(evaluation["per_class"]) == 10
