"""Checking that a `.keras` file is a Keras v3 archive of a plausible size, before Keras opens it.

A damaged or foreign file then gets a clear error, and Keras never parses what it was not meant
to. Only the zip directory is read: no TensorFlow, nothing extracted.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from kerascli.errors import RunError, one_line

# What a Keras v3 archive holds; `config.json` is the one Keras cannot load a model without.
_ARCHIVE_MEMBERS = ("config.json", "metadata.json")
# Keras reads `config.json` and `metadata.json` whole into memory; a real one is kilobytes.
_MAX_JSON_MEMBER = 64 * 1024 * 1024
# Keras stores its members uncompressed, so a member that inflates far beyond its stored size
# was not written by Keras and could fill the memory or the disk it is extracted to.
_MAX_INFLATION, _INFLATION_FLOOR = 50, 256 * 1024 * 1024
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def check_keras_archive(path: Path) -> None:
    """Refuses a `model.keras` that is not a Keras v3 archive, before Keras opens it."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise RunError(str(path), f"cannot read the model: {error.strerror}") from None
    if head.startswith(_HDF5_MAGIC):
        raise RunError(
            str(path),
            "an HDF5 (.h5) file, not a Keras v3 model archive",
            "kerascli loads the model.keras files that kerascli train writes",
        )
    if not head or not zipfile.is_zipfile(path):
        raise RunError(
            str(path),
            "not a Keras model archive (corrupt, or not a zip file)",
            "train the run again",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise RunError(
            str(path), f"a damaged zip archive: {one_line(error, 120)}", "train the run again"
        ) from None
    missing = [name for name in _ARCHIVE_MEMBERS if name not in members]
    if missing:
        raise RunError(
            str(path),
            f"a zip file, but not a Keras model archive (no {' or '.join(missing)} in it)",
            "train the run again",
        )
    for info in members.values():
        too_big = info.filename in _ARCHIVE_MEMBERS and info.file_size > _MAX_JSON_MEMBER
        inflated = info.file_size > _INFLATION_FLOOR and info.file_size > _MAX_INFLATION * max(
            info.compress_size, 1
        )
        if too_big or inflated:
            raise RunError(
                str(path),
                f"refused: its member {info.filename} would unpack to "
                f"{info.file_size:,} bytes, which no Keras model archive does",
                "train the run again",
            )
