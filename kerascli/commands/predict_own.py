"""`kerascli predict` through Keras for runs trained on CSV tables and text folders.

The run's `model.keras` takes raw data (its FeatureSpace or TextVectorization is inside), so the
Keras `OwnPredictor` hands it the columns and strings that `inference.own_inputs` read: each CSV
row checked as training checked it, against the feature kinds `run.json` recorded, and each text
file read as UTF-8. The loop and the ranking are `inference.own`'s, shared with the exported path.
"""

from __future__ import annotations

import numpy as np

from kerascli.data.table_features import model_inputs
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput, TextInput
from kerascli.models.loading import load_model
from kerascli.runs.saved import SavedRun


def keras_own_predictor(run: SavedRun) -> OwnPredictor:
    """The Keras `OwnPredictor` of a CSV or text run; its model is loaded once, at the first
    batch (when no file can be read, it is not loaded at all).

    Raises:
        RunError: (at the first batch) When the model cannot be loaded.
    """
    import tensorflow as tf

    loaded = []
    table = run.config.data.source == "csv"

    def outputs(examples):
        if not loaded:
            loaded.append(load_model(run))
        model = loaded[0]
        x = model_inputs(examples) if table else tf.constant(list(examples))
        answer = model.predict_on_batch(x)
        return np.asarray(answer[0] if isinstance(answer, (list, tuple)) else answer)

    source = TableInput(run.record.table_features(str(run.run_dir))) if table else TextInput()
    return OwnPredictor(run.run_dir, source, run.record.class_names, outputs, "keras")
