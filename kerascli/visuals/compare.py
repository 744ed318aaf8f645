"""Several runs' learning curves overlaid in one PNG (`kerascli runs compare --plot`)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kerascli.runs.files import atomic_write_bytes
from kerascli.visuals.plots import history_families

_MAX_CHARTS = 6  # loss and the first metrics; more would shrink every chart
_DPI = 100


def plot_runs(histories: dict[str, dict[str, list]], path: Path) -> Path:
    """Overlays the runs' curves: one chart per metric, one colour per run.

    Training curves are solid and validation curves dashed, in the run's colour. Charts follow
    the first run's metrics (loss first), as far as the runs share them.

    Args:
        histories: Each run's history by its label (the run's name).
        path: The PNG to write (atomically); its folder is created.

    Returns:
        `path`.
    """
    families: dict[str, None] = {}
    for history in histories.values():
        families.update(dict.fromkeys(history_families(history)))
    names = sorted(families, key=lambda name: (name != "loss", name == "learning_rate"))
    names = names[:_MAX_CHARTS] or ["loss"]
    columns = min(2, len(names))
    rows = math.ceil(len(names) / columns)
    fig = Figure(figsize=(6.4 * columns, 4.0 * rows), dpi=_DPI)
    FigureCanvasAgg(fig)
    colours = [f"C{index % 10}" for index in range(len(histories))]
    for chart, name in enumerate(names, start=1):
        ax = fig.add_subplot(rows, columns, chart)
        longest = 1
        for colour, (label, history) in zip(colours, histories.items()):
            for kind, values in history_families(history).get(name, {}).items():
                y = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
                x = np.arange(1, len(y) + 1)
                ok = np.isfinite(y)
                longest = max(longest, len(y))
                ax.plot(
                    x[ok],
                    y[ok],
                    color=colour,
                    linestyle="-" if kind == "train" else "--",
                    marker="o" if len(y) <= 30 else None,
                    markersize=3,
                    label=f"{label} ({kind})",
                )
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_xlim(0.5, longest + 0.5)
        ax.set_xticks(
            range(1, longest + 1)
            if longest <= 10
            else np.unique(np.linspace(1, longest, 8).round().astype(int))
        )
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, buffer.getvalue())
    return path
