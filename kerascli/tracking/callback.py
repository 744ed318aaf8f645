"""The Keras callback that tells a tracking session an epoch ended (`tracking.session`)."""

from __future__ import annotations

import keras


class EpochsToMlflow(keras.callbacks.Callback):
    """Hands each finished epoch to an `MlflowSession`, which sends it in the background.

    It runs after the run's recorder, so the epoch it hands over is already in `history.json`
    (what MLflow gets is what `history.csv` holds, and an epoch dropped for a NaN loss is sent
    by neither).

    Args:
        session: The `kerascli.tracking.session.MlflowSession`.
    """

    def __init__(self, session):
        super().__init__()
        self.session = session

    def on_epoch_end(self, epoch, logs=None):
        self.session.epoch_ended(epoch)
