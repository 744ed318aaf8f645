"""HTML fragments of the report: tables, cards, figures, each user string escaped here.

Every value that comes from a run (its name, class names, config values, metric names) passes
through `html.escape` in this module before it reaches the page; markup is only ever built from
escaped text and fixed strings.
"""

from __future__ import annotations

import base64
import json
import math
from html import escape
from pathlib import Path

from kerascli.runs.results import Evaluation, Scores

# Larger images are left out of the page (with a note) to keep it quick to open.
MAX_IMAGE_BYTES = 8 * 1024 * 1024
_MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def text(value: object) -> str:
    """Any value as escaped text (quotes included, so it is also safe in attributes)."""
    return escape(str(value), quote=True)


def number(value: object, digits: int = 4) -> str:
    """A metric for people: 4 decimals, integers as they are, non-numbers escaped."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text("—" if value is None else value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return text(value)
    return (
        f"{value:.{digits}g}"
        if abs(value) and (abs(value) < 1e-3 or abs(value) >= 1e5)
        else f"{value:.{digits}f}"
    )


def section(anchor: str, title: str, body: str) -> str:
    """A titled section that the navigation links to by `anchor` (a fixed identifier)."""
    return f'<section id="{anchor}">\n<h2>{text(title)}</h2>\n{body}\n</section>'


def table(
    header: list[str], rows: list[list[str]], *, classes: str = "", total_rows: int = 0
) -> str:
    """A table that scrolls sideways when wider than the screen.

    Args:
        header: Column titles (plain text; escaped here).
        rows: Cells as HTML fragments (already escaped by the caller, e.g. with `text`).
        classes: CSS classes of the table. Defaults to none.
        total_rows: How many of the last rows are totals (drawn bold). Defaults to 0.
    """
    head = "".join(f"<th>{text(title)}</th>" for title in header)
    body = "\n".join(
        f"<tr{' class=total' if index >= len(rows) - total_rows else ''}>"
        + "".join(f"<td>{cell}</td>" for cell in row)
        + "</tr>"
        for index, row in enumerate(rows)
    )
    return (
        f'<div class="scroll"><table class="{text(classes)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def cards(values: dict[str, str]) -> str:
    """Headline figures as cards: `{label: value HTML}`."""
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{text(label)}</div>'
            f'<div class="value">{value}</div></div>'
            for label, value in values.items()
        )
        + "</div>"
    )


def data_uri(path: Path) -> str | None:
    """A small image file as a `data:` URI, or `None` when missing, too big or not an image."""
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file() or path.is_symlink():
        return None
    if path.stat().st_size > MAX_IMAGE_BYTES:
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def figure(path: Path, caption: str, *, pixels: bool = False) -> str:
    """An image file inlined with its caption; a note instead when it cannot be inlined."""
    uri = data_uri(path)
    if uri is None:
        return (
            f'<p class="note">{text(path.name)} is missing or larger than '
            f"{MAX_IMAGE_BYTES // 2**20} MB, so it is not shown here.</p>"
        )
    css = ' class="pixels"' if pixels else ""
    return (
        f'<figure><img{css} src="{uri}" alt="{text(caption)}">'
        f"<figcaption>{text(caption)}</figcaption></figure>"
    )


def key_values(record: dict) -> str:
    """A two-column table of a record; nested values are shown as compact JSON."""
    rows = []
    for key, value in record.items():
        shown = (
            value
            if isinstance(value, (str, int, float)) and not isinstance(value, bool)
            else json.dumps(value, default=str)
        )
        rows.append([text(key), text(shown)])
    return table(["field", "value"], rows, classes="record")


def per_class(evaluation: Evaluation) -> str:
    """The per-class precision, recall, F1 and support, with the two averages."""
    rows: list[tuple[str, Scores]] = [(row.name, row) for row in evaluation.per_class or []]
    count = len(rows)
    rows += [
        ("macro avg", evaluation.macro_avg or Scores()),
        ("weighted avg", evaluation.weighted_avg or Scores()),
    ]
    cells = [
        [
            text(label),
            *(number(value) for value in (row.precision, row.recall, row.f1)),
            number(row.support),
        ]
        for label, row in rows
    ]
    return table(
        ["class", "precision", "recall", "F1", "support"], cells, total_rows=len(cells) - count
    )


def confusion(matrix: list[list[int]], names: list[str]) -> str:
    """The confusion matrix as a table, each cell shaded by its share of the true class.

    A table (not a picture) keeps the counts readable and selectable at any size and in both
    themes; every cell names its true and predicted class in a tooltip.
    """
    head = "".join(f'<th title="predicted {text(name)}">{text(name)}</th>' for name in names)
    rows = []
    for true_index, row in enumerate(matrix):
        total = sum(row) or 1
        cells = []
        for predicted_index, count in enumerate(row):
            share = count / total
            style = f"background: rgba(var(--heat), {share:.3f});" + (
                "color: #fff;" if share > 0.55 else ""
            )
            diag = ' class="diag"' if true_index == predicted_index else ""
            tip = (
                f"true {names[true_index]}, predicted {names[predicted_index]}: {count} "
                f"({share:.0%} of {names[true_index]})"
            )
            cells.append(f'<td{diag} style="{style}" title="{text(tip)}">{count}</td>')
        rows.append(f'<tr><th class="row">{text(names[true_index])}</th>{"".join(cells)}</tr>')
    return (
        '<div class="scroll"><table class="confusion">'
        f'<thead><tr><th class="row">true \\ predicted</th>{head}</tr></thead><tbody>'
        + "\n".join(rows)
        + "</tbody></table></div>"
    )
