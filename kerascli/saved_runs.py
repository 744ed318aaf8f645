"""Opening a finished run for reuse: its record, its resolved config and its model.

`evaluate` and `predict` load models, and a `.keras` file can carry code. Models are therefore
only loaded from `model.keras` inside a directory that has the `run.json` kerascli writes, never
through a symbolic link, and always with `safe_mode=True`, which refuses the `Lambda` layers and
other code that a config could never have produced. `open_run` needs no TensorFlow, so a bad run
directory or a bad `--set` is reported before the slow import. Nothing here writes to the run
directory: a run that cannot be used is left exactly as it was.
"""

from __future__ import annotations

import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from kerascli import runs
from kerascli.config import ExperimentConfig, load_saved_config
from kerascli.errors import RunError

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.yaml"
# What a Keras v3 archive holds; `config.json` is the one Keras cannot load a model without.
_ARCHIVE_MEMBERS = ("config.json", "metadata.json")
# Keras reads `config.json` and `metadata.json` whole into memory; a real one is kilobytes.
_MAX_JSON_MEMBER = 64 * 1024 * 1024
# Keras stores its members uncompressed, so a member that inflates far beyond its stored size
# was not written by Keras and could fill the memory or the disk it is extracted to.
_MAX_INFLATION, _INFLATION_FLOOR = 50, 256 * 1024 * 1024
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERAS_CALL = re.compile(r"^Exception encountered when calling [\w.]+\(\)\.\s*")


@dataclass(frozen=True)
class SavedRun:
    """A run directory with a trained model, ready to evaluate or predict with.

    Args:
        run_dir: The run directory.
        record: Its `run.json`.
        config: Its `config.yaml`, with any overrides applied.
    """

    run_dir: Path
    record: dict
    config: ExperimentConfig

    @property
    def model_path(self) -> Path:
        return self.run_dir / MODEL_FILE

    @property
    def task(self) -> str | None:
        """`classification`, `binary` or `regression` as training recorded it, else `None`."""
        return self.record.get("task")


def open_run(run_dir: str | Path, overrides: list[str] | None = None) -> SavedRun:
    """Reads a run's record and config and checks that it has a finished model to load.

    Args:
        run_dir: The run directory.
        overrides: `KEY.PATH=VALUE` strings applied to the run's config. Defaults to none.

    Returns:
        A `SavedRun`.

    Raises:
        RunError: When the path is a file rather than a run directory, the directory is not a
            kerascli run, is a GAN run, has not completed (still training, failed,
            interrupted), or has no model or config.
        ConfigError: When the saved config or an override is invalid.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(str(run_dir), "is a file, not a run directory", _file_hint(run_dir))
    record = runs.load_run(run_dir)
    if record.get("kind") == "gan" or record.get("task") == "gan":
        raise RunError(str(run_dir), "is a GAN run, which has no classifier to use",
                       "name a run made by kerascli train")
    _check_finished(run_dir, record)
    model = run_dir / MODEL_FILE
    if model.is_symlink():
        raise RunError(str(model), "is a symbolic link; only a model the run wrote is loaded")
    if not model.is_file():
        status = record.get("status", "unknown")
        raise RunError(str(run_dir), f"has no {MODEL_FILE} (status: {status})",
                       "a run has its model once training completes")
    if not (run_dir / CONFIG_FILE).is_file():
        raise RunError(str(run_dir), f"has no {CONFIG_FILE}, the config its model was trained "
                       "with", "train the run again")
    return SavedRun(run_dir, record, load_saved_config(run_dir, overrides))


def _file_hint(path: Path) -> str:
    """How to name a run instead of a file: its directory, when the file is in one."""
    if (path.parent / "run.json").is_file():
        return f"name the run directory: {path.parent}"
    if path.suffix.lower() in (".keras", ".h5", ".hdf5"):
        return ("kerascli loads models only from the run directories that kerascli train "
                "makes, which hold run.json and model.keras")
    return "name a run directory made by kerascli train"


def _check_finished(run_dir: Path, record: dict) -> None:
    """Refuses a run whose training did not complete: its model is missing, old or partial."""
    status = record.get("status")
    if status == "completed":
        return
    resume = f"resume it: kerascli train {run_dir / CONFIG_FILE} --resume {run_dir}"
    if status == "running":
        if _is_locked(run_dir):
            raise RunError(str(run_dir), "is still training (another kerascli process is using "
                           "it)", "wait for it to finish")
        raise RunError(str(run_dir), "did not finish: its status is still 'running' but no "
                       "process is training it (killed or crashed)", resume)
    if status == "interrupted":
        raise RunError(str(run_dir), "was interrupted before training completed", resume)
    if status == "failed":
        reason = record.get("error")
        detail = f": {_clip(str(reason), 120)}" if reason else ""
        raise RunError(str(run_dir), f"its training failed{detail}",
                       f"fix the cause, then {resume}, or train it again")
    raise RunError(str(run_dir / "run.json"), f"the run's status is {status!r}, not "
                   "'completed'", "use a run that kerascli train completed")


def _is_locked(run_dir: Path) -> bool:
    """Whether a live process holds the run's lock (see `runs.locked`), without creating it."""
    import fcntl

    try:
        descriptor = os.open(run_dir / ".lock", os.O_RDONLY)
    except OSError:
        return False  # no lock file: nothing ever trained here under a lock
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)  # closing also releases the lock taken just now
    return False


