"""`sweep.html`: one self-contained page about a sweep, in the style of a run's `report.html`.

The value of every trial (and the best so far), each parameter against the value, the
parameters' importances, the table of trials and the best trial's values. Charts are inline SVG,
the stylesheet inline; nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

from kerascli import __version__
from kerascli.config.tune import Range, TuneConfig
from kerascli.report import sections as s
from kerascli.report.template import PAGE
from kerascli.runs.files import atomic_write_text
from kerascli.runs.layout import SWEEP_PAGE, utc_now
from kerascli.runs.sweeps import SweepRecord
from kerascli.tuning.results import Row, best_row
from kerascli.visuals.svg import bars_svg, points_svg

_STATES = ("complete", "pruned", "failed")


def _values_chart(found: list[Row], metric: str, direction: str) -> str:
    groups = {
        state: [
            (row.number, row.value) for row in found if row.state == state and row.value is not None
        ]
        for state in _STATES[:2]
    }
    best, line = None, []
    for row in found:
        if row.state == "complete" and row.value is not None:
            better = best is None or (
                row.value > best if direction == "maximize" else row.value < best
            )
            best = row.value if better else best
            line.append((row.number, best))
    return points_svg(
        groups,
        title=f"{metric} per trial",
        prefix="v",
        xlabel="trial",
        ylabel=metric,
        line=line,
        integer_x=True,
    )


def _parameter_chart(index: int, key: str, values, found: list[Row], metric: str) -> str:
    categories = None
    if isinstance(values, list):
        categories = [str(value) for value in values]
        shown = {str(value): i for i, value in enumerate(values)}

        def x(value):
            return shown.get(str(value), shown.get(value, 0))
    else:

        def x(value):
            return value

    groups = {
        state: [
            (x(row.params[key]), row.value)
            for row in found
            if row.state == state and row.value is not None and key in row.params
        ]
        for state in _STATES[:2]
    }
    return points_svg(
        groups,
        title=key,
        prefix=f"p{index}",
        xlabel=key,
        ylabel=metric,
        log_x=isinstance(values, Range) and values.log,
        categories=categories,
    )


def build_sweep_page(
    sweep_dir: Path, record: SweepRecord, tune: TuneConfig, found: list[Row], importances: dict
) -> str:
    """The HTML page about a sweep.

    Args:
        sweep_dir: The sweep directory.
        record: Its `sweep.json`.
        tune: The sweep's `tune` section.
        found: Its trials (`results.rows`).
        importances: Each parameter's importance (Optuna's evaluator), empty when unknown.

    Returns:
        The page, self-contained.
    """
    metric, direction = record.metric or tune.metric, record.direction or "minimize"
    best = best_row(found, direction)
    counts = {state: sum(row.state == state for row in found) for state in (*_STATES, "running")}
    summary = s.cards(
        {
            "trials": s.number(len(found)) + f" / {s.number(record.trials or tune.trials)}",
            **{state: s.number(count) for state, count in counts.items() if count},
            f"best {metric}": s.number(best.value) if best else "—",
            "best trial": s.number(best.number) if best else "—",
        }
    )
    parts = [("summary", "Summary", summary)]
    if best:
        parts.append(
            (
                "best",
                "Best trial",
                s.key_values({"trial": best.number, "run": best.run, **best.params}),
            )
        )
    charts = [_values_chart(found, metric, direction)] + [
        _parameter_chart(index, key, values, found, metric)
        for index, (key, values) in enumerate(tune.space.items())
    ]
    parts.append(
        (
            "charts",
            "Trials",
            f'<div class="charts">{"".join(f"<figure>{svg}</figure>" for svg in charts)}</div>',
        )
    )
    if importances:
        chart = bars_svg(importances, title="parameter importance", prefix="i", xlabel="importance")
        parts.append(
            (
                "importance",
                "Parameter importance",
                f'<div class="charts"><figure>{chart}</figure></div>',
            )
        )
    keys = list(tune.space)
    rows = [
        [
            s.number(row.number),
            s.text(row.state),
            *(s.number(row.params.get(key)) for key in keys),
            s.number(row.value),
            s.text(row.run or row.error),
        ]
        for row in found
    ]
    parts.append(("table", "All trials", s.table(["trial", "state", *keys, metric, "run"], rows)))
    shown = {key: value for key, value in record.as_json().items() if key not in ("name", "status")}
    parts.append(("record", "Sweep record", s.key_values(shown)))
    name = record.name or sweep_dir.name
    status = record.status.value if record.status else "?"
    meta = f"sweep · {s.text(status)} · {s.text(direction)} {s.text(metric)}"
    return PAGE.substitute(
        title=s.text(f"{name} sweep"),
        version=s.text(__version__),
        meta=meta,
        nav="".join(f'<a href="#{anchor}">{s.text(title)}</a>' for anchor, title, _ in parts),
        sections="\n".join(s.section(*part) for part in parts),
        written=s.text(utc_now().replace("T", " ")),
        source=s.text(Path(sweep_dir).name),
    )


def write_sweep_page(sweep_dir: Path, *args) -> Path:
    """Writes `sweep.html` in the sweep directory (atomically); arguments as `build_sweep_page`."""
    path = Path(sweep_dir) / SWEEP_PAGE
    atomic_write_text(path, build_sweep_page(Path(sweep_dir), *args))
    return path
