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
from typing import Any

import matplotlib as mpl
import numpy as np
from cycler import cycler  # matplotlib's own dependency, which its stubs do not re-export
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
_STYLE: dict[Any, Any] = {
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
    "axes.prop_cycle": cycler(color=_COLOURS),
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
        longest = 1
        finite: list[np.ndarray] = []
        points: list[tuple[str, list]] = []
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
        drawn = np.concatenate(finite) if finite else np.array([])
        if drawn.size and drawn.min() > 0 and drawn.max() / drawn.min() > 100:
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


def _chart(draw, *, title: str, prefix: str, size=(5.0, 3.3)) -> str:
    """Any matplotlib chart drawn by `draw(ax)`, inline, in the report's style."""
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=size)
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        draw(ax)
        ax.set_title(title)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
    return _inline(buffer.getvalue(), prefix)


def points_svg(
    groups: dict[str, list[tuple[float, float]]],
    *,
    title: str,
    prefix: str,
    xlabel: str,
    ylabel: str,
    log_x: bool = False,
    line: list[tuple[float, float]] | None = None,
    categories: list[str] | None = None,
    integer_x: bool = False,
) -> str:
    """Points by group (a sweep's trials by state), and an optional line (the best so far).

    Args:
        groups: `(x, y)` points by label; a label's points share a colour.
        title, prefix, xlabel, ylabel: As `curves_svg`; the axis labels.
        log_x: A log-scaled x axis (a learning rate). Defaults to `False`.
        line: Points joined by a step line, drawn under the others. Defaults to none.
        categories: Tick labels of an x axis of categories 0, 1, ... Defaults to none.
        integer_x: Only whole numbers on the x axis (trial numbers). Defaults to `False`.

    Returns:
        The `<svg>` markup.
    """

    def draw(ax):
        if line:
            xs, ys = zip(*line)
            ax.step(xs, ys, where="post", linewidth=1.4, alpha=0.6, label="best so far")
        for label, found in groups.items():
            if found:
                xs, ys = zip(*found)
                ax.scatter(xs, ys, s=22, label=label)
        if log_x:
            ax.set_xscale("log")
        if categories is not None:
            ax.set_xticks(range(len(categories)), categories)
        elif not log_x:
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=integer_x))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.25)
        if len([g for g in groups.values() if g]) + bool(line) > 1:
            ax.legend(fontsize=9)

    return _chart(draw, title=title, prefix=prefix)


def bars_svg(values: dict[str, float], *, title: str, prefix: str, xlabel: str) -> str:
    """Horizontal bars, largest on top (a sweep's parameter importances)."""

    def draw(ax):
        names = list(values)[::-1]
        ax.barh(range(len(names)), [values[name] for name in names], color=_COLOURS[0], alpha=0.45)
        # Names written over their bars: key paths are too long for the axis beside them.
        for index, name in enumerate(names):
            ax.text(0.01, index, f"{name}  {values[name]:.2f}", va="center", fontsize=9)
        ax.set_yticks([])
        ax.set_xlim(0, max([*values.values(), 1e-9]) * 1.05)
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", alpha=0.25)

    return _chart(draw, title=title, prefix=prefix, size=(5.0, 1.2 + 0.4 * max(len(values), 3)))
