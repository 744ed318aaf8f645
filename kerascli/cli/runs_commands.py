"""`kerascli runs`: the table of runs (bare), and `runs compare` to put runs side by side.

Both read run directories only, without TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kerascli.cli import render_runs
from kerascli.cli.options import RunsDirOption, complete_run_dirs
from kerascli.cli.reporting import out, reported
from kerascli.errors import RunError
from kerascli.runs.compare import config_differences, read_config
from kerascli.runs.history import read_history
from kerascli.runs.layout import runs_dir_from
from kerascli.runs.records import find_run, list_runs
from kerascli.runs.status import RunKind, RunStatus

app = typer.Typer(
    help="List the runs, or compare some of them (runs compare).", no_args_is_help=False
)


@app.callback(invoke_without_command=True)
@reported
def runs(
    ctx: typer.Context,
    runs_dir: RunsDirOption = None,
    status: Annotated[
        list[RunStatus] | None, typer.Option(help="Only runs with this status (repeatable).")
    ] = None,
    kind: Annotated[RunKind | None, typer.Option(help="Only train or only gan runs.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="A JSON array for scripts, with final and best metrics.")
    ] = False,
):
    """List the runs, oldest first: name, kind, status, epochs, start, best metrics."""
    ctx.obj = runs_dir
    if ctx.invoked_subcommand is not None:
        return
    directory = runs_dir_from(runs_dir)
    found = [
        (run_dir, record)
        for run_dir, record in list_runs(directory)
        if (not status or record.status in status) and (kind is None or record.kind is kind)
    ]
    if json_output:
        render_runs.runs_json(found)
    else:
        render_runs.print_runs(directory, found)
        if not status and kind is None:
            from kerascli.runs.sweeps import list_sweeps  # pydantic: loaded on use

            render_runs.print_sweeps(directory, list_sweeps(directory))


@app.command()
@reported
def compare(
    ctx: typer.Context,
    named: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN",
            autocompletion=complete_run_dirs,
            help="Runs by path, by the start of their name, or latest.",
        ),
    ],
    plot: Annotated[
        Path | None,
        typer.Option("--plot", metavar="FILE.png", help="Overlay their learning curves in a PNG."),
    ] = None,
    runs_dir: RunsDirOption = None,
):
    """Compare runs: the config keys that differ, final and best metrics, curves overlaid."""
    directory = runs_dir_from(runs_dir or ctx.obj)
    run_dirs = list(dict.fromkeys(find_run(directory, name) for name in named))
    if len(run_dirs) < 2:
        raise RunError(
            " ".join(named),
            "names fewer than two different runs",
            "name two or more runs to compare",
        )
    from kerascli.runs.record import load_run

    found = [(run_dir, load_run(run_dir)) for run_dir in run_dirs]
    render_runs.print_compare(found, config_differences([read_config(d) for d in run_dirs]))
    if plot is not None:
        from kerascli.visuals.compare import plot_runs

        try:
            written = plot_runs({run_dir.name: read_history(run_dir) for run_dir in run_dirs}, plot)
        except OSError as error:
            raise RunError(str(plot), f"cannot write the plot: {error.strerror}") from None
        out.print(f"wrote: {written}", markup=False)
