"""One line at the end of `train` when validation accuracy sits near chance while training
accuracy is high: the symptom of BatchNormalization statistics that never caught up.

keras.applications backbones set BatchNormalization momentum 0.999 (MobileNetV2) or 0.99:
trained from `weights: null` for a few hundred steps, their moving statistics stay near their
start, so the model validates (in inference mode) at chance while training accuracy climbs.
"""

from __future__ import annotations


def _last(history: dict, key: str) -> float | None:
    values = [v for v in history.get(key) or [] if v is not None]
    return float(values[-1]) if values else None


def chance_note(history: dict, num_classes: int | None, batchnorm: bool) -> str | None:
    """The note, or `None` when validation accuracy is not near chance or training is not high.

    Args:
        history: Per-epoch logs (`accuracy` or `categorical_accuracy` and their `val_` twins).
        num_classes: The number of classes (chance is one in that many).
        batchnorm: Whether the model holds BatchNormalization layers.

    Returns:
        One line, or `None`.
    """
    if not num_classes or num_classes < 2:
        return None
    for key in ("accuracy", "categorical_accuracy", "sparse_categorical_accuracy"):
        train, validation = _last(history, key), _last(history, f"val_{key}")
        if train is not None and validation is not None:
            break
    else:
        return None
    chance = 1 / num_classes
    # "High" is halfway from chance to perfect; "near chance" is within a fifth of that range.
    if train < chance + 0.5 * (1 - chance) or validation > chance + 0.2 * (1 - chance):
        return None
    cause = (
        "the model's BatchNormalization moving statistics are a likely cause (keras.applications "
        "set momentum 0.99-0.999, too slow for a short run from weights: null): give the "
        "backbone batchnorm_momentum: 0.9"
        if batchnorm
        else "the validation data may differ from the training data, or the model overfits"
    )
    return (
        f"note: validation accuracy {validation:.2f} is near chance ({chance:.2f}) while "
        f"training accuracy is {train:.2f}; {cause}"
    )
