"""PNG plots of training runs: metric curves, confusion matrices and image grids.

Only numpy and matplotlib are used, never TensorFlow, so plotting a finished run stays fast. Figures
are built from `matplotlib.figure.Figure` with an Agg canvas rather than pyplot: pyplot keeps global
state (current figure, backend choice) that is neither thread-safe nor wanted in a CLI.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kerascli.runs.files import atomic_write_bytes

_DPI = 100
_MARKER_MAX_EPOCHS = 30  # past this, markers clutter the line more than they help


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    # Rendered in memory and written through the run's one atomic writer, so a reader never sees
    # a half-written PNG.
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _as_series(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _epoch_axes(ax, epochs: int, *, title: str, ylabel: str) -> None:
    """Epochs 1..N on the x axis with whole-number ticks, a title, labels and a light grid."""
    ax.set_xlim(0.5, max(epochs, 1) + 0.5)
    # MaxNLocator falls back to fractional ticks when the axis spans one integer (1 epoch).
    if epochs <= 10:
        ax.set_xticks(range(1, epochs + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


def history_families(history: dict[str, list]) -> dict[str, dict[str, list]]:
    """Groups a history's metrics into charts: `X` and `val_X` share one; a lone `val_X` has one.

    Returns:
        `{chart name: {"train": values, "validation": values}}` (either may be absent), in the
        history's order.
    """
    families: dict[str, dict[str, list]] = {}
    for key, values in history.items():
        base = key[4:] if key.startswith("val_") and len(key) > 4 else None
        if base is not None and base in history:
            families.setdefault(base, {})["validation"] = values
        else:
            families.setdefault(key, {})["train"] = values
    return {
        name: dict(sorted(members.items(), key=lambda item: item[0] != "train"))
        for name, members in families.items()
    }


def mark_stages(ax, boundaries: list[int] | None) -> None:
    """Dashed vertical lines where a new stage of `fit.stages` starts (after those epochs)."""
    for epoch in boundaries or []:
        ax.axvline(epoch + 0.5, color="gray", linestyle="--", linewidth=1, alpha=0.8)


def plot_history(
    history: dict[str, list[float]], out_dir: Path, boundaries: list[int] | None = None
) -> list[Path]:
    """Plots every metric of a training history, one PNG per metric.

    A metric `X` and its `val_X` share one plot (`X.png`); a `val_X` without `X` gets its own.
    Missing points (`None` or NaN) are skipped.

    Args:
        history: Per-epoch values by metric name, as in `keras.callbacks.History.history`,
            e.g. `{"loss": [...], "val_loss": [...], "learning_rate": [...]}`.
        out_dir: Directory to write into; created if missing.
        boundaries: Epochs after which a new stage of `fit.stages` starts, marked with a
            dashed line. Defaults to `None`.

    Returns:
        The paths written, sorted. Empty when `history` is empty.
    """
    families = history_families(history)
    written: list[Path] = []
    used: set[str] = set()
    for name, members in families.items():
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "metric"
        # Distinct metric names can sanitize to the same stem; never overwrite an earlier plot.
        unique, n = stem, 1
        while unique in used:
            n += 1
            unique = f"{stem}_{n}"
        used.add(unique)

        fig = _new_figure(6, 4)
        ax = fig.add_subplot()
        epochs_seen, finite_seen = 0, []
        for label in ("train", "validation"):
            if label not in members:
                continue
            y = _as_series(members[label])
            x = np.arange(1, len(y) + 1)
            ok = np.isfinite(y)
            epochs_seen = max(epochs_seen, len(y))
            finite_seen.append(y[ok])
            marker = "o" if len(y) <= _MARKER_MAX_EPOCHS else None
            ax.plot(x[ok], y[ok], marker=marker, markersize=4, linewidth=1.5, label=label)
        values = np.concatenate(finite_seen)
        if values.size == 0:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        # Learning-rate schedules span decades; a linear axis would flatten all but the start.
        elif values.min() > 0 and values.max() / values.min() > 100:
            ax.set_yscale("log")
        _epoch_axes(ax, epochs_seen, title=name, ylabel=name)
        mark_stages(ax, boundaries)
        if values.size:
            ax.legend()
        written.append(_save(fig, Path(out_dir) / f"{unique}.png"))
    return sorted(written)


def plot_confusion_matrix(
    matrix: np.ndarray | list[list[int]],
    class_names: list[str],
    path: Path,
    *,
    normalize: bool = False,
) -> Path:
    """Draws a confusion matrix as an annotated heat map.

    Args:
        matrix: Square counts, `matrix[true][predicted]`.
        class_names: One name per row/column, in order.
        path: PNG file to write; its directory is created if missing.
        normalize: Whether to divide each row by its total, showing per-class recall instead of
            counts. Defaults to `False`.

    Returns:
        `path`.

    Raises:
        ValueError: If `matrix` is not square or does not match `class_names`.
    """
    counts = np.asarray(matrix, dtype=float)
    n = len(class_names)
    if n == 0 or counts.shape != (n, n):
        raise ValueError(f"confusion matrix of shape {counts.shape} does not fit {n} class names")
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        # A class absent from the data has an all-zero row; show zeros rather than NaN.
        counts = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    integral = not normalize and np.all(counts == np.round(counts))

    size = max(4.5, 0.45 * n + 2.5)
    font = 10 if n <= 10 else max(7, 10 - 0.2 * (n - 10))
    fig = _new_figure(size + 1, size)
    ax = fig.add_subplot()
    vmax = 1.0 if normalize else max(counts.max(), 1.0)
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=vmax)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    for i in range(n):
        for j in range(n):
            value = counts[i, j]
            text = f"{int(value)}" if integral else f"{value:.2f}"
            color = "white" if value > vmax / 2 else "black"
            ax.text(j, i, text, ha="center", va="center", color=color, fontsize=font)
    ax.set_xticks(range(n), labels=class_names, fontsize=font)
    ax.set_yticks(range(n), labels=class_names, fontsize=font)
    # Long or many names overlap when horizontal.
    if n > 6 or max(len(c) for c in class_names) > 4:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_xlabel("Predicted")
    ax.set_ylabel("True")
    ax.set_title("Confusion matrix (normalized)" if normalize else "Confusion matrix")
    return _save(fig, path)


def plot_image_grid(
    images: np.ndarray,
    path: Path,
    *,
    titles: list[str] | None = None,
    columns: int | None = None,
    value_range: tuple[float, float] = (0.0, 1.0),
) -> Path:
    """Draws images in a grid, e.g. misclassified examples or GAN samples.

    Args:
        images: Array of shape `(N, H, W)`, `(N, H, W, 1)` or `(N, H, W, 3)`.
        path: PNG file to write; its directory is created if missing.
        titles: One caption per image. Defaults to `None` (no captions).
        columns: Images per row. Defaults to `None`, meaning `ceil(sqrt(N))`.
        value_range: The `(low, high)` pixel values that map to black and white; values outside
            are clipped. Defaults to `(0.0, 1.0)`.

    Returns:
        `path`.

    Raises:
        ValueError: If the shape, `titles`, `columns` or `value_range` is invalid.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)) or len(images) == 0:
        raise ValueError(f"expected a non-empty (N, H, W[, 1 or 3]) array, got {images.shape}")
    count = len(images)
    if titles is not None and len(titles) != count:
        raise ValueError(f"got {len(titles)} titles for {count} images")
    low, high = value_range
    if not high > low:
        raise ValueError(f"value_range must be (low, high) with low < high, got {value_range}")
    columns = math.ceil(math.sqrt(count)) if columns is None else columns
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    columns = min(columns, count)
    rows = math.ceil(count / columns)

    images = np.clip((images - low) / (high - low), 0.0, 1.0)
    cell = 1.6
    fig = _new_figure(columns * cell, rows * (cell + (0.3 if titles else 0.0)))
    for index in range(rows * columns):
        ax = fig.add_subplot(rows, columns, index + 1)
        ax.axis("off")
        if index >= count:
            continue
        # Nearest keeps small images (28x28 digits) crisp instead of blurred.
        ax.imshow(images[index], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
        if titles:
            ax.set_title(titles[index], fontsize=8)
    return _save(fig, path)


def plot_series(
    history: dict[str, list[float]], keys: list[str], path: Path, *, title: str, ylabel: str
) -> Path | None:
    """Plots several metrics of a history on one set of axes (e.g. a GAN's two losses).

    Args:
        history: Per-epoch values by metric name.
        keys: The metrics to draw; those missing from `history` are skipped.
        path: The PNG file to write.
        title: The plot title.
        ylabel: The y-axis label.

    Returns:
        `path`, or `None` when none of `keys` is in `history`.
    """
    present = [key for key in keys if history.get(key)]
    if not present:
        return None
    fig = _new_figure(6, 4)
    ax = fig.add_subplot()
    epochs = 0
    for key in present:
        y = _as_series(history[key])
        x = np.arange(1, len(y) + 1)
        ok = np.isfinite(y)
        epochs = max(epochs, len(y))
        ax.plot(
            x[ok],
            y[ok],
            marker="o" if len(y) <= _MARKER_MAX_EPOCHS else None,
            markersize=4,
            linewidth=1.5,
            label=key,
        )
    _epoch_axes(ax, epochs, title=title, ylabel=ylabel)
    ax.legend()
    return _save(fig, path)
