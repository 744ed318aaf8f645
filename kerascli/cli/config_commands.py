"""The commands that help write configs: `config` (the resolved config) and `schema` (for editors).

Neither imports TensorFlow: both only read the config and the names Keras exports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from kerascli.cli.options import ConfigFilesArgument, SetOption
from kerascli.cli.reporting import out, reported
from kerascli.errors import KerascliError
from kerascli.runs.files import atomic_write_text


@reported
def config(configs: ConfigFilesArgument, set_: SetOption = None):
    """Print the resolved config, defaults filled in: YAML that kerascli train accepts as it is."""
    # Imported here: every command's start-up (predict's exported path above all) skips the schema.
    from kerascli.config.loading import load_config

    experiment = load_config(configs, set_, require="any")
    # Written as it is (not through rich): the output is a file's content, byte for byte.
    sys.stdout.write(experiment.to_yaml())


@reported
def schema(
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the schema to this file instead of printing it."),
    ] = None,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial", help="For files composed with others: no section or key is required."
        ),
    ] = False,
):
    """Print the JSON Schema of a config, for editors (see docs/writing-configs.md)."""
    from kerascli.config.json_schema import config_schema

    text = json.dumps(config_schema(partial), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    try:
        atomic_write_text(out_file, text)
    except OSError as error:
        raise KerascliError(
            str(out_file), f"cannot write: {error.strerror}", "is its folder there and writable?"
        ) from None
    out.print(f"wrote: {out_file}", markup=False)
