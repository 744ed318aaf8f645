"""The run directory: creating it, writing its files safely, and reading runs back.

Every file is written to a temporary name in the same directory and renamed into place, so a
kill at any moment leaves either the old file or the new one, never half of one. A lock file
keeps a second process off a run directory that one is writing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kerascli.errors import RunError

DEFAULT_RUNS_DIR = "runs"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def runs_dir_from(value: str | Path | None) -> Path:
    """The runs directory: `value`, else `$KERASCLI_RUNS`, else `./runs`."""
    return Path(value or os.environ.get("KERASCLI_RUNS") or DEFAULT_RUNS_DIR)


def utc_now() -> str:
    """The current UTC time in ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- atomic writes


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Writes `data` to `path` through a temporary file and a rename."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Writes text (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _json_safe(value: Any) -> Any:
    # JSON has no NaN or infinity; a diverged loss is recorded as null rather than invalid JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


def atomic_write_json(path: Path, data: Any) -> None:
    """Writes `data` as indented JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(_json_safe(data), indent=2) + "\n")


def atomic_save_model(model, path: Path) -> None:
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


# ----------------------------------------------------------------------------- the directory


def check_run_name(name: str) -> str:
    """Returns `name` if it is a safe directory name.

    Raises:
        RunError: For names with path separators, `..`, or other characters that could leave
            the runs directory.
    """
    if not _NAME.match(name or ""):
        raise RunError("--name", f"invalid run name {name!r}",
                       "use letters, digits, '-', '_' and '.', starting with a letter or digit")
    return name


def create_run_dir(runs_dir: Path, name: str) -> Path:
    """Creates a new run directory `runs_dir/<name>-<UTC timestamp>/`.

    It never reuses a directory: if the name is taken (two runs in one second) a counter is
    appended.

    Raises:
        RunError: For an unsafe name or an unwritable runs directory.
    """
    check_run_name(name)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        Path(runs_dir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(str(runs_dir), f"cannot create the runs directory: {error.strerror}") from None
    for attempt in range(1, 1000):
        candidate = Path(runs_dir) / (f"{name}-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
        except OSError as error:
            raise RunError(str(candidate), f"cannot create: {error.strerror}") from None
    raise RunError(str(runs_dir), f"too many runs named {name} this second")


@contextlib.contextmanager
def locked(run_dir: Path):
    """Holds an exclusive lock on a run directory for the duration of the block.

    Raises:
        RunError: When another process holds it.
    """
    import fcntl

    handle = open(Path(run_dir) / ".lock", "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(str(run_dir), "another kerascli process is using this run",
                           "wait for it to finish") from None
        yield
    finally:
        handle.close()


def update_run_json(run_dir: Path, **fields: Any) -> dict:
    """Merges `fields` into `run.json` (creating it) and returns the result."""
    path = Path(run_dir) / "run.json"
    record = read_json(path) if path.exists() else {}
    record.update(fields)
    atomic_write_json(path, record)
    return record


def write_history(run_dir: Path, history: dict[str, list]) -> None:
    """Writes `history.json` and `history.csv` (one row per epoch, like Keras' CSVLogger)."""
    atomic_write_json(Path(run_dir) / "history.json", history)
    keys = sorted(history)
    epochs = max((len(values) for values in history.values()), default=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for epoch in range(epochs):
        row = [history[key][epoch] if epoch < len(history[key]) else "" for key in keys]
        writer.writerow([epoch, *("" if value is None else value for value in row)])
    atomic_write_text(Path(run_dir) / "history.csv", buffer.getvalue())


# ----------------------------------------------------------------------------- reading runs


def load_run(run_dir: Path) -> dict:
    """Reads a run's `run.json`.

    Raises:
        RunError: When the directory is not a kerascli run.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(str(run_dir), "no such run directory")
    if not (run_dir / "run.json").is_file():
        raise RunError(str(run_dir), "not a kerascli run (no run.json)")
    record = read_json(run_dir / "run.json")
    if not isinstance(record, dict):
        raise RunError(str(run_dir / "run.json"), "not a run record")
    return record


def list_runs(runs_dir: Path) -> list[tuple[Path, dict]]:
    """All runs under `runs_dir`, oldest first (by start time), skipping unreadable ones."""
    runs = []
    if not Path(runs_dir).is_dir():
        return runs
    for child in Path(runs_dir).iterdir():
        if (child / "run.json").is_file():
            with contextlib.suppress(RunError):
                runs.append((child, load_run(child)))
    return sorted(runs, key=lambda item: (item[1].get("started") or "", item[0].name))


def latest_run(runs_dir: Path, kind: str = "classification") -> Path:
    """The newest completed run of `kind` under `runs_dir`.

    Raises:
        RunError: When there is none.
    """
    for run_dir, record in reversed(list_runs(runs_dir)):
        if record.get("status") == "completed" and record.get("task", kind) == kind and (
                run_dir / "model.keras").is_file():
            return run_dir
    raise RunError(str(runs_dir), f"no completed {kind} run found",
                   "train one with kerascli train, or name one with --run")
