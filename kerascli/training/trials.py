"""A trial of a sweep, inside its `kerascli train` process: every epoch reported to the study.

The trial reports its metric after each epoch (`trial.report`) and asks the study's pruner
whether to go on (`trial.should_prune`); told to stop, it ends training after that epoch, as
Keras' own early stopping does, and the run is recorded `pruned`. The process that started it
(`kerascli tune`) reads the outcome from the run directory and tells the study.
"""

from __future__ import annotations

import math

from kerascli.tuning.link import TrialLink
from kerascli.tuning.study import deferred_signals, open_storage, optuna_module, pruner


def trial_reporter(link: TrialLink):
    """A Keras callback that reports each epoch of trial `link.number` to its study.

    Its `pruned` attribute says, after training, whether the pruner stopped it. A storage that
    fails while training goes on is never a reason to stop the run: the report is skipped.

    Args:
        link: The trial's link to its study.

    Returns:
        A `keras.callbacks.Callback`.

    Raises:
        ConfigError: When the study's storage cannot be opened.
    """
    import keras

    optuna = optuna_module()
    storage = open_storage(link.storage, heartbeat=False)
    study = optuna.load_study(
        study_name=link.study, storage=storage, pruner=pruner(link.pruner, link.epochs)
    )
    trial_id = storage.get_trial_id_from_study_id_trial_number(
        storage.get_study_id_from_name(link.study), link.number
    )
    trial = optuna.trial.Trial(study, trial_id)

    class TrialReporter(keras.callbacks.Callback):
        pruned = False

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(link.metric)
            if value is None or not math.isfinite(float(value)):
                return
            # A Ctrl-C waits for the report: inside SQLite it would be taken for a storage error.
            with deferred_signals():
                try:
                    trial.report(float(value), epoch + 1)
                    prune = link.prune and trial.should_prune()
                except Exception:  # noqa: BLE001 - a storage hiccup must not end the training
                    return
            if prune:
                self.pruned = True
                self.model.stop_training = True

    return TrialReporter()
