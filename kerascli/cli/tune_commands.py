"""`kerascli tune`: a sweep over the config's `tune.space`, on Optuna."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kerascli.cli.options import ConfigFilesArgument, RunsDirOption, SetOption
from kerascli.cli.reporting import err, out, reported
from kerascli.errors import EXIT_INTERRUPTED, Interrupted
from kerascli.runs.layout import BEST_CONFIG, RESULTS_CSV, SWEEP_PAGE, runs_dir_from


@reported
def tune(
    config: ConfigFilesArgument,
    set_: SetOption = None,
    runs_dir: RunsDirOption = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Trials run side by side (one GPU each, or a share of the CPU cores)."
        ),
    ] = 1,
    storage: Annotated[
        str | None,
        typer.Option(
            help="An Optuna storage URL (postgresql://..., sqlite:///...) shared by every machine "
            "that joins the study (default: tune.storage, else a file in the sweep directory)."
        ),
    ] = None,
    trials: Annotated[
        int | None, typer.Option(min=1, help="The study's budget (default: tune.trials).")
    ] = None,
):
    """Run a sweep over the config's tune: space; the same command resumes it."""
    from kerascli.config.loading import load_sweep
    from kerascli.data.sources import check_files

    experiment = load_sweep(config, set_)
    check_files(experiment.data)  # image folders, tables, texts: before any trial starts
    from kerascli.commands.tune import tune as story

    try:
        result = story(
            experiment,
            config_files=config,
            sets=list(set_ or []),
            runs_dir=runs_dir_from(runs_dir),
            workers=workers,
            storage=storage,
            trials=trials,
            console=err,
            command=sys.argv,
        )
    except Interrupted as interrupted:
        err.print(f"interrupted: the sweep is saved in {interrupted.run_dir}", markup=False)
        err.print("resume it with the same command", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    sweep = result.sweep_dir
    if result.best is None:
        out.print(f"sweep: {sweep} (no trial completed)", markup=False)
    else:
        out.print(
            f"best: trial {result.best.number}, {result.metric} {result.best.value:.4f} "
            f"({sweep / result.best.run})",
            markup=False,
        )
    for name in (RESULTS_CSV, BEST_CONFIG, SWEEP_PAGE):
        if (sweep / name).is_file():
            out.print(f"wrote {sweep / name}", markup=False)
