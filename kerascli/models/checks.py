"""One tiny step before the real work: data that does not fit a model is a clear error, not a
crash."""

from __future__ import annotations

import numpy as np

from kerascli.errors import ConfigError, one_line


def dry_run_error(model, x, y) -> str | None:
    """Evaluates two examples and returns Keras' complaint, or `None` when the data fits.

    One tiny step turns a model/data mismatch into a clear error before any real work starts.
    """
    sample = slice(0, 2)
    x_sample = {k: v[sample] for k, v in x.items()} if isinstance(x, dict) else x[sample]
    y_sample = tuple(t[sample] for t in y) if isinstance(y, tuple) else y[sample]
    try:
        model.test_on_batch(x_sample, y_sample)
    except (ValueError, TypeError) as error:
        return one_line(error, 300)
    return None


def check_output_fits(model, x, y, key_path: str = "model.layers") -> None:
    """Runs one tiny evaluation step so a model/label mismatch is a config error, not a crash.

    Raises:
        ConfigError: When the model's output shape cannot be compared with the labels.
    """
    units = model.outputs[0].shape[-1]
    if np.ndim(y) == 2 and units is not None and units != y.shape[-1]:
        raise ConfigError(
            f"{key_path}[-1]",
            f"the model outputs {units} values per example but "
            f"the labels have {y.shape[-1]} (one-hot classes)",
            f"make the last layer Dense with units: {y.shape[-1]}",
        )
    message = dry_run_error(model, x, y)
    if message is not None:
        raise ConfigError(
            f"{key_path}[-1]",
            f"the model's output does not fit the labels: {message}",
            "check the last layer's units and compile.loss",
        ) from None
