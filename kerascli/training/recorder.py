"""Per-epoch checkpoints and history, written so that a kill never loses a complete epoch.

Keras' `BackupAndRestore` and `CSVLogger` write their files in place, so a kill during a write
leaves a truncated checkpoint or CSV; and a resumed `fit` starts a fresh `History`. This callback
saves the whole model (weights and optimizer state) to a new file, renames it into place, then
records the epoch and the full history in `checkpoints/state.json` (also renamed into place), so
the newest checkpoint is always complete and `history.json` always covers every epoch.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras

from kerascli.runs.files import atomic_save_model, atomic_write_json
from kerascli.runs.history import write_history
from kerascli.runs.layout import CHECKPOINT_STATE, CHECKPOINTS_DIR, checkpoint_file, epoch_of


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class EpochRecorder(keras.callbacks.Callback):
    """Checkpoints the model and appends to the history after every epoch.

    Args:
        run_dir: The run directory (`checkpoints/` is created inside it).
        history: The history of earlier epochs (when resuming), extended in place.
        keep: How many epochs of checkpoints to keep. Defaults to 1 (the newest).
        networks: Models to save instead of the one being fitted, by name (a GAN saves its
            generator and discriminator, each with its own optimizer). Defaults to `None`.
        loss_keys: The logs that stop training when they become NaN or infinite. Defaults to
            `("loss",)`.
    """

    def __init__(
        self,
        run_dir: Path,
        history: dict[str, list] | None = None,
        keep: int = 1,
        networks: dict | None = None,
        loss_keys: tuple[str, ...] = ("loss",),
    ):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.directory = self.run_dir / CHECKPOINTS_DIR
        self.directory.mkdir(exist_ok=True)
        self.history = history if history is not None else {}
        self.keep = keep
        self.networks = networks
        self.loss_keys = loss_keys
        self.diverged_at: int | None = None
        self.epoch_seconds: list[float] = []
        self._epoch_start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        # Measured before any file is written: the figure is the training (and validation) time.
        self.epoch_seconds.append(round(time.perf_counter() - self._epoch_start, 3))
        logs = {key: _float(value) for key, value in (logs or {}).items()}
        if any(
            logs.get(key) is not None and not math.isfinite(logs[key]) for key in self.loss_keys
        ):
            # Keep the last good checkpoint: this epoch's weights are already ruined.
            self.diverged_at = epoch + 1
            self.model.stop_training = True
            return
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if learning_rate is not None and "learning_rate" not in logs:
            logs["learning_rate"] = _float(learning_rate)
        epochs_done = len(next(iter(self.history.values()), []))
        for key in set(self.history) | set(logs):
            self.history.setdefault(key, [None] * epochs_done).append(logs.get(key))
        files = self._save_models(epoch + 1)
        # state.json is renamed into place last: it only ever names files that are complete.
        atomic_write_json(
            self.directory / CHECKPOINT_STATE,
            {
                "epoch": epoch + 1,
                "checkpoint": next(iter(files.values())),
                "checkpoints": files,
                "history": self.history,
            },
        )
        write_history(self.run_dir, self.history)
        self._prune(epoch + 1)

    def _save_models(self, epoch: int) -> dict[str, str]:
        files = {}
        for network_name, network in (self.networks or {"model": self.model}).items():
            files[network_name] = checkpoint_file(epoch, network_name)
            atomic_save_model(network, self.directory / files[network_name])
        return files

    def _prune(self, epoch: int) -> None:
        for old in self.directory.glob("epoch_*.keras"):
            saved_after = epoch_of(old.name)
            if saved_after is not None and saved_after <= epoch - self.keep:
                old.unlink(missing_ok=True)