def load_model(run: SavedRun):
    """Loads a run's `model.keras` with Keras' safe mode (see `load_keras_file`).

    Args:
        run: The opened run.

    Returns:
        The Keras model, compiled as it was saved.

    Raises:
        RunError: When the file is not a Keras archive, holds code, or Keras cannot load it.
    """
    return load_keras_file(run.model_path)


def load_keras_file(path: Path, retrain_hint: str = "train the run again"):
    """Loads a `.keras` file that kerascli wrote, with Keras' safe mode.

    The file is checked to be a Keras v3 archive first (a zip file with Keras' `config.json`,
    of a plausible size), so that a damaged or foreign file gets a clear error and Keras never
    parses what it was not meant to. Keras' safe mode then refuses `Lambda` layers and any other
    Python code the archive carries, before any of it runs.

    Args:
        path: The `.keras` file.
        retrain_hint: The hint given when the file is damaged. Defaults to
            `"train the run again"`.

    Returns:
        The Keras model, compiled as it was saved.

    Raises:
        RunError: When the file is not a Keras archive, holds code, or Keras cannot load it.
    """
    import keras

    _check_archive(path)
    try:
        # Keras warns about state it skips (an optimizer saved before its first step, ...);
        # printed, the warning would be stderr lines that are no `error:` line.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a damaged archive fails in many ways inside Keras.
        text = str(error)
        if "safe_mode" in text or "arbitrary code" in text:
            raise RunError(str(path), "holds Python code (a Lambda layer or a Python function), "
                           "which Keras' safe mode refuses to load",
                           "kerascli never runs code from a model file; train the run again "
                           "with kerascli") from None
        raise RunError(str(path), f"cannot load the model: {keras_message(error)}",
                       retrain_hint) from None


def open_gan_run(run_dir: str | Path) -> Path:
    """Checks, without TensorFlow, that a run is a GAN run with a generator.

    Returns:
        The path of its `generator.keras`.

    Raises:
        RunError: When the directory is not a GAN run or has no generator file.
    """
    run_dir = Path(run_dir)
    record = runs.load_run(run_dir)
    if record.get("kind") != "gan":
        raise RunError(str(run_dir), "is not a GAN run", "name a run made by kerascli gan")
    path = run_dir / "generator.keras"
    if path.is_symlink() or not path.is_file():
        raise RunError(str(run_dir), f"has no generator.keras (status: "
                       f"{record.get('status', 'unknown')})",
                       "a GAN run has it once training completes")
    return path


def _check_archive(path: Path) -> None:
    """Refuses a `model.keras` that is not a Keras v3 archive, before Keras opens it."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise RunError(str(path), f"cannot read the model: {error.strerror}") from None
    if head.startswith(_HDF5_MAGIC):
        raise RunError(str(path), "an HDF5 (.h5) file, not a Keras v3 model archive",
                       "kerascli loads the model.keras files that kerascli train writes")
    if not head or not zipfile.is_zipfile(path):
        raise RunError(str(path), "not a Keras model archive (corrupt, or not a zip file)",
                       "train the run again")
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise RunError(str(path), f"a damaged zip archive: {_clip(str(error), 120)}",
                       "train the run again") from None
    missing = [name for name in _ARCHIVE_MEMBERS if name not in members]
    if missing:
        raise RunError(str(path), f"a zip file, but not a Keras model archive (no "
                       f"{' or '.join(missing)} in it)", "train the run again")
    for info in members.values():
        too_big = info.filename in _ARCHIVE_MEMBERS and info.file_size > _MAX_JSON_MEMBER
        inflated = (info.file_size > _INFLATION_FLOOR
                    and info.file_size > _MAX_INFLATION * max(info.compress_size, 1))
        if too_big or inflated:
            raise RunError(str(path), f"refused: its member {info.filename} would unpack to "
                           f"{info.file_size:,} bytes, which no Keras model archive does",
                           "train the run again")


def keras_message(error: BaseException | str, limit: int = 200) -> str:
    """A Keras exception's message as part of one line.

    Keras wraps the real complaint: a failed deserialization re-raises "could not be
    deserialized properly" over the cause ("Could not locate class ..."), a failed call opens
    with "Exception encountered when calling ..." and ends with the arguments it received, and
    messages embed whole configs and terminal colour codes. What is left without those says
    what went wrong.

    Args:
        error: The exception (its innermost cause is used), or a message.
        limit: The most characters kept. Defaults to 200.

    Returns:
        The message, one line, at most `limit` characters (cut at a word, ending in `...`).
    """
    if isinstance(error, BaseException):
        fallback = type(error).__name__
        while error.__cause__ is not None or (
                error.__context__ is not None and not error.__suppress_context__):
            error = error.__cause__ or error.__context__
        text = str(error)
    else:
        fallback, text = "no reason given", error
    text = _ANSI.sub("", text)
    for tail in ("config=", "Full object config:", "Arguments received by"):
        text = text.split(tail)[0]
    text = _KERAS_CALL.sub("", " ".join(text.split()))
    return _clip(text, limit) or fallback


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]  # a KeyError's message is its quoted key
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.:;") + "..."
