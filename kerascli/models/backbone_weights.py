"""A backbone's weights taken from an earlier run's model (`weights: RUN_DIR` or `FILE.keras`).

The earlier model is loaded with safe mode (`loading.load_keras_file`); the backbone is matched
by its name, else as the one nested model whose weights have the same shapes, and its weights
(BatchNormalization statistics included) are copied in. The preprocessing layer the earlier run
applied in front of it (`backbone_inputs`) comes along, so the weights see the pixels they were
trained on.
"""

from __future__ import annotations

from pathlib import Path

from kerascli.errors import ConfigError
from kerascli.models.backbone_inputs import PREPROCESS_SUFFIX
from kerascli.models.loading import load_keras_file
from kerascli.runs.layout import MODEL_FILE


def is_model_source(weights) -> bool:
    """Whether `weights` names a run directory or a `.keras` file (not a plain weights file)."""
    if not isinstance(weights, str) or weights == "imagenet":
        return False
    return Path(weights).is_dir() or weights.endswith(".keras")


def _nested_models(model) -> list:
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.append(layer)
            found.extend(_nested_models(layer))
    return found


def _shapes(model) -> list[tuple]:
    return [tuple(weight.shape) for weight in model.weights]


def copy_from_run(backbone, source: str, where: str):
    """Copies the matching backbone's weights from an earlier model into `backbone`.

    Args:
        backbone: The freshly built `keras.applications` model.
        source: A run directory (its `model.keras`) or a `.keras` file.
        where: The config key of `weights`, for errors.

    Returns:
        The earlier model's preprocessing layer in front of that backbone, or `None`.

    Raises:
        ConfigError: When the file cannot be loaded or holds no matching backbone.
        RunError: When the file is not a Keras archive or holds code.
    """
    path = Path(source)
    path = path / MODEL_FILE if path.is_dir() else path
    earlier = load_keras_file(path, "give a completed run directory or a .keras file")
    candidates = _nested_models(earlier)
    match = next((m for m in candidates if m.name == backbone.name), None)
    if match is None or _shapes(match) != _shapes(backbone):
        same = [m for m in candidates if _shapes(m) == _shapes(backbone)]
        match = same[0] if len(same) == 1 else None
    if match is None:
        names = ", ".join(m.name for m in candidates) or "none"
        raise ConfigError(
            where,
            f"{path} holds no backbone like {backbone.name} (its nested models: {names})",
            "the earlier run's backbone must be the same application with the same arguments",
        )
    backbone.set_weights(match.get_weights())
    parent = next(
        (m for m in [earlier, *candidates] if any(layer is match for layer in m.layers)), None
    )
    layers = list(parent.layers) if parent is not None else []
    index = next(i for i, layer in enumerate(layers) if layer is match) if layers else 0
    before = layers[index - 1] if index else None
    if before is not None and before.name == match.name + PREPROCESS_SUFFIX:
        return before
    return None
