"""Opening a finished run for reuse: its record, its resolved config and its model.

`evaluate` and `predict` load models, and a `.keras` file can carry code. Models are therefore
only loaded from `model.keras` inside a directory that has the `run.json` kerascli writes, never
through a symbolic link, and always with `safe_mode=True`, which refuses the `Lambda` layers and
other code that a config could never have produced. `open_run` needs no TensorFlow, so a bad run
directory or a bad `--set` is reported before the slow import.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from kerascli import runs
from kerascli.config import ExperimentConfig, load_saved_config
from kerascli.errors import RunError

MODEL_FILE = "model.keras"


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
    """Reads a run's record and config and checks that it has a model to load.

    Args:
        run_dir: The run directory.
        overrides: `KEY.PATH=VALUE` strings applied to the run's config. Defaults to none.

    Returns:
        A `SavedRun`.

    Raises:
        RunError: When the directory is not a kerascli run, is a GAN run, or has no model.
        ConfigError: When the saved config or an override is invalid.
    """
    run_dir = Path(run_dir)
    record = runs.load_run(run_dir)
    if record.get("kind") == "gan" or record.get("task") == "gan":
        raise RunError(str(run_dir), "is a GAN run, which has no classifier to use",
                       "name a run made by kerascli train")
    model = run_dir / MODEL_FILE
    if model.is_symlink():
        raise RunError(str(model), "is a symbolic link; only a model the run wrote is loaded")
    if not model.is_file():
        status = record.get("status", "unknown")
        raise RunError(str(run_dir), f"has no {MODEL_FILE} (status: {status})",
                       "a run has its model once training completes")
    return SavedRun(run_dir, record, load_saved_config(run_dir, overrides))


def load_model(run: SavedRun):
    """Loads a run's `model.keras` with Keras' safe mode.

    Args:
        run: The opened run.

    Returns:
        The Keras model, compiled as it was saved.

    Raises:
        RunError: When the file is not a Keras archive or Keras cannot load it.
    """
    import keras

    path = run.model_path
    if not zipfile.is_zipfile(path):
        raise RunError(str(path), "not a Keras model archive (corrupt, or not a zip file)",
                       "train the run again")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a damaged archive fails in many ways inside Keras.
        message = " ".join(str(error).split())[:200] or type(error).__name__
        raise RunError(str(path), f"cannot load the model: {message}",
                       "train the run again") from None
