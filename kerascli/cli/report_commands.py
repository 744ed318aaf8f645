"""`kerascli report`: one self-contained HTML page about a run, without TensorFlow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kerascli.cli.options import complete_run_dirs
from kerascli.cli.reporting import out, reported


@reported
def report(
    run_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RUN_DIR",
            autocompletion=complete_run_dirs,
            help="A run directory made by kerascli train or gan.",
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE.html",
            help="Where to write the page (default: report.html in the run directory).",
        ),
    ] = None,
):
    """Write one HTML page about a run: config, metrics, curves, evaluation, samples."""
    from kerascli.report import write_report  # matplotlib, loaded only when a page is drawn

    written = write_report(run_dir, out_file)
    out.print(f"wrote: {written}", markup=False)
