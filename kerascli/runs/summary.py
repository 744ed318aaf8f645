"""What a run achieved, read from its files: its history, final and best metrics.

The one home of "which way is better" for a metric, shared by the report, `runs` and
`runs compare`.
"""

from __future__ import annotations

import math
from pathlib import Path

from kerascli.errors import RunError
from kerascli.runs.files import read_json
from kerascli.runs.layout import EVALUATION_FILE, HISTORY_JSON

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


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def best_metrics(history: dict[str, list]) -> dict[str, tuple[float, int]]:
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


def headline(metrics: dict) -> list[str]:
    """The most telling of a run's metrics: its test figures, else validation ones, else all."""
    return (
        [key for key in metrics if key.startswith("test_")]
        or [key for key in metrics if key.startswith("val_")]
        or list(metrics)
    )


def final_metrics(record: dict) -> dict[str, float]:
    """The numeric final metrics `run.json` records (last epoch's logs and test figures)."""
    metrics = record.get("final_metrics") or {}
    return {key: number for key, value in metrics.items() if (number := _number(value)) is not None}


def read_history(run_dir: Path) -> dict[str, list]:
    """A run's `history.json`, or `{}` when it has none (yet) or it is unreadable."""
    try:
        history = read_json(Path(run_dir) / HISTORY_JSON)
    except RunError:
        return {}
    return history if isinstance(history, dict) else {}


def read_evaluation(run_dir: Path) -> dict | None:
    """A run's `evaluation.json`, or `None` when it has none or it is unreadable."""
    try:
        evaluation = read_json(Path(run_dir) / EVALUATION_FILE)
    except RunError:
        return None
    return evaluation if isinstance(evaluation, dict) else None


def tracking_link(record: dict) -> str | None:
    """Where the run's MLflow run is: its web page, else its id in its store; `None` when the
    run is not tracked."""
    tracking = record.get("tracking") or {}
    if not isinstance(tracking, dict) or not tracking.get("run_id"):
        return None
    return tracking.get("url") or f"{tracking.get('uri')} run {tracking['run_id']}"
