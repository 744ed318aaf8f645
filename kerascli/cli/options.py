"""Options several commands share, declared once, with their shell completion."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kerascli.runs.layout import runs_dir_from
from kerascli.runs.records import list_runs

CONFIG_SUFFIXES = (".yaml", ".yml")


def _matching(incomplete: str) -> list[Path]:
    """The paths that complete `incomplete` (`con` -> `configs`, `configs/mn` -> ...); hidden
    files only when asked for (`.`)."""
    if not incomplete or incomplete.endswith("/"):
        parent, prefix = Path(incomplete or "."), ""
    else:
        parent, prefix = Path(incomplete).parent, Path(incomplete).name
    try:
        children = sorted(parent.iterdir())
    except OSError:
        return []
    return [
        child
        for child in children
        if child.name.startswith(prefix)
        and (prefix.startswith(".") or not child.name.startswith("."))
    ]


def _shown(path: Path) -> str:
    """A completed path as the user types it: directories end in `/` to go on completing."""
    text = str(path)
    return text + "/" if path.is_dir() else text


def complete_config_files(incomplete: str) -> list[str]:
    """Shell completion of config files: `*.yaml` and `*.yml`, and folders that may hold them."""
    return [
        _shown(path)
        for path in _matching(incomplete)
        if path.is_dir() or path.suffix in CONFIG_SUFFIXES
    ]


def complete_run_dirs(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of run directories: the runs in the runs directory (`--runs-dir`,
    `$KERASCLI_RUNS` or `./runs`), newest first, with their kind and status; then folders."""
    runs_dir = runs_dir_from(ctx.params.get("runs_dir"))
    found = [
        (str(run_dir), f"{record.kind.value if record.kind else 'run'}, {record.status_name}")
        for run_dir, record in reversed(list_runs(runs_dir))
        if str(run_dir).startswith(incomplete)
    ]
    known = {path for path, _ in found}
    found += [
        (_shown(path), "folder")
        for path in _matching(incomplete)
        if path.is_dir() and str(path) not in known and _shown(path) not in known
    ]
    return found


SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="KEY=VALUE",
        help="Override a config value, e.g. fit.epochs=3 (repeatable).",
    ),
]
RunsDirOption = Annotated[
    Path | None,
    typer.Option("--runs-dir", help="Where runs are kept (default: $KERASCLI_RUNS or ./runs)."),
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="One line per epoch instead of a live progress bar.")
]


class Tracker(str, Enum):
    mlflow = "mlflow"


TrackOption = Annotated[
    Tracker | None,
    typer.Option(
        "--track",
        # `\\[` keeps rich from reading `[mlflow]` as markup.
        help="Track the run in MLflow, as `track: {mlflow: {}}` in the config does "
        "(pip install 'kerascli\\[mlflow]').",
    ),
]
NameOption = Annotated[str | None, typer.Option(help="Run name (default: the config's name).")]
ConfigFilesArgument = Annotated[
    list[Path],
    typer.Argument(
        metavar="CONFIG...",
        autocompletion=complete_config_files,
        help="The experiment YAML file; several are merged in order (later files win key by key).",
    ),
]
