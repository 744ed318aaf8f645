"""Writing a run's files so that a kill never leaves half of one, and reading JSON back.

Every file is written to a temporary name in the same directory and renamed into place, so a
kill at any moment leaves either the old file or the new one, never half of one. This is the one
atomic writer: JSON, text, images, plots and Keras models all go through `atomic_write_bytes` or
`atomic_save_model`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerascli.errors import RunError

if TYPE_CHECKING:  # record.py imports this module
    from kerascli.runs.record import RunRecord


def atomic_write_bytes(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Writes `data` to `path` through a temporary file and a rename.

    With `exclusive`, the file is linked into place instead, which fails with `FileExistsError`
    when `path` exists: nothing is overwritten, even by a file that appears meanwhile.
    """
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(temporary, path)
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Writes text (UTF-8) to `path` atomically (see `atomic_write_bytes` for `exclusive`)."""
    atomic_write_bytes(path, text.encode("utf-8"), exclusive=exclusive)


def json_safe(value: Any) -> Any:
    """`value` with what JSON cannot hold made plain: NaN and infinities as `None`, numpy
    scalars as numbers, tuples as lists, keys as strings."""
    # JSON has no NaN or infinity; a diverged loss is recorded as null rather than invalid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return json_safe(value.item())
    return value


def atomic_write_json(path: Path, data: Any) -> None:
    """Writes `data` as indented JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(json_safe(data), indent=2) + "\n")


def atomic_save_model(model: Any, path: Path) -> None:
    """Saves a Keras model (`.keras`) through a temporary file and a rename."""
    path = Path(path)
    # Keras picks the format from the suffix, so the temporary name keeps `.keras`.
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_json(path: Path) -> Any:
    """Reads a JSON file of a run.

    Raises:
        RunError: When it is missing or not valid JSON.
    """
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(str(path), "file not found") from None
    except (OSError, ValueError) as error:
        raise RunError(str(path), f"unreadable: {error}") from None


def update_run_json(run_dir: Path, **fields: Any) -> RunRecord:
    """Kept for the callers of its old home: see `kerascli.runs.record.update_run_json`."""
    from kerascli.runs.record import update_run_json as update  # record.py imports this module

    return update(run_dir, **fields)


def replace_directory(staging: Path, target: Path) -> None:
    """Puts a fully written directory `staging` in place of `target` (which may not exist).

    Both lie in the same directory, so each step is a rename: `target` is moved aside, `staging`
    renamed into place, then the old one deleted. A kill at any moment leaves the old directory
    (as `target` or, between the two renames, as `.<name>.old`) or the new one, never a
    half-written one under `target`'s name.
    """
    staging, target = Path(staging), Path(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)
