"""`--resume auto`: the same command, started again, continues the run it was running.

A cluster manager (Kubernetes, Kubeflow's TFJob, JobSet) restarts failed workers with the
command they were started with; it cannot choose a run directory. With `--resume auto` every
worker picks the same run by itself: the newest unfinished run of the name (`--name`, else the
config's) in the runs directory, of the same kind, that has a complete checkpoint and whose config
may be resumed with this one; or none, and a new run starts. The chief writes that run; the other
workers read its checkpoint from the shared runs directory. Every worker decides before the
cluster forms, so the chief cannot have written anything new meanwhile: they all decide alike.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from kerascli.config import rules
from kerascli.errors import KerascliError
from kerascli.runs.layout import check_run_name
from kerascli.runs.records import load_run, read_state
from kerascli.runs.saved import load_saved_config
from kerascli.runs.status import RunKind, RunStatus

AUTO = "auto"


def is_auto(resume: str | Path | None) -> bool:
    """Whether `--resume` asks for the newest unfinished run (`--resume auto`)."""
    return resume is not None and str(resume) == AUTO


def resolve(plan, runs_dir: Path, name: str | None, resume, console=None) -> Path | None:
    """The run directory to resume: `resume` itself, or for `auto` the one `newest_unfinished`
    finds (`None`: start a new run). Says on `console` which it chose.

    Args:
        plan: The `TrainingPlan` (its config and kind).
        runs_dir: The runs directory.
        name: `--name`, or `None` for the config's name.
        resume: `--resume` as given: `None`, a run directory, or `auto`.
        console: A `rich.console.Console` for the line saying what was chosen. Defaults to
            `None` (nothing said).

    Raises:
        RunError: For an unsafe run name.
    """
    if not is_auto(resume):
        return resume
    name = check_run_name(plan.config.name if name is None else name)
    found = newest_unfinished(plan, Path(runs_dir), name)
    if console is not None:
        if found is None:
            said = f"no unfinished {name} run to continue in {runs_dir}; starting a new one"
        else:
            said = f"continuing {found} from the end of epoch {read_state(found)['epoch']}"
        console.print(f"--resume auto: {said}", markup=False, highlight=False)
    return found


def newest_unfinished(plan, runs_dir: Path, name: str) -> Path | None:
    """The newest run named `name-<UTC timestamp>` under `runs_dir` that is not completed, is of
    the plan's kind, has a complete checkpoint and may be resumed with the plan's config.

    A run that is still `running` counts: a killed process never says otherwise. Newest is by
    the timestamp in the directory name (the one `create_run_dir` gives), so the choice does not
    depend on clocks or file times of a shared volume.
    """
    pattern = re.compile(rf"^{re.escape(name)}-(\d{{8}}T\d{{6}}Z)(?:-(\d+))?$")
    named = []
    with contextlib.suppress(OSError):
        for child in Path(runs_dir).iterdir():
            match = pattern.match(child.name)
            if match and child.is_dir():
                named.append(((match[1], int(match[2] or 1)), child))
    for _, run_dir in sorted(named, reverse=True):
        if _continues(plan, run_dir):
            return run_dir
    return None


def _continues(plan, run_dir: Path) -> bool:
    try:
        record = load_run(run_dir)
        if record.status is RunStatus.completed:
            return False
        gan = record.is_gan
        state = read_state(run_dir)
        if gan != (plan.kind is RunKind.gan) or state is None:
            return False
        if set(state["checkpoints"]) != set(plan.networks):
            return False
        saved = load_saved_config(run_dir, require="gan" if gan else "model")
    except (KerascliError, OSError, ValueError, KeyError):
        return False  # unreadable or half-made: not a run to continue
    return rules.resume_difference(saved, plan.config) is None
