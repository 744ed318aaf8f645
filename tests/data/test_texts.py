"""Text folders: every bad layout or file is one exact line through `kerascli validate`."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import write_config
from tests.own_files import text_config, write_reviews

runner = CliRunner()


def no_folder(root):
    shutil.rmtree(root)


def one_class(root):
    shutil.rmtree(root / "train" / "pos")


def empty_class(root):
    for path in (root / "train" / "pos").iterdir():
        path.unlink()


def other_test_classes(root):
    (root / "test" / "pos").rename(root / "test" / "positive")


def latin1_file(root):
    (root / "train" / "neg" / "3.txt").write_bytes(b"caf\xe9 awful")


BAD_FOLDERS = [
    pytest.param(
        no_folder,
        {},
        "{r}: no such folder (data.path names a folder of class folders of .txt files)",
        id="no-folder",
    ),
    pytest.param(
        one_class,
        {},
        "{r}/train: has 1 class folder(s) (put each class's .txt files "
        "in a folder named after it, two classes at least)",
        id="one-class",
    ),
    pytest.param(
        empty_class,
        {},
        "{r}/train/pos: has no .txt files (each class folder holds its examples as .txt files)",
        id="class-without-text",
    ),
    pytest.param(
        other_test_classes,
        {},
        "{r}/test: its class folders (neg, positive) are not "
        "those of {r}/train (neg, pos) (every split needs the same class folders)",
        id="test-classes-differ",
    ),
    pytest.param(
        latin1_file,
        {},
        "{r}/train/neg/3.txt: is not UTF-8 text (byte 3) (save it as UTF-8)",
        id="not-utf8",
    ),
    pytest.param(
        lambda root: None,
        {"test": {"split": 0.2}},
        "{r}: has a train/ folder, so its "
        "test set is test/ (remove data.test, or put the class folders directly under "
        "it)",
        id="split-with-train-folder",
    ),
]


@pytest.mark.parametrize("spoil, data, message", BAD_FOLDERS)
def test_bad_text_folder_is_one_exact_line(tmp_path, spoil, data, message):
    root = write_reviews(tmp_path / "reviews", {"train": 4, "test": 2})
    spoil(root)
    config = write_config(tmp_path / "c.yaml", text_config(root, **data))
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: " + message.replace("{r}", str(root))


def test_validate_says_what_it_found(tmp_path):
    root = write_reviews(tmp_path / "reviews", {"train": 4, "test": 2, "val": 2})
    result = runner.invoke(
        app, ["validate", str(write_config(tmp_path / "c.yaml", text_config(root)))]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"2 classes: neg, pos\ntrain: {root}/train; test: {root}/test; val: {root}/val\n"
    )
    assert "TextVectorization" in result.output
