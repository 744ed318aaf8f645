"""Text files as examples: found, read as UTF-8, each problem one line (no TensorFlow, no config).

Training reads class folders through Keras (`data.texts`); predict, serve and the exported path
read the files a user names through these helpers, so they take the same files the same way.
"""

from __future__ import annotations

from pathlib import Path

from kerascli.errors import DataError

TEXT_SUFFIX = ".txt"  # the only files text_dataset_from_directory reads


def text_files(folder: Path) -> list[Path]:
    """The `.txt` files under a folder, as Keras finds them (sorted, links not followed)."""
    return sorted(path for path in folder.rglob(f"*{TEXT_SUFFIX}") if path.is_file())


def check_utf8(path: Path) -> str:
    """A text file's contents.

    Raises:
        DataError: When it cannot be read or is not UTF-8.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise DataError(str(path), f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DataError(
            str(path), f"is not UTF-8 text (byte {error.start})", "save it as UTF-8"
        ) from None


def read_text_files(paths: list[str | Path]) -> tuple[list[str], list[str], list[DataError]]:
    """Text files (and folders of `.txt` files) for predict: `(files, texts, errors)`.

    A file that cannot be read or is not UTF-8 gets its own error; the others are still read.
    """
    files, texts, errors = [], [], []
    for given in map(Path, paths):
        found = text_files(given) if given.is_dir() else [given]
        if given.is_dir() and not found:
            errors.append(DataError(str(given), "has no .txt files"))
        for path in found:
            if not path.is_file():
                errors.append(DataError(str(path), "no such file"))
                continue
            try:
                texts.append(check_utf8(path))
                files.append(str(path))
            except DataError as error:
                errors.append(error)
    return files, texts, errors
