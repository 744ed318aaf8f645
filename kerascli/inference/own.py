"""The one prediction loop for CSV rows and text files: read, predict in batches, rank.

`kerascli predict` through Keras (`commands.predict_own`) and through an exported model
(`exported.exported_predictor`), and `serve`, go through `OwnPredictor`: the same reading
(`own_inputs`), the same ranking and the same JSON. Only `outputs` differs: the Keras model takes
raw columns and strings, an exported network the encoded arrays `own_inputs` prepares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli.evaluation.metrics import as_probabilities
from kerascli.inference.classify import (
    Classifier,
    Prediction,
    PredictionReport,
    classify_files,
)
from kerascli.inference.own_inputs import TableInput, TextInput


@dataclass(frozen=True)
class OwnPrediction:
    """The model's answer for one row or text file.

    Args:
        file: `FILE:LINE` for a row, the file for a text.
        class_name, index, probability, top_k: A classifier's answer (`None` for regression).
        value: A regression's answer (`None` for classifiers).
    """

    file: str
    class_name: str | None = None
    index: int | None = None
    probability: float | None = None
    top_k: list[tuple[str, float]] = field(default_factory=list)
    value: float | None = None

    def to_json(self) -> dict:
        """The JSON object `kerascli predict --json` prints for this example."""
        if self.value is not None:
            return {"file": self.file, "value": self.value}
        return {
            "file": self.file,
            "class": self.class_name,
            "probability": self.probability,
            "top_k": [{"class": name, "probability": p} for name, p in self.top_k],
        }


@dataclass
class OwnPredictor:
    """A CSV or text run's model, ready to predict, whatever runs it.

    Args:
        run_dir: The run directory.
        input: How examples are read (and, for an export, encoded).
        names: The class names by output column, or `None` for a regression.
        outputs: Maps a batch of raw examples (columns, or a list of texts) to the model's
            (first) output.
        engine: What runs the model: `"keras"`, `"onnx"` or `"litert"`.
    """

    run_dir: Path
    input: TableInput | TextInput
    names: list[str] | None
    outputs: Callable
    engine: str = "keras"

    def rank(
        self, labels: list[str], outputs: np.ndarray, *, top_k: int = 1
    ) -> list[OwnPrediction]:
        """Each example's value (regression) or ranked classes."""
        outputs = np.asarray(outputs)
        if not self.names:
            return [
                OwnPrediction(label, value=float(row.reshape(-1)[0]))
                for label, row in zip(labels, outputs)
            ]
        probabilities = as_probabilities(outputs)
        k = max(1, min(top_k, len(self.names)))
        ranked = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
        predictions = []
        for label, row, order in zip(labels, probabilities, ranked):
            top = [(self.names[i], round(float(row[i]), 6)) for i in order]
            predictions.append(OwnPrediction(label, top[0][0], int(order[0]), top[0][1], top))
        return predictions

    def predict(
        self, labels: list[str], examples, *, top_k: int = 1, batch_size: int = 256
    ) -> list[OwnPrediction]:
        """Predicts raw examples (columns by name, or texts), `batch_size` at a time."""
        predictions = []
        for start in range(0, len(labels), batch_size):
            end = start + batch_size
            chunk = (
                {name: values[start:end] for name, values in examples.items()}
                if isinstance(examples, dict)
                else examples[start:end]
            )
            predictions.extend(self.rank(labels[start:end], self.outputs(chunk), top_k=top_k))
        return predictions


def predict_own(
    paths: list[str | Path], predictor: OwnPredictor, *, top_k: int = 1, batch_size: int = 256
) -> PredictionReport[OwnPrediction]:
    """Predicts CSV rows (a csv run) or text files (a text run).

    Args:
        paths: CSV files, or text files and folders of `.txt` files.
        predictor: The model and its input description.
        top_k: Classes listed per example. Defaults to 1.
        batch_size: Examples per model call. Defaults to 256.

    Returns:
        A `PredictionReport`: one prediction per good row or file, in order, and one error per
        bad one.
    """
    report: PredictionReport[OwnPrediction] = PredictionReport(predictor.run_dir)
    for labels, examples in predictor.input.read(paths, report.errors):
        report.predictions.extend(
            predictor.predict(labels, examples, top_k=top_k, batch_size=batch_size)
        )
    return report


def predict_with(
    predictor: Classifier | OwnPredictor,
    paths: list[str | Path],
    *,
    top_k: int = 1,
    invert: str = "auto",
) -> PredictionReport[Prediction] | PredictionReport[OwnPrediction]:
    """Predicts what a user named with a ready model: image files through a `Classifier`
    (`classify_files`), CSV rows or texts through an `OwnPredictor` (`invert` does not apply)."""
    if isinstance(predictor, OwnPredictor):
        return predict_own(paths, predictor, top_k=top_k)
    return classify_files(paths, predictor, top_k=top_k, invert=invert)
