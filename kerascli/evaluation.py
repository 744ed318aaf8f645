"""Evaluating a model on test data: Keras metrics plus per-class figures for classifiers.

Keras' metrics give loss and accuracy; the per-class precision, recall and F1, their macro and
weighted averages, and the confusion matrix are counted here with numpy from the predictions
(scikit-learn would add a large dependency for a few lines of counting).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli import plots, runs


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
                   images: np.ndarray | None = None, value_range=(0.0, 1.0)) -> dict:
    """Evaluates `model` on `(x, y)` and writes `evaluation.json` and its plots.

    Args:
        model: A compiled Keras model.
        x: Test inputs (as fed to the model). y: Test labels (as trained on).
        run_dir: The run directory to write into.
        class_names: Names for the classes, or `None` to number them.
        num_classes: Classes in the data, or `None` (regression).
        batch_size: Evaluation batch size. Defaults to 256.
        images: The test inputs as images for `plots/misclassified.png`. Defaults to `x`.
        value_range: The range of `images` values. Defaults to `(0.0, 1.0)`.

    Returns:
        The evaluation record written to `evaluation.json`.
    """
    scores = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    record = {"examples": int(len(y)), "loss": float(scores.pop("loss", float("nan"))),
              "metrics": {key: float(value) for key, value in scores.items()}}
    output = model.outputs[0]
    units = int(output.shape[-1] or 1)
    task = task_of(units, y, num_classes)
    record["task"] = task
    if task in ("classification", "binary"):
        probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
        if isinstance(probabilities, list):
            probabilities = probabilities[0]
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
        true = class_indices(y)
        record.update(classification_report(true, predicted, names))
        plots_dir = Path(run_dir) / "plots"
        plots_dir.mkdir(exist_ok=True)
        plots.plot_confusion_matrix(record["confusion_matrix"], names,
                                    plots_dir / "confusion_matrix.png")
        shown = images if images is not None else x
        if isinstance(shown, np.ndarray) and shown.ndim in (3, 4) and shown.shape[-1] in (1, 3) or (
                isinstance(shown, np.ndarray) and shown.ndim == 3):
            worst = _worst_mistakes(shown, true, predicted, confidence)
            if worst.size:
                titles = [f"true {names[true[i]]} / pred {names[predicted[i]]}" for i in worst]
                plots.plot_image_grid(shown[worst], plots_dir / "misclassified.png", titles=titles,
                                      value_range=tuple(value_range))
    runs.atomic_write_json(Path(run_dir) / "evaluation.json", record)
    return record
