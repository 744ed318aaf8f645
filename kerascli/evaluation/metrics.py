"""Classification figures from predictions, with numpy alone (no TensorFlow).

Keras' metrics give loss and accuracy; the per-class precision, recall and F1, their macro and
weighted averages, and the confusion matrix are counted here from the predictions (scikit-learn
would add a large dependency for a few lines of counting).
"""

from __future__ import annotations

import numpy as np


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
    per_class = [
        {
            "class": name,
            "precision": float(p),
            "recall": float(r),
            "f1": float(f),
            "support": int(s),
        }
        for name, p, r, f, s in zip(class_names, precision, recall, f1, support)
    ]

    def average(weights):
        return {
            "precision": float(np.average(precision, weights=weights)),
            "recall": float(np.average(recall, weights=weights)),
            "f1": float(np.average(f1, weights=weights)),
            "support": int(total),
        }

    return {
        "accuracy": float(true_positives.sum() / total) if total else 0.0,
        "per_class": per_class,
        "macro_avg": average(None),
        "weighted_avg": average(support if total else None),
        "confusion_matrix": matrix.tolist(),
    }


def as_probabilities(outputs):
    """Class probabilities from a classifier's outputs, `(N, classes)`.

    Models trained with `from_logits=True` output logits: they get a softmax (or a sigmoid for one
    unit). One sigmoid unit becomes the two columns `[1 - p, p]`.
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-1] == 1:
        if outputs.min() < 0.0 or outputs.max() > 1.0:
            outputs = 1.0 / (1.0 + np.exp(-outputs))
        return np.concatenate([1.0 - outputs, outputs], axis=-1)
    sums = outputs.sum(axis=-1)
    if outputs.min() < 0.0 or not np.allclose(sums, 1.0, atol=1e-3):
        shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        outputs = shifted / shifted.sum(axis=-1, keepdims=True)
    return outputs
