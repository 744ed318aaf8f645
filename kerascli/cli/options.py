"""Options several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE", help="Override a config value, e.g. fit.epochs=3 (repeatable).")]
RunsDirOption = Annotated[Optional[Path], typer.Option(
    "--runs-dir", help="Where runs are kept (default: $KERASCLI_RUNS or ./runs).")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="One line per epoch instead of a live progress bar.")]
NameOption = Annotated[Optional[str], typer.Option(
    help="Run name (default: the config's name).")]
ConfigFilesArgument = Annotated[list[Path], typer.Argument(
    metavar="CONFIG...", help="The experiment YAML file; several are merged in order (later files "
    "win key by key).")]
