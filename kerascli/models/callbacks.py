"""Building the `fit.callbacks`, with every file they write kept inside the run directory."""

from __future__ import annotations

from pathlib import Path

from kerascli.config.keras_names import REFUSED_CALLBACKS
from kerascli.config.keys import format_key_path
from kerascli.config.specs import split_spec
from kerascli.errors import ConfigError, one_line
from kerascli.models.keras_config import explain_arguments
from kerascli.models.tensorboard import RunTensorBoard
from kerascli.runs.layout import TENSORBOARD_DIR

# Arguments of callbacks that name files: they are placed inside the run directory.
_CALLBACK_PATH_ARGUMENTS = ("filepath", "filename", "log_dir")


def build_callbacks(specs: list, run_dir: Path, *, tensorboard: bool = False) -> list:
    """Builds the `fit.callbacks`; file arguments are resolved inside the run directory.

    A `TensorBoard` callback is kerascli's `RunTensorBoard` (its curves continue on resume); its
    `log_dir` defaults to the run's `tensorboard/` folder rather than Keras' `./logs`.

    Args:
        specs: The `fit.callbacks` list.
        run_dir: The run directory.
        tensorboard: Add a TensorBoard callback (`fit.tensorboard`) unless `specs` has one.

    Raises:
        ConfigError: When a callback cannot be built, or a file argument leaves the run directory.
    """
    import keras

    callbacks = []
    for index, spec in enumerate(specs):
        key_path = ("fit", "callbacks", index)
        name, args = split_spec(spec, key_path, "callback")
        if name == "TensorBoard":
            args.setdefault("log_dir", TENSORBOARD_DIR)
        for argument in _CALLBACK_PATH_ARGUMENTS:
            if argument in args:
                target = (run_dir / str(args[argument])).resolve()
                if not target.is_relative_to(run_dir.resolve()):
                    raise ConfigError(
                        format_key_path(key_path + (name, argument)),
                        "must stay inside the run directory",
                        "give a relative path such as best.keras",
                    )
                args[argument] = str(target)
        # Refused with the config too (config.specs), before TensorFlow; kept as a second lock.
        cls = RunTensorBoard if name == "TensorBoard" else getattr(keras.callbacks, name, None)
        if cls is None or name in REFUSED_CALLBACKS:
            raise ConfigError(
                format_key_path(key_path), f"unknown callback {name!r}", REFUSED_CALLBACKS.get(name)
            )
        try:
            callbacks.append(cls(**args))
        except (TypeError, ValueError) as error:
            message, hint = explain_arguments(cls, args, one_line(error, 300))
            raise ConfigError(format_key_path(key_path + (name,)), message, hint) from None
    if tensorboard and not any(isinstance(callback, RunTensorBoard) for callback in callbacks):
        callbacks.append(RunTensorBoard(log_dir=str(run_dir / TENSORBOARD_DIR)))
    return callbacks
