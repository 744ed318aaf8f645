"""One self-contained HTML page about a run: what it was, how it learned, how well it does.

The page is built from the run directory's files alone (`run.json`, `config.yaml`,
`history.json`, `evaluation.json`, `plots/`, `samples/`), so it can be written for any run, at
any time, without TensorFlow. Everything it shows is inside the file: curves as inline SVG,
pictures as `data:` URIs, CSS inline, no script, nothing fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

from kerascli import __version__
from kerascli.errors import RunError
from kerascli.report import sections as s
from kerascli.report.template import PAGE
from kerascli.runs.files import atomic_write_text
from kerascli.runs.history import History, read_history
from kerascli.runs.layout import (
    CONFIG_FILE,
    CONFUSION_PLOT,
    MISTAKES_PLOT,
    PLOTS_DIR,
    PROGRESS_GIF,
    REPORT_FILE,
    SAMPLES_DIR,
    epoch_of,
    utc_now,
)
from kerascli.runs.record import RunRecord, Stage, load_run
from kerascli.runs.results import Evaluation, read_evaluation
from kerascli.runs.summary import (
    best_metrics,
    final_metrics,
    headline,
    is_score,
    lower_is_better,
    tracking_link,
)
from kerascli.visuals.plots import history_families
from kerascli.visuals.svg import curves_svg

# Past this many classes the confusion matrix is shown as evaluation's picture, not a table.
_MAX_TABLE_CLASSES = 40
# run.json fields shown in the header or the summary, not again in the record table.
_SHOWN_ABOVE = {"name", "kind", "status", "task", "final_metrics"}


def _when(value: object) -> str:
    """`2026-11-23T11:58:13+00:00` as `2026-11-23 11:58:13 UTC`."""
    return str(value).replace("T", " ").replace("+00:00", " UTC")


def _meta(record: RunRecord) -> str:
    status = record.status_name
    parts = [
        f'<span class="badge status-{s.text(re.sub(r"[^a-z]", "", status))}">'
        f"{s.text(status)}</span>"
    ]
    facts = {
        "kind": record.kind.value if record.kind else None,
        "task": record.task,
        "epochs": record.epochs,
        "started": _when(record.started) if record.started else None,
        "ended": _when(record.ended) if record.ended else None,
    }
    for label, value in facts.items():
        if value not in (None, ""):
            parts.append(f'<span class="part">{s.text(label)} {s.text(value)}</span>')
    link = tracking_link(record)
    if link:
        # A link only to a web page (never a `javascript:` or other scheme from a record).
        url = (record.tracking.url if record.tracking else None) or ""
        shown = (
            f'<a href="{s.text(url)}">MLflow run</a>'
            if url.startswith(("http://", "https://"))
            else f"MLflow {s.text(link)}"
        )
        parts.append(f'<span class="part">{shown}</span>')
    return " · ".join(parts)


def _summary(record: RunRecord, history: History) -> str:
    final = final_metrics(record)
    best = best_metrics(history)
    shown = headline(final)[:6]
    parts = [s.cards({key: s.number(final[key]) for key in shown})] if shown else []
    keys = list(dict.fromkeys([*final, *best]))
    if keys:
        rows = []
        for key in keys:
            value, epoch = best.get(key, (None, None))
            rows.append(
                [
                    s.text(key),
                    s.number(final.get(key)),
                    s.number(value),
                    s.text(epoch if epoch is not None else "—"),
                    s.text(
                        ("lower" if lower_is_better(key) else "higher") if is_score(key) else "—"
                    ),
                ]
            )
        parts.append("<h3>Final and best</h3>")
        parts.append(s.table(["metric", "final", "best", "best epoch", "better"], rows))
    if record.stages:
        parts.append("<h3>Stages</h3>")
        rows, start = [], 1
        for number, stage in enumerate(record.stages, 1):
            rows.append(
                [
                    s.text(number),
                    s.text(f"{start}-{start + stage.epochs - 1}"),
                    s.text(f"{stage.trainable_params or 0:,}"),
                    s.number(stage.learning_rate),
                ]
            )
            start += stage.epochs
        header = ["stage", "epochs", "trainable parameters", "learning rate"]
        parts.append(s.table(header, rows))
    if record.error:
        parts.append(f'<p class="note">error: {s.text(record.error)}</p>')
    return "\n".join(parts) or '<p class="note">No metrics recorded yet.</p>'


def _curves(history: dict, stages: list[Stage] | None = None) -> str:
    # The loss first and the learning rate last; the metrics in between, as logged. The stages
    # of `fit.stages` (run.json) are marked where each new one starts.
    ends = [
        sum(stage.epochs for stage in (stages or [])[: i + 1]) for i in range(len(stages or []) - 1)
    ]
    families = sorted(
        history_families(history).items(),
        key=lambda item: (not item[0].endswith("loss"), item[0] == "learning_rate"),
    )
    charts = [
        curves_svg(series, title=name, prefix=f"c{index}", boundaries=ends)
        for index, (name, series) in enumerate(families)
    ]
    return f'<div class="charts">{"".join(f"<figure>{svg}</figure>" for svg in charts)}</div>'


def _evaluation(run_dir: Path, evaluation: Evaluation) -> str:
    when = evaluation.evaluated
    parts = [
        s.cards({key: s.number(value) for key, value in evaluation.scores.items()}),
        f'<p class="note">{s.number(evaluation.examples)} test examples, '
        f"task {s.text(evaluation.task or '?')}"
        + (f", evaluated {s.text(_when(when))}" if when else "")
        + ".</p>",
    ]
    if evaluation.per_class:
        parts += ["<h3>Per class</h3>", s.per_class(evaluation)]
    matrix = evaluation.confusion_matrix
    if matrix:
        names = evaluation.class_names()
        names = names if len(names) == len(matrix) else [str(i) for i in range(len(matrix))]
        parts.append("<h3>Confusion matrix</h3>")
        if len(matrix) <= _MAX_TABLE_CLASSES:
            parts += [
                '<p class="note">Rows are true classes, columns predicted; shading is the '
                "share of the true class.</p>",
                s.confusion(matrix, names),
            ]
        else:  # a table of thousands of cells helps nobody: the plot evaluation drew
            parts.append(
                s.figure(
                    run_dir / PLOTS_DIR / CONFUSION_PLOT,
                    f"confusion matrix of {len(matrix)} classes",
                )
            )
    misclassified = run_dir / PLOTS_DIR / MISTAKES_PLOT
    # Listed by this evaluation: a file left by an older one would show other mistakes.
    if f"{PLOTS_DIR}/{MISTAKES_PLOT}" in evaluation.plots and misclassified.is_file():
        parts += [
            "<h3>Mistakes</h3>",
            s.figure(misclassified, "the most confident mistakes: true / predicted class"),
        ]
    return "\n".join(parts)


def _samples(run_dir: Path) -> str:
    directory = run_dir / SAMPLES_DIR
    grids = sorted(
        (epoch_of(p.name), p) for p in directory.glob("epoch_*.png") if epoch_of(p.name) is not None
    )
    if not grids:
        return ""
    epoch, last = grids[-1]
    parts = [s.figure(last, f"fixed noise after epoch {epoch}", pixels=True)]
    if (directory / PROGRESS_GIF).is_file():
        parts.append(
            s.figure(
                directory / PROGRESS_GIF,
                f"the same noise, epoch 1 to {epoch} (animated)",
                pixels=True,
            )
        )
    if len(grids) > 1:
        parts.append(s.figure(grids[0][1], f"after epoch {grids[0][0]}", pixels=True))
    return f'<div class="gallery">{"".join(parts)}</div>'


def build_report(run_dir: Path) -> str:
    """The HTML page about a run.

    Args:
        run_dir: A run directory made by `train` or `gan` (finished, failed or running).

    Returns:
        The page, self-contained.

    Raises:
        RunError: When `run_dir` is not a run.
    """
    run_dir = Path(run_dir)
    record = load_run(run_dir)
    history = read_history(run_dir)
    evaluation = read_evaluation(run_dir)
    name = record.name or run_dir.name
    found = [("summary", "Summary", _summary(record, history))]
    if history:
        found.append(("curves", "Learning curves", _curves(history, record.stages)))
    if evaluation:
        found.append(("evaluation", "Test evaluation", _evaluation(run_dir, evaluation)))
    samples = _samples(run_dir)
    if samples:
        found.append(("samples", "Samples", samples))
    shown = {key: value for key, value in record.as_json().items() if key not in _SHOWN_ABOVE}
    found.append(("record", "Run record", s.key_values(shown)))
    config_file = run_dir / CONFIG_FILE
    config = (
        config_file.read_text(encoding="utf-8", errors="replace")
        if config_file.is_file()
        else "(missing)"
    )
    found.append(("config", "Config", f"<pre>{s.text(config)}</pre>"))
    return PAGE.substitute(
        title=s.text(name),
        version=s.text(__version__),
        meta=_meta(record),
        nav="".join(f'<a href="#{anchor}">{s.text(title)}</a>' for anchor, title, _ in found),
        sections="\n".join(s.section(*item) for item in found),
        written=s.text(_when(utc_now())),
        source=s.text(run_dir.name),
    )


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Writes the run's HTML page (atomically) and returns its path.

    Args:
        run_dir: The run directory.
        out: Where to write. Defaults to `report.html` inside the run directory.

    Raises:
        RunError: When `run_dir` is not a run, or the page cannot be written.
    """
    path = Path(out) if out is not None else Path(run_dir) / REPORT_FILE
    page = build_report(run_dir)
    try:
        atomic_write_text(path, page)
    except OSError as error:
        raise RunError(str(path), f"cannot write the report: {error.strerror}") from None
    return path
