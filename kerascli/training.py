"""The `train` use case: config in, a complete run directory out.

Everything that can fail because of bad input (data files, layer arguments, a model whose
output does not fit the labels) is checked before the run directory is created, so bad input
leaves nothing behind. Once training starts, every epoch is checkpointed (see `checkpoints`) and
`run.json` always tells whether the run is running, completed, failed or interrupted.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli import models, plots, runs
from kerascli.checkpoints import EpochRecorder, read_state
from kerascli.config import ExperimentConfig, load_saved_config
from kerascli.backend import setup_backend, versions
from kerascli.signals import recording_outcome
from kerascli.data.pipeline import feed_inputs, feed_targets, input_shapes, make_dataset
from kerascli.data.preprocess import Prepared, prepare
from kerascli.data.preprocess import display_range
from kerascli.data.sources import class_names as data_class_names
from kerascli.data.sources import load_splits
from kerascli.errors import ConfigError, RunError, TrainingFailed
from kerascli.evaluation import evaluate_model, task_of
from kerascli.progress import RichProgress


@dataclass
class TrainResult:
    """What a finished `train` call produced."""

    run_dir: Path
    epochs: int
    history: dict[str, list] = field(default_factory=dict)
    evaluation: dict | None = None


def check_output_fits(model, x, y, key_path: str = "model.layers") -> None:
    """Runs one tiny evaluation step so a model/label mismatch is a config error, not a crash.

    Raises:
        ConfigError: When the model's output shape cannot be compared with the labels.
    """
    units = model.outputs[0].shape[-1]
    if np.ndim(y) == 2 and units is not None and units != y.shape[-1]:
        raise ConfigError(f"{key_path}[-1]", f"the model outputs {units} values per example but "
                          f"the labels have {y.shape[-1]} (one-hot classes)",
                          f"make the last layer Dense with units: {y.shape[-1]}")
    message = models.dry_run_error(model, x, y)
    if message is not None:
        raise ConfigError(f"{key_path}[-1]", f"the model's output does not fit the labels: "
                          f"{message}", "check the last layer's units and compile.loss") from None


def _resume_state(config: ExperimentConfig, run_dir: Path):
    """Checks that a run can be resumed with `config`; returns its checkpoint state."""
    record = runs.load_run(run_dir)
    if record.get("task") == "gan" or record.get("kind") == "gan":
        raise RunError(str(run_dir), "this is a GAN run", "resume it with kerascli gan")
    saved = load_saved_config(run_dir)
    for section in ("data", "model", "compile"):
        if getattr(saved, section) != getattr(config, section):
            raise ConfigError(section, f"differs from the run being resumed ({run_dir})",
                              "resume with the same model, data and compile sections; only fit "
                              "settings such as epochs may change")
    state = read_state(run_dir)
    if state is None:
        raise RunError(str(run_dir), "has no complete checkpoint to resume from",
                       "start a new run instead")
    return state


def train(config: ExperimentConfig, *, runs_dir: Path, name: str | None = None,
          resume: Path | None = None, quiet: bool = False, console=None,
          command: list[str] | None = None) -> TrainResult:
    """Trains the model a config describes and writes its run directory.

    Args:
        config: The validated experiment config (with `model` and `compile`).
        runs_dir: Where new run directories are created.
        name: The run name. Defaults to `config.name`.
        resume: A run directory to continue from its last complete epoch. Defaults to `None`.
        quiet: One line per epoch instead of a live progress bar. Defaults to `False`.
        console: A `rich.console.Console` for progress. Defaults to stderr.
        command: The command line, recorded in `run.json`. Defaults to `sys.argv`.

    Returns:
        A `TrainResult`.

    Raises:
        ConfigError, DataError, RunError: For bad input, before anything is written.
        Interrupted: On Ctrl-C or SIGTERM; the run is marked interrupted and resumable.
        TrainingFailed: When the loss becomes NaN or infinite.
    """
    if resume:
        runs.load_run(Path(resume))  # a clear error for a missing run before locking it
        # Lock before reading the checkpoint: a live run prunes old checkpoints under our feet.
        with runs.locked(Path(resume)):
            return _train(config, runs_dir=runs_dir, name=name, resume=Path(resume), quiet=quiet,
                          console=console, command=command)
    return _train(config, runs_dir=runs_dir, name=name, resume=None, quiet=quiet,
                  console=console, command=command)


def _train(config, *, runs_dir, name, resume, quiet, console, command) -> TrainResult:
    state = _resume_state(config, resume) if resume else None
    name = config.name if name is None else name
    if not resume:
        runs.check_run_name(name)
    devices = setup_backend(config.seed, config.deterministic)

    import keras

    splits = load_splits(config.data)
    data: Prepared = prepare(splits, config.data)
    if state is not None:
        checkpoint = Path(resume) / "checkpoints" / state["checkpoint"]
        model = keras.saving.load_model(checkpoint, safe_mode=True)
    else:
        model = models.build_model(config.model)
        models.compile_model(model, config.compile)
    shapes = input_shapes(model)
    x_train, y_train = feed_inputs(data.x_train, shapes), feed_targets(data.y_train, model)
    check_output_fits(model, x_train, y_train)
    augment = models.build_augmentation(config.data.augment)

    run_dir = Path(resume) if resume else runs.create_run_dir(runs_dir, name)
    try:
        # Callback file arguments resolve inside the run directory, so they come after it.
        callbacks = models.build_callbacks(config.fit.callbacks, run_dir)
    except ConfigError:
        if not resume:
            run_dir.rmdir()  # Created a moment ago and still empty: bad input leaves nothing.
        raise
    with runs.locked(run_dir) if resume is None else contextlib.nullcontext():
        return _fit(config, model, data, run_dir, state=state, devices=devices, quiet=quiet,
                    console=console, command=command, augment=augment, callbacks=callbacks,
                    train_xy=(x_train, y_train), shapes=shapes)


def _fit(config, model, data, run_dir, *, state, devices, quiet, console, command, augment,
         callbacks, train_xy, shapes) -> TrainResult:
    initial_epoch = state["epoch"] if state else 0
    history = state["history"] if state else {}
    runs.atomic_write_text(run_dir / "config.yaml", config.to_yaml())
    num_classes = data.num_classes
    runs.update_run_json(
        run_dir, name=run_dir.name, kind="train", status="running",
        command=command if command is not None else sys.argv, versions=versions(),
        seed=config.seed, deterministic=config.deterministic, devices=devices,
        started=runs.utc_now() if state is None else runs.load_run(run_dir).get("started"),
        resumed=runs.utc_now() if state else None, ended=None,
        train_examples=int(len(data.y_train)), num_classes=num_classes)
    fit = config.fit
    train_ds = make_dataset(*train_xy, batch_size=fit.batch_size, shuffle=fit.shuffle,
                            seed=config.seed, augment=augment)
    val_ds = None
    if data.x_val is not None:
        val_ds = make_dataset(feed_inputs(data.x_val, shapes), feed_targets(data.y_val, model),
                              batch_size=fit.batch_size)
    recorder = EpochRecorder(run_dir, history)
    callbacks = [RichProgress(fit.epochs, console=console, quiet=quiet), recorder, *callbacks]
    with recording_outcome(run_dir, lambda: len(history.get("loss", []))):
        if initial_epoch < fit.epochs:
            model.fit(train_ds, validation_data=val_ds, epochs=fit.epochs,
                      initial_epoch=initial_epoch, callbacks=callbacks, verbose=0, shuffle=False,
                      class_weight=fit.class_weight, steps_per_epoch=fit.steps_per_epoch)
    epochs_done = len(history.get("loss", []))
    plots.plot_history(history, run_dir / "plots")
    if recorder.diverged_at is not None:
        runs.update_run_json(run_dir, status="failed", ended=runs.utc_now(), epochs=epochs_done,
                             error=f"loss became NaN or infinite in epoch {recorder.diverged_at}")
        kept = ("the last good checkpoint is kept" if recorder.diverged_at > 1
                else "no epoch finished cleanly, so there is no checkpoint")
        raise TrainingFailed(str(run_dir), f"the loss became NaN or infinite in epoch "
                             f"{recorder.diverged_at}; {kept}",
                             "lower the learning rate or check the data scaling")
    runs.atomic_save_model(model, run_dir / "model.keras")
    evaluation = None
    if config.evaluate.enabled and data.x_test is not None:
        names = data_class_names(config.data, num_classes)
        evaluation = evaluate_model(
            model, feed_inputs(data.x_test, shapes), feed_targets(data.y_test, model),
            run_dir=run_dir, class_names=names, num_classes=num_classes,
            batch_size=config.evaluate.batch_size or max(fit.batch_size, 256),
            images=data.x_test, value_range=display_range(config.data.preprocess))
    final = {key: values[-1] for key, values in history.items() if values}
    if evaluation is not None:
        final.update({f"test_{key}": value for key, value in evaluation["metrics"].items()})
        final["test_loss"] = evaluation["loss"]
    task = evaluation["task"] if evaluation else None
    runs.update_run_json(run_dir, status="completed", ended=runs.utc_now(), epochs=epochs_done,
                         epoch_seconds=recorder.epoch_seconds, final_metrics=final, task=task or _guess_task(model, data))
    return TrainResult(run_dir, epochs_done, history, evaluation)


def _guess_task(model, data: Prepared) -> str:
    return task_of(int(model.outputs[0].shape[-1] or 1), data.y_train[:1000], data.num_classes)
