"""Learning curves as inline SVG for the HTML report: crisp at any width, light and dark.

Matplotlib draws the curves (as `plots.plot_history` does for the PNGs) to SVG. Axes, ticks and
text are drawn in a sentinel colour that becomes `currentColor`, so the page's own text colour
(light or dark theme) colours them; backgrounds are transparent. Element ids get a per-chart
prefix, since several SVGs share one HTML document and their ids must not collide. Each point
(up to 30 epochs) names its value in a tooltip.
"""

from __future__ import annotations

import io
import re
from html import escape

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_INK = "#010203"  # a colour no curve uses, replaced by currentColor
# Readable on white and on near-black backgrounds alike.
_COLOURS = [
    "#2f7fd0",
    "#e8731a",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "kerascli",
    "text.color": _INK,
    "axes.edgecolor": _INK,
    "axes.labelcolor": _INK,
    "xtick.color": _INK,
    "ytick.color": _INK,
    "grid.color": _INK,
    "legend.edgecolor": _INK,
    "legend.facecolor": "none",
    "legend.framealpha": 0.0,
    "font.family": "sans-serif",
    "font.size": 11,
    "axes.prop_cycle": mpl.cycler(color=_COLOURS),
}
_ID = re.compile(r'id="([^"]+)"')
_MARKER_MAX_EPOCHS = 30  # past this, markers clutter the line (as in the PNG plots)


def _series(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _inline(svg: str, prefix: str) -> str:
    """The `<svg>` element alone, sized by its container, with ids unique to `prefix`."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(
        r'<svg ([^>]*?)width="[^"]+" height="[^"]+"',
        r'<svg \1role="img" style="width:100%;height:auto"',
        svg,
        count=1,
    )
    for name in set(_ID.findall(svg)):
        unique = f"{prefix}-{name}"
        svg = (
            svg.replace(f'id="{name}"', f'id="{unique}"')
            .replace(f"url(#{name})", f"url(#{unique})")
            .replace(f'href="#{name}"', f'href="#{unique}"')
        )
    return svg.replace(_INK, "currentColor").strip()


def _group_end(svg: str, start: int) -> int:
    """The index just past the `</g>` that closes the `<g>` opened at `start`."""
    depth = 0
    for tag in re.finditer(r"<g\b|</g>", svg[start:]):
        depth += 1 if tag.group() != "</g>" else -1
        if depth == 0:
            return start + tag.end()
    return len(svg)


def _with_tooltips(svg: str, points: list[tuple[str, list[tuple[int, float]]]]) -> str:
    """Gives every marker a `<title>` (`validation, epoch 3: 0.4521`), shown on hover.

    Each line was drawn with the id `kerascli-sN`; its markers are `<use>` elements in the
    order of its points. A line whose markers do not match its points is left as it is.
    """
    for index, (label, series) in enumerate(points):
        start = svg.find(f'<g id="kerascli-s{index}">')
        if start < 0:
            continue
        end = _group_end(svg, start)
        group = svg[start:end]
        markers = re.findall(r"<use [^>]*?/>", group)
        if len(markers) != len(series):
            continue
        for marker, (epoch, value) in zip(markers, series):
            group = group.replace(
                marker,
                f"{marker[:-2]}><title>{escape(label)}, epoch {epoch}: {value:.4g}</title></use>",
                1,
            )
        svg = svg[:start] + group + svg[end:]
    return svg


def curves_svg(
    series: dict[str, list],
    *,
    title: str,
    prefix: str,
    xlabel: str = "epoch",
    boundaries: list[int] | None = None,
) -> str:
    """One chart of several series against the epoch, as an inline `<svg>` element.

    Args:
        series: Per-epoch values by label (`{"train": [...], "validation": [...]}`); `None`
            and NaN points are skipped.
        title: The chart's title (also its accessible name).
        prefix: Makes the chart's element ids unique in the page (letters, digits, `-`).
        xlabel: The x-axis label. Defaults to `"epoch"`.
        boundaries: Epochs after which a new stage of `fit.stages` starts, marked with a
            dashed line. Defaults to `None`.

    Returns:
        The `<svg>` markup, coloured by the surrounding text colour.
    """
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=(5.0, 3.3))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        longest, finite, points = 1, [], []
        for index, (label, values) in enumerate(series.items()):
            y = _series(values)
            x = np.arange(1, len(y) + 1)
            ok = np.isfinite(y)
            longest, finite = max(longest, len(y)), [*finite, y[ok]]
            marked = len(y) <= _MARKER_MAX_EPOCHS
            (line,) = ax.plot(
                x[ok],
                y[ok],
                marker="o" if marked else None,
                markersize=4,
                linewidth=1.6,
                label=label,
            )
            line.set_gid(f"kerascli-s{index}")
            if marked:
                points.append((label, list(zip(x[ok].tolist(), y[ok].tolist()))))
        values = np.concatenate(finite) if finite else np.array([])
        if values.size and values.min() > 0 and values.max() / values.min() > 100:
            ax.set_yscale("log")
        ax.set_xlim(0.5, longest + 0.5)
        # MaxNLocator falls back to fractional ticks when the axis spans one epoch.
        if longest <= 10:
            ax.set_xticks(range(1, longest + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for epoch in boundaries or []:
            ax.axvline(epoch + 0.5, color="gray", linestyle="--", linewidth=1, alpha=0.8)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.25)
        if len(series) > 1:
            ax.legend()
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return _inline(_with_tooltips(buffer.getvalue(), points), prefix)
