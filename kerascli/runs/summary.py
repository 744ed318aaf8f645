"""What a run achieved, read from its files: its history, final and best metrics.

The one home of "which way is better" for a metric, shared by the report, `runs` and
`runs compare`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kerascli.runs.history import read_history

if TYPE_CHECKING:  # annotations only: `runs` lists runs before it loads pydantic's models
    from kerascli.runs.record import RunRecord

# `read_history` was read from here by earlier callers; its home is `kerascli.runs.history`.
__all__ = [
    "best_metrics",
    "final_metrics",
    "headline",
    "is_score",
    "lower_is_better",
    "read_history",
]

# Metrics where lower is better; every other metric (accuracy, AUC, F1, ...) is higher-better.
_LOWER_IS_BETTER = (
    "loss",
    "error",
    "crossentropy",
    "hinge",
    "divergence",
    "mse",
    "mae",
    "mape",
    "msle",
    "poisson",
    "cosine_similarity_loss",
    "logcosh",
)
# Logged per epoch but not scores: no "best" of them (a GAN's mean discriminator outputs on real
# and generated images are a balance to watch, not a figure to maximise).
_NOT_SCORES = ("learning_rate", "lr", "d_real", "d_fake")


def is_score(key: str) -> bool:
    """Whether a logged value is a score with a better direction (the learning rate is not)."""
    return key.removeprefix("val_") not in _NOT_SCORES


def lower_is_better(key: str) -> bool:
    """Whether a smaller value of metric `key` (`val_loss`, `mae`, ...) is the better one."""
    name = key.removeprefix("val_").removeprefix("test_").lower()
    return any(part in name for part in _LOWER_IS_BETTER)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def best_metrics(history: dict[str, list[Any]]) -> dict[str, tuple[float, int]]:
    """The best value of each score in a history, and the epoch (1-based) it was reached.

    Loss-like metrics are best at their minimum, the others at their maximum; the learning rate
    is not a score and is left out.

    Returns:
        `{key: (value, epoch)}` for every key with at least one finite value.
    """
    best = {}
    for key, values in history.items():
        if not is_score(key) or not isinstance(values, list):
            continue
        points = [
            (number, epoch)
            for epoch, value in enumerate(values, start=1)
            if (number := _number(value)) is not None
        ]
        if points:
            pick = min if lower_is_better(key) else max
            best[key] = pick(points, key=lambda point: point[0])
    return best


def headline(metrics: dict[str, Any]) -> list[str]:
    """The most telling of a run's metrics: its test figures, else validation ones, else all."""
    return (
        [key for key in metrics if key.startswith("test_")]
        or [key for key in metrics if key.startswith("val_")]
        or list(metrics)
    )


def final_metrics(record: RunRecord) -> dict[str, float]:
    """The finite final metrics a run recorded (last epoch's logs and test figures)."""
    metrics = record.final_metrics or {}
    return {key: number for key, value in metrics.items() if (number := _number(value)) is not None}


def tracking_link(record: RunRecord) -> str | None:
    """Where the run's MLflow run is: its web page, else its id in its store; `None` when the
    run is not tracked."""
    tracking = record.tracking
    if tracking is None or not tracking.run_id:
        return None
    return tracking.url or f"{tracking.uri} run {tracking.run_id}"
