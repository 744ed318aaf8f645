"""`kerascli predict` for runs trained on CSV tables and text folders.

The run's `model.keras` takes raw data (its FeatureSpace or TextVectorization is inside), so
prediction is reading: each CSV row is checked as training checked it, against the feature
kinds `run.json` recorded; a row with a bad value gets its own error and the other rows are
still predicted. Text files are read as UTF-8, one example each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli.data.table_features import model_inputs
from kerascli.data.tables import feature_columns, read_table
from kerascli.data.texts import read_text_files
from kerascli.errors import DataError
from kerascli.evaluation.metrics import as_probabilities
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun


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
        return {"file": self.file, "class": self.class_name, "probability": self.probability,
                "top_k": [{"class": name, "probability": p} for name, p in self.top_k]}


def predict_own(paths: list[str | Path], run: SavedRun, report, *, top_k: int = 1,
                batch_size: int = 256):
    """Predicts CSV rows (a csv run) or text files (a text run) with the run's model.

    Args:
        paths: CSV files, or text files and folders of `.txt` files.
        run: The opened run. report: The `PredictionReport` to fill.
        top_k: Classes listed per example. Defaults to 1.
        batch_size: Examples per model call. Defaults to 256.

    Returns:
        `report`, with one prediction per good row or file and one error per bad one.
    """
    record = run.record
    names = record.get("class_names")
    batches = []  # (labels, model inputs)
    if run.config.data.source == "csv":
        for path in map(str, paths):
            try:
                table = read_table(path, "the path")
                columns = feature_columns(table, record["features"], lenient=True)
            except DataError as error:
                report.errors.append(error)
                continue
            report.errors.extend(columns.errors)
            if len(columns.lines):
                batches.append(([f"{path}:{line}" for line in columns.lines],
                                model_inputs(columns.values)))
    else:
        import tensorflow as tf

        files, texts, errors = read_text_files(paths)
        report.errors.extend(errors)
        if files:
            batches.append((files, tf.constant(texts)))
    if not batches:
        return report
    model = load_model(run)
    for labels, x in batches:
        outputs = model.predict(x, batch_size=batch_size, verbose=0)
        if isinstance(outputs, (list, tuple)):
            outputs = outputs[0]
        outputs = np.asarray(outputs)
        if not names:
            report.predictions.extend(OwnPrediction(label, value=float(row.reshape(-1)[0]))
                                      for label, row in zip(labels, outputs))
            continue
        probabilities = as_probabilities(outputs)
        k = max(1, min(top_k, len(names)))
        ranked = np.argsort(-probabilities, axis=-1, kind="stable")[:, :k]
        for label, row, order in zip(labels, probabilities, ranked):
            top = [(names[i], round(float(row[i]), 6)) for i in order]
            report.predictions.append(OwnPrediction(label, top[0][0], int(order[0]), top[0][1],
                                                    top))
    return report
