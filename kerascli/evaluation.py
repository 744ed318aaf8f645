"""Evaluating a model on test data: Keras metrics plus per-class figures for classifiers.

Keras' metrics give loss and accuracy; the per-class precision, recall and F1, their macro and
weighted averages, and the confusion matrix are counted here with numpy from the predictions
(scikit-learn would add a large dependency for a few lines of counting).

`evaluate_model` serves `train` (evaluation at the end of a run); `evaluate_run` is the `evaluate`
command: a finished run's saved model on test data rebuilt from the run's own config.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli import plots, runs
from kerascli.data.pipeline import feed_inputs, feed_targets, input_shapes
from kerascli.data.preprocess import display_range, prepare, preprocess_images, preprocess_labels
from kerascli.data.sources import class_names as data_class_names
from kerascli.data.sources import load_splits
from kerascli.errors import DataError
from kerascli.saved_runs import keras_message, load_model, open_run


def task_of(output_units: int, y: np.ndarray | None, num_classes: int | None) -> str:
    """What kind of model this is: `classification`, `binary` or `regression`.

    Args:
        output_units: Size of the model's (first) output's last axis.
        y: Some labels, as the model is trained on them.
        num_classes: Classes the data has (`None` for non-integer targets).
    """
    if output_units > 1 and num_classes and output_units == num_classes:
        return "classification"
    if output_units == 1 and y is not None and np.isin(np.unique(np.asarray(y)), (0, 1)).all():
        return "binary"
    return "regression"


def class_indices(y: np.ndarray) -> np.ndarray:
    """Integer classes from one-hot rows, probabilities, or integer labels."""
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return y.argmax(axis=-1)
    return y.reshape(len(y), -1)[:, 0].round().astype(np.int64)


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, class_names: list[str]) -> dict:
    """Counts per-class precision, recall, F1 and support, and the confusion matrix.

    Args:
        y_true: True class indices, shape `(n,)`.
        y_pred: Predicted class indices, shape `(n,)`.
        class_names: One name per class; its length is the number of classes.

    Returns:
        A dict with `accuracy`, `per_class` (a list of dicts with `class`, `precision`, `recall`,
        `f1`, `support`), `macro_avg`, `weighted_avg` and `confusion_matrix` (rows are true
        classes, columns predicted classes).
    """
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true), np.asarray(y_pred)), 1)
    true_positives = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0).astype(np.float64)
    support = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, true_positives / predicted, 0.0)
        recall = np.where(support > 0, true_positives / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = support.sum()
    per_class = [{"class": name, "precision": float(p), "recall": float(r), "f1": float(f),
                  "support": int(s)}
                 for name, p, r, f, s in zip(class_names, precision, recall, f1, support)]

    def average(weights):
        return {"precision": float(np.average(precision, weights=weights)),
                "recall": float(np.average(recall, weights=weights)),
                "f1": float(np.average(f1, weights=weights)), "support": int(total)}

    return {
        "accuracy": float(true_positives.sum() / total) if total else 0.0,
        "per_class": per_class,
        "macro_avg": average(None),
        "weighted_avg": average(support if total else None),
        "confusion_matrix": matrix.tolist(),
    }


def _worst_mistakes(x: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                    confidence: np.ndarray, limit: int = 25) -> np.ndarray:
    wrong = np.flatnonzero(true != predicted)
    return wrong[np.argsort(-confidence[wrong])][:limit]


def evaluate_model(model, x, y, *, run_dir: Path, class_names: list[str] | None,
                   num_classes: int | None, batch_size: int = 256,
                   images: np.ndarray | None = None, value_range=(0.0, 1.0),
                   extra: dict | None = None) -> dict:
    """Evaluates `model` on `(x, y)` and writes `evaluation.json` and its plots.

    Classifiers (softmax over the classes, or one sigmoid unit on 0/1 labels) also get per-class
    figures, `plots/confusion_matrix.png` and `plots/misclassified.png`; regression models get
    their loss and metrics only.

    Args:
        model: A compiled Keras model.
        x: Test inputs (as fed to the model). y: Test labels (as trained on; a tuple with one
            entry per output for multi-output models, which all learn the same labels).
        run_dir: The run directory to write into.
        class_names: Names for the classes, or `None` to number them.
        num_classes: Classes in the data, or `None` (regression).
        batch_size: Evaluation batch size. Defaults to 256.
        images: The test inputs as images for `plots/misclassified.png`. Defaults to `x`.
        value_range: The range of `images` values. Defaults to `(0.0, 1.0)`.
        extra: More fields for the record (where the data came from, ...). Defaults to `None`.

    Returns:
        The evaluation record written to `evaluation.json`; `plots` lists the plots written,
        relative to `run_dir`.
    """
    labels = y[0] if isinstance(y, tuple) else y
    scores = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    record = {**(extra or {}), "examples": int(len(labels)),
              "loss": float(scores.pop("loss", float("nan"))),
              "metrics": {key: float(value) for key, value in scores.items()}}
    output = model.outputs[0]
    units = int(output.shape[-1] or 1)
    task = task_of(units, labels, num_classes)
    record["task"] = task
    record["plots"] = []
    if task in ("classification", "binary"):
        probabilities = model.predict(x, batch_size=batch_size, verbose=0)
        # Multi-output models predict a list; every output learns the same labels, and the
        # first is the one reported (as for `task` above).
        if isinstance(probabilities, (list, tuple)):
            probabilities = probabilities[0]
        probabilities = np.asarray(probabilities)
        if task == "binary":
            positive = probabilities.reshape(-1)
            predicted = (positive >= 0.5).astype(np.int64)
            confidence = np.where(predicted == 1, positive, 1 - positive)
            names = class_names if class_names and len(class_names) == 2 else ["0", "1"]
        else:
            predicted = probabilities.argmax(axis=-1)
            confidence = probabilities.max(axis=-1)
            names = class_names if class_names and len(class_names) == units else [
                str(i) for i in range(units)]
        true = class_indices(labels)
        record.update(classification_report(true, predicted, names))
        plots_dir = Path(run_dir) / "plots"
        plots_dir.mkdir(exist_ok=True)
        plots.plot_confusion_matrix(record["confusion_matrix"], names,
                                    plots_dir / "confusion_matrix.png")
        record["plots"].append("plots/confusion_matrix.png")
        shown = images if images is not None else x
        misclassified = plots_dir / "misclassified.png"
        worst = np.array([], dtype=np.int64)
        if isinstance(shown, np.ndarray) and (
                shown.ndim == 3 or shown.ndim == 4 and shown.shape[-1] in (1, 3)):
            worst = _worst_mistakes(shown, true, predicted, confidence)
        if worst.size:
            titles = [f"true {names[true[i]]} / pred {names[predicted[i]]}" for i in worst]
            plots.plot_image_grid(shown[worst], misclassified, titles=titles,
                                  value_range=tuple(value_range))
            record["plots"].append("plots/misclassified.png")
        else:
            # An older evaluation's mistakes would be mistaken for this one's.
            misclassified.unlink(missing_ok=True)
    runs.atomic_write_json(Path(run_dir) / "evaluation.json", record)
    return record


def evaluate_run(run_dir: str | Path, overrides: list[str] | None = None) -> dict:
    """The `evaluate` use case: evaluates a finished run's model on its test data again.

    The test split is rebuilt from the run's `config.yaml` exactly as training built it
    (source, `data.limit`, `data.preprocess`); `overrides` can point it at another test set,
    e.g. `data.test.images=...` and `data.test.labels=...` for an `idx` source.

    Args:
        run_dir: A run directory made by `kerascli train`.
        overrides: `KEY.PATH=VALUE` strings applied to the run's config. Defaults to none.

    Returns:
        The evaluation record, also written to `run_dir/evaluation.json` (see `evaluate_model`),
        with `run` and `overrides` added.

    Raises:
        RunError: When `run_dir` is not a run with a loadable model, or another process holds it.
        ConfigError: When the saved config or an override is invalid.
        DataError: When the test data is missing, unreadable, or does not fit the model.
    """
    from kerascli import models

    run = open_run(run_dir, overrides)
    config = run.config
    splits = load_splits(config.data)
    if splits.x_test is None:
        raise DataError("data.test", "the run's data has no test split",
                        "point evaluate at one with --set, e.g. --set data.test.images=F "
                        "--set data.test.labels=F for an idx source")
    pre = config.data.preprocess
    x_test = preprocess_images(splits.x_test, pre, "data.test")
    y_test = preprocess_labels(splits.y_test, pre, "data.test")
    num_classes = run.record.get("num_classes")
    # `None` is recorded for regression data; anything else that is no class count (a run.json
    # edited by hand) is not trusted, and the count is taken from the data as training did.
    if "num_classes" not in run.record or not (num_classes is None or (
            isinstance(num_classes, int) and not isinstance(num_classes, bool)
            and num_classes > 0)):
        num_classes = prepare(splits, config.data).num_classes
    model = load_model(run)
    if not getattr(model, "compiled", False):
        models.compile_model(model, config.compile)
    shapes = input_shapes(model)
    x, y = feed_inputs(x_test, shapes), feed_targets(y_test, model)
    _check_fits(model, x, y)
    with runs.locked(run.run_dir):
        return evaluate_model(
            model, x, y, run_dir=run.run_dir,
            class_names=data_class_names(config.data, num_classes), num_classes=num_classes,
            batch_size=config.evaluate.batch_size or max(config.fit.batch_size, 256),
            images=x_test, value_range=display_range(config.data.preprocess),
            extra={"run": run.run_dir.name, "overrides": list(overrides or []),
                   "evaluated": runs.utc_now()})


def _check_fits(model, x, y) -> None:
    """Evaluates two examples, so test data that does not fit the model is one clear error."""
    from kerascli.models import dry_run_error

    message = dry_run_error(model, x, y)
    if message is not None:
        # Keras' complaint carries terminal colour codes and, at times, a whole config.
        raise DataError("data.test", "the test data does not fit the model: "
                        f"{keras_message(message)}",
                        "use test data shaped like the training data") from None
