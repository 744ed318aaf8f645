"""Finding runs: the runs of a directory, the newest of a kind, one a user names, checkpoints.

A run's own record is read by `kerascli.runs.record` (which imports pydantic: loaded on use).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerascli.errors import RunError
from kerascli.runs.files import read_json
from kerascli.runs.layout import CHECKPOINT_STATE, CHECKPOINTS_DIR, MODEL_FILE, RUN_RECORD
from kerascli.runs.status import RunStatus

if TYPE_CHECKING:  # loaded on use: the CLI starts without pydantic
    from kerascli.runs.record import RunRecord


def load_run(run_dir: Path) -> RunRecord:
    """Kept for the callers of its old home: see `kerascli.runs.record.load_run`."""
    from kerascli.runs.record import load_run as load

    return load(run_dir)


def list_runs(runs_dir: Path) -> list[tuple[Path, RunRecord]]:
    """All runs under `runs_dir`, oldest first (by start time), skipping unreadable ones."""
    from kerascli.runs.record import load_run

    runs: list[tuple[Path, RunRecord]] = []
    if not Path(runs_dir).is_dir():
        return runs
    for child in Path(runs_dir).iterdir():
        if (child / RUN_RECORD).is_file():
            with contextlib.suppress(RunError):
                runs.append((child, load_run(child)))
    return sorted(runs, key=lambda item: (item[1].started or "", item[0].name))


def latest_run(runs_dir: Path, task: str = "classification") -> Path:
    """The newest completed run of `task` (`classification`, `regression`...) under `runs_dir`.

    Raises:
        RunError: When there is none.
    """
    for run_dir, record in reversed(list_runs(runs_dir)):
        if (
            record.status is RunStatus.completed
            and (record.task or task) == task
            and (run_dir / MODEL_FILE).is_file()
        ):
            return run_dir
    raise RunError(
        str(runs_dir),
        f"no completed {task} run found",
        "train one with kerascli train, or name one with --run",
    )


def read_state(run_dir: Path) -> dict[str, Any] | None:
    """The newest checkpoint state of a run, or `None` when it has no complete checkpoint.

    Returns:
        `{"epoch", "checkpoint", "checkpoints", "history"}`: `checkpoints` maps each saved network
        (`model`, or `generator` and `discriminator`) to its file in `checkpoints/`.
    """
    directory = Path(run_dir) / CHECKPOINTS_DIR
    path = directory / CHECKPOINT_STATE
    if not path.is_file():
        return None
    state = read_json(path)
    if not isinstance(state, dict):
        return None
    files = state.get("checkpoints") or {"model": state.get("checkpoint", "")}
    if not all((directory / str(name)).is_file() for name in files.values()):
        return None
    state["checkpoints"] = files
    return state


def find_run(runs_dir: Path, named: str) -> Path:
    """The run a user names: a run directory's path, `latest`, or a unique name prefix.

    Args:
        runs_dir: Where runs named by prefix or `latest` are looked for.
        named: A path to a run directory, `latest` (the newest run by start time), or the
            start of one run's directory name under `runs_dir` (`mnist_cnn-2026`).

    Raises:
        RunError: When nothing matches, or a prefix matches several runs (they are listed).
    """
    path = Path(named)
    if (path / RUN_RECORD).is_file():
        return path
    found = list_runs(runs_dir)
    if named == "latest":
        if not found:
            raise RunError(str(runs_dir), "has no runs", "train one with kerascli train")
        return found[-1][0]
    matches = [run_dir for run_dir, _ in found if run_dir.name == named] or [
        run_dir for run_dir, _ in found if run_dir.name.startswith(named)
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunError(
            named,
            f"no such run directory, and no run in {runs_dir} is named so",
            "kerascli runs lists them",
        )
    shown = ", ".join(run_dir.name for run_dir in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    raise RunError(named, f"matches {len(matches)} runs: {shown}{more}", "give more of the name")
