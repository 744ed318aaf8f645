"""Mirroring runs in a tracking server (MLflow), opt-in, below the training lifecycle.

`content` says what a run sends (params, metrics, tags, artifacts), from its config and files,
without MLflow; `session` is one MLflow run's life (start or continue, epochs sent in the
background, artifacts and the final status); `callback` is the Keras callback that tells the
session an epoch ended. MLflow is imported only when a run is tracked, never on `--help`, a
config error or an untracked run.
"""
