"""`kerascli init`: a starter config for the user's own data, and the command that trains it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kerascli.cli.reporting import out, reported


@reported
def init(
    data_path: Annotated[
        Path,
        typer.Argument(
            metavar="DATA_PATH",
            help="A folder with one subfolder of images (or of .txt files) per "
            "class, or a CSV table.",
        ),
    ],
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="The config file to write (never overwritten).")
    ] = Path("kerascli.yaml"),
    target: Annotated[
        str | None,
        typer.Option(
            "--target", help="A CSV table's column to predict (default: its last column)."
        ),
    ] = None,
):
    """Write a commented starter config that trains on your data."""
    from kerascli.commands.init import write_starter

    starter = write_starter(data_path, out_file, target)
    out.print(
        f"wrote: {starter.path} (a starter for {starter.kind}: {starter.summary})", markup=False
    )
    out.print(f"train it with: {starter.command}", markup=False)
