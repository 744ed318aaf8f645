"""Compiling a model from the `compile` section: optimizer, loss(es) and metrics by Keras name."""

from __future__ import annotations

from typing import Any

from kerascli.config.keys import format_key_path
from kerascli.config.schema import CompileConfig
from kerascli.errors import ConfigError, one_line
from kerascli.models.keras_config import keras_config


def build_optimizer(spec: Any, key_path: tuple):
    """Builds an optimizer from a name or `{Name: {arguments}}` (schedules included).

    Raises:
        ConfigError: When Keras refuses it.
    """
    import keras

    optimizer = _get(keras.optimizers.get, spec, "keras.optimizers", key_path, "optimizer")
    return keras.optimizers.get(optimizer.lower()) if isinstance(optimizer, str) else optimizer


def _get(getter, spec: Any, module: str, key_path: tuple, kind: str):
    if isinstance(spec, str):
        return spec  # Keras resolves names itself in compile (and 'accuracy' depends on the loss).
    try:
        return getter(keras_config(spec, module, key_path))
    except (TypeError, ValueError, KeyError, AttributeError) as error:
        raise ConfigError(
            format_key_path(key_path), f"invalid {kind}: {one_line(error, 300)}"
        ) from None


def _per_output(value, build, output_names: list[str]):
    # `{CategoricalCrossentropy: {...}}` is one loss; `{digit: mse, box: mae}` is one per output.
    if isinstance(value, dict) and value and set(value) <= set(output_names):
        return {name: build(item, (name,)) for name, item in value.items()}
    return build(value, ())


def compile_model(model, config: CompileConfig, learning_rate: float | None = None) -> None:
    """Compiles `model` with the optimizer, loss(es) and metrics of the `compile` section.

    Args:
        model: The model.
        config: The `compile` section.
        learning_rate: Replaces the optimizer's learning rate (or schedule), as a stage of
            `fit.stages` does. Defaults to `None` (the optimizer's own).

    Raises:
        ConfigError: When Keras refuses an optimizer, loss or metric.
    """
    import keras

    optimizer = build_optimizer(config.optimizer, ("compile", "optimizer"))
    if learning_rate is not None:
        optimizer = type(optimizer).from_config(
            {**optimizer.get_config(), "learning_rate": float(learning_rate)}
        )
    outputs = list(getattr(model, "output_names", None) or [model.layers[-1].name])
    loss = _per_output(
        config.loss,
        lambda spec, sub: _get(
            keras.losses.get, spec, "keras.losses", ("compile", "loss") + sub, "loss"
        ),
        outputs,
    )
    metrics = _per_output(
        config.metrics,
        lambda group, sub: [
            _get(
                keras.metrics.get,
                spec,
                "keras.metrics",
                ("compile", "metrics") + sub + (i,),
                "metric",
            )
            for i, spec in enumerate(group)
        ],
        outputs,
    )
    try:
        model.compile(
            optimizer=optimizer,
            loss=loss,
            metrics=metrics or None,
            loss_weights=config.loss_weights,
            steps_per_execution=config.steps_per_execution,
            jit_compile=config.jit_compile,
        )
    except (TypeError, ValueError, KeyError) as error:
        raise ConfigError("compile", one_line(error, 300)) from None
