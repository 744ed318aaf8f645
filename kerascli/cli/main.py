"""The `kerascli` Typer app: the commands, in the order `--help` lists them, and the entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from kerascli import __version__
from kerascli.cli import (
    config_commands,
    inference_commands,
    init_commands,
    report_commands,
    run_commands,
    runs_commands,
    train_commands,
    tune_commands,
)
from kerascli.cli.reporting import out
from kerascli.errors import EXIT_OK

app = typer.Typer(
    name="kerascli",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train, evaluate and use Keras models described by YAML experiment files.",
)


def _version(value: bool):
    if value:
        out.print(f"kerascli {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
):
    """Train, evaluate and use Keras models described by YAML experiment files."""


app.command()(init_commands.init)
app.command()(train_commands.train)
app.command()(train_commands.gan)
app.command()(tune_commands.tune)
app.command()(run_commands.sample)
app.command()(train_commands.validate)
app.command()(run_commands.evaluate)
app.command()(run_commands.predict)
app.command()(inference_commands.export)
app.command()(inference_commands.serve)
app.add_typer(runs_commands.app, name="runs")
app.command()(report_commands.report)
app.command()(config_commands.config)
app.command()(config_commands.schema)


def run() -> None:
    """Console-script entry point."""
    # A fixed program name, however it is started (`python -m kerascli` too): shell completion
    # is driven by the `_KERASCLI_COMPLETE` variable, named after it.
    app(prog_name="kerascli")


if __name__ == "__main__":
    run()
