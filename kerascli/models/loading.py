"""Loading the `.keras` files kerascli wrote: archive checks first, then Keras' safe mode."""

from __future__ import annotations

import warnings
from pathlib import Path

from kerascli.errors import RunError, one_line
from kerascli.runs.archive import check_keras_archive
from kerascli.runs.saved import SavedRun


def load_model(run: SavedRun, network: str = "model"):
    """Loads one network of an opened run (`model.keras`, `generator.keras`) with safe mode.

    Args:
        run: The opened run.
        network: `"model"`, `"generator"` or `"discriminator"`. Defaults to `"model"`.

    Returns:
        The Keras model, compiled as it was saved.

    Raises:
        RunError: When the file is not a Keras archive, holds code, or Keras cannot load it.
    """
    return load_keras_file(
        run.network_path(network),
        "train the GAN again" if network != "model" else "train the run again",
    )


def load_keras_file(path: Path, retrain_hint: str = "train the run again"):
    """Loads a `.keras` file that kerascli wrote, with Keras' safe mode.

    The file is checked to be a Keras v3 archive first (a zip file with Keras' `config.json`,
    of a plausible size), so that a damaged or foreign file gets a clear error and Keras never
    parses what it was not meant to. Keras' safe mode then refuses `Lambda` layers and any other
    Python code the archive carries, before any of it runs.

    Args:
        path: The `.keras` file.
        retrain_hint: The hint given when the file is damaged. Defaults to
            `"train the run again"`.

    Returns:
        The Keras model, compiled as it was saved.

    Raises:
        RunError: When the file is not a Keras archive, holds code, or Keras cannot load it.
    """
    import keras

    check_keras_archive(path)
    try:
        # Keras warns about state it skips (an optimizer saved before its first step, ...);
        # printed, the warning would be stderr lines that are no `error:` line.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a damaged archive fails in many ways inside Keras.
        text = str(error)
        if "safe_mode" in text or "arbitrary code" in text:
            raise RunError(
                str(path),
                "holds Python code (a Lambda layer or a Python function), "
                "which Keras' safe mode refuses to load",
                "kerascli never runs code from a model file; train the run again with kerascli",
            ) from None
        raise RunError(
            str(path), f"cannot load the model: {one_line(error)}", retrain_hint
        ) from None
