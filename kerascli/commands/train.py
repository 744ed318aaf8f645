"""`kerascli train`: a config in, a trained, evaluated run directory out.

The story: read and prepare the data, build and compile the model (or restore it from the run
being resumed), check with one tiny step that its output fits the labels, then hand over to the
shared run lifecycle (`kerascli.training.lifecycle`), which fits it with checkpoints every epoch.
When the fit completes the model is evaluated on the test split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.config.schema import ExperimentConfig
from kerascli.data.pipeline import feed_inputs, feed_targets, input_shapes, make_dataset
from kerascli.data.preprocess import Prepared, display_range
from kerascli.data.sources import TrainingData, load_training_data
from kerascli.evaluation.evaluate import evaluate_model
from kerascli.evaluation.metrics import task_of
from kerascli.models.adapting import adapt_preprocessing
from kerascli.models.augmentation import mixes_labels, one_hot_compile
from kerascli.models.callbacks import build_callbacks
from kerascli.models.checks import check_output_fits
from kerascli.models.compiling import compile_model
from kerascli.models.layers import build_augmentation, build_model
from kerascli.models.loading import load_keras_file
from kerascli.runs.history import read_history
from kerascli.runs.layout import PLOTS_DIR
from kerascli.runs.status import RunKind
from kerascli.training.diagnosis import chance_note
from kerascli.training.lifecycle import run_training
from kerascli.training.plan import Finish, RunResult, TrainingPlan
from kerascli.training.stages import (
    StagePlan,
    announce,
    holds_batchnorm,
    stage_boundaries,
    stages_of,
)
from kerascli.visuals.plots import plot_history


def _numpy(x) -> bool:
    """Whether `x` is a numpy array, or a dict of them (a table's columns)."""
    values = x.values() if isinstance(x, dict) else [x]
    return all(isinstance(value, np.ndarray) for value in values)


class TrainPlan(TrainingPlan):
    """A model from the `model` and `compile` sections, fitted on the data's training split."""

    kind = RunKind.train
    networks = ("model",)
    loss_keys = ("loss",)
    diverged = "the loss"
    diverged_hint = "lower the learning rate or check the data scaling"
    wrong_kind = ("this is a GAN run", "resume it with kerascli gan")

    def prepare(self, checkpoints: dict[str, Path] | None) -> None:
        config = self.config
        # Image folders, tables and texts decide the model's input and the class names
        # (recorded in run.json, so that predict names them without the data).
        self.prepared_data: TrainingData = load_training_data(config.data)
        self.data: Prepared = self.prepared_data.prepared
        # MixUp and CutMix blend labels: sparse class labels train one-hot, with the loss's
        # one-hot twin; the saved model is compiled as the config says (`final_networks`).
        self.one_hot = None
        self.compile_config = config.compile
        y = self.data.y_train
        if mixes_labels(config.data.augment) and y.ndim == 1 and y.dtype.kind in "iu":
            self.one_hot = self.data.num_classes or int(y.max()) + 1
            self.compile_config = one_hot_compile(config.compile)
        if checkpoints:
            self.model = load_keras_file(checkpoints["model"], "start a new run instead")
        else:
            data = self.prepared_data
            self.model = build_model(config.model, data.input_shape, data.input_dtype)
            compile_model(self.model, self.compile_config)
            # Vocabularies, means and bins: learnt from the training split, saved in the model.
            adapt_preprocessing(self.model, self.data.x_train)
        self.shapes = input_shapes(self.model)
        self.train_xy = (
            feed_inputs(self.data.x_train, self.shapes),
            feed_targets(self._labels(self.data.y_train), self.model),
        )
        check_output_fits(self.model, *self.train_xy)
        self.augment = build_augmentation(config.data.augment)
        self.stages = (
            StagePlan(self.model, config, self.compile_config) if config.fit.stages else None
        )

    def _labels(self, y):
        return y if self.one_hot is None else np.eye(self.one_hot, dtype=np.float32)[y]

    def record_fields(self) -> dict:
        staged = {"stages": self.stages.records()} if self.stages is not None else {}
        return {
            "train_examples": int(len(self.data.y_train)),
            "num_classes": self.data.num_classes,
            **self.prepared_data.record,
            **staged,
        }

    def callbacks(self, run_dir: Path) -> list:
        # Each stage's own callbacks; file arguments land inside the run directory.
        self.stage_callbacks = [
            build_callbacks(getattr(stage.config, "callbacks", None) or [], run_dir)
            for stage in stages_of(self.config)
        ]
        return []

    def fit(self, callbacks: list, initial_epoch: int) -> None:
        config, data, fit = self.config, self.data, self.config.fit
        val_xy = None
        if data.x_val is not None:
            val_xy = (
                feed_inputs(data.x_val, self.shapes),
                feed_targets(self._labels(data.y_val), self.model),
            )
        for stage in stages_of(config):
            if stage.end <= initial_epoch:
                continue
            if self.stages is not None:
                # Resumed inside a stage: the model and optimizer are as that stage saved them.
                self.stages.enter(stage, recompile=initial_epoch <= stage.start)
                announce(callbacks, stage, self.stages)
            common = dict(
                epochs=stage.end,
                initial_epoch=max(stage.start, initial_epoch),
                callbacks=[*callbacks, *self.stage_callbacks[stage.index]],
                verbose=0,
                class_weight=fit.class_weight,
                steps_per_epoch=fit.steps_per_epoch,
            )
            self._fit(common, val_xy)

    def _fit(self, common: dict, val_xy) -> None:
        config, fit = self.config, self.config.fit
        if self.augment is None and _numpy(self.train_xy[0]):
            # Arrays go to fit as a hand-written Keras script passes them: Keras' own array
            # adapter (one vectorized permutation per epoch, parallel batch gathers) is then the
            # pipeline, so the epoch costs what the same model costs written by hand.
            self.model.fit(
                *self.train_xy,
                batch_size=fit.batch_size,
                shuffle=fit.shuffle,
                validation_data=val_xy,
                **common,
            )
            return
        # Augmentation (a map over batches) and string tensors (texts) need a tf.data pipeline.
        train_ds = make_dataset(
            *self.train_xy,
            batch_size=fit.batch_size,
            shuffle=fit.shuffle,
            seed=config.seed,
            augment=self.augment,
        )
        val_ds = make_dataset(*val_xy, batch_size=fit.batch_size) if val_xy else None
        self.model.fit(train_ds, validation_data=val_ds, shuffle=False, **common)

    def draw(self, history: dict[str, list], run_dir: Path) -> None:
        plot_history(history, run_dir / PLOTS_DIR, boundaries=stage_boundaries(self.config))

    def final_networks(self) -> dict:
        if self.one_hot is not None:
            # Trained on one-hot labels; saved, evaluated and served as the config compiles it.
            compile_model(self.model, self.config.compile)
        if self.prepared_data.feature_space is None:
            return {"model": self.model}
        from kerascli.data.table_features import raw_row_model

        # A table's saved model takes raw rows: the FeatureSpace's encoders, then the network.
        model = raw_row_model(self.prepared_data.feature_space, self.model, self.model.name)
        compile_model(model, self.config.compile)
        return {"model": model}

    def finish(self, run_dir: Path) -> Finish:
        config, data, model = self.config, self.data, self.model
        evaluation = None
        if config.evaluate.enabled and data.x_test is not None:
            evaluation = evaluate_model(
                model,
                feed_inputs(data.x_test, self.shapes),
                feed_targets(data.y_test, model),
                run_dir=run_dir,
                class_names=self.prepared_data.class_names,
                num_classes=data.num_classes,
                batch_size=config.evaluate.batch_size or max(config.fit.batch_size, 256),
                images=data.x_test,
                value_range=display_range(config.data.preprocess),
            )
        metrics = {}
        if evaluation is not None:
            metrics = {f"test_{key}": value for key, value in evaluation.metrics.items()}
            metrics["test_loss"] = evaluation.loss
            task = evaluation.task
        else:
            task = task_of(
                int(model.outputs[0].shape[-1] or 1), data.y_train[:1000], data.num_classes
            )
        note = chance_note(read_history(run_dir), data.num_classes, holds_batchnorm(model))
        self.notes = [note] if note else []
        return Finish(fields={"task": task}, metrics=metrics, evaluation=evaluation)


def train(config: ExperimentConfig, **options) -> RunResult:
    """Trains the model a config describes and writes its run directory.

    Args:
        config: The validated experiment config (with `model` and `compile`).
        **options: `runs_dir`, `name`, `resume`, `quiet`, `console` and `command`, as
            `kerascli.training.lifecycle.run_training` takes them.

    Returns:
        A `RunResult`, with the test evaluation when one was made.

    Raises:
        As `run_training`: ConfigError, DataError, RunError for bad input, Interrupted, and
        TrainingFailed when the loss becomes NaN or infinite.
    """
    plan = TrainPlan(config)
    result = run_training(plan, **options)
    result.notes = getattr(plan, "notes", [])
    return result
