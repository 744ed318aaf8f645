"""Evaluating a model on test data: Keras' metrics, per-class figures, and the plots that show them.

`evaluate_model` serves both `train` (evaluation at the end of a run) and `evaluate` (a finished
run's saved model, `kerascli.commands.evaluate`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kerascli.evaluation.metrics import class_indices, classification_report, task_of
from kerascli.runs.layout import CONFUSION_PLOT, MISTAKES_PLOT, PLOTS_DIR
from kerascli.runs.results import Evaluation, write_evaluation
from kerascli.visuals import plots


def _worst_mistakes(
    x: np.ndarray, true: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, limit: int = 25
) -> np.ndarray:
    wrong = np.flatnonzero(true != predicted)
    return wrong[np.argsort(-confidence[wrong])][:limit]


def evaluate_model(
    model,
    x,
    y,
    *,
    run_dir: Path,
    class_names: list[str] | None,
    num_classes: int | None,
    batch_size: int = 256,
    images: np.ndarray | None = None,
    value_range=(0.0, 1.0),
    extra: dict | None = None,
) -> Evaluation:
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
        The `Evaluation` written to `evaluation.json`; its `plots` lists the plots written,
        relative to `run_dir`.
    """
    labels = y[0] if isinstance(y, tuple) else y
    scores = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    fields = {
        **(extra or {}),
        "examples": int(len(labels)),
        "loss": float(scores.pop("loss", float("nan"))),
        "metrics": {key: float(value) for key, value in scores.items()},
    }
    output = model.outputs[0]
    units = int(output.shape[-1] or 1)
    task = task_of(units, labels, num_classes)
    drawn: list[str] = []
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
            names = (
                class_names
                if class_names and len(class_names) == units
                else [str(i) for i in range(units)]
            )
        true = class_indices(labels)
        report = classification_report(true, predicted, names)
        fields.update(report)
        plots_dir = Path(run_dir) / PLOTS_DIR
        plots_dir.mkdir(exist_ok=True)
        plots.plot_confusion_matrix(report["confusion_matrix"], names, plots_dir / CONFUSION_PLOT)
        drawn.append(f"{PLOTS_DIR}/{CONFUSION_PLOT}")
        shown = images if images is not None else x
        misclassified = plots_dir / MISTAKES_PLOT
        worst = np.array([], dtype=np.int64)
        if isinstance(shown, np.ndarray) and (
            shown.ndim == 3 or shown.ndim == 4 and shown.shape[-1] in (1, 3)
        ):
            worst = _worst_mistakes(shown, true, predicted, confidence)
        if worst.size:
            titles = [f"true {names[true[i]]} / pred {names[predicted[i]]}" for i in worst]
            plots.plot_image_grid(
                shown[worst], misclassified, titles=titles, value_range=tuple(value_range)
            )
            drawn.append(f"{PLOTS_DIR}/{MISTAKES_PLOT}")
        else:
            # An older evaluation's mistakes would be mistaken for this one's.
            misclassified.unlink(missing_ok=True)
    return write_evaluation(run_dir, {**fields, "task": task, "plots": drawn})
