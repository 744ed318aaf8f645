"""Trial processes: each trial is an ordinary `kerascli train` (or `gan`) process.

A process of its own per trial, so that a trial killed by the kernel (out of memory) or by a
user (`kill -9`) takes nothing else with it: `kerascli tune` sees it end, records the trial
failed and starts the next. Side by side, the processes share the machine: one GPU each where
there are GPUs (`CUDA_VISIBLE_DEVICES`), else an equal share of the CPU cores.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kerascli.errors import RunError
from kerascli.runs.files import update_run_json
from kerascli.runs.history import read_history
from kerascli.runs.layout import RUN_RECORD, TRIAL_LOGS, utc_now
from kerascli.runs.record import RunRecord, load_run
from kerascli.runs.status import RunStatus
from kerascli.tuning.link import TRIAL_ENV, TrialLink


@dataclass
class TrialProcess:
    """A running trial: the study's trial, its process, its log file and its worker slot."""

    trial: object
    process: subprocess.Popen
    log: Path
    slot: int
    started: float = field(default_factory=time.monotonic)


@dataclass
class Outcome:
    """How a trial ended: `complete`, `pruned`, `failed` or `interrupted`, and its value."""

    state: str
    value: float | None = None
    run_dir: Path | None = None
    error: str = ""
    missing_metric: list | None = None  # the history's keys, when the metric is not among them


def gpus() -> list[str]:
    """The GPUs trial processes are spread over: `CUDA_VISIBLE_DEVICES`, else nvidia-smi's."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [device for device in visible.split(",") if device.strip() not in ("", "-1")]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listed = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(index) for index, line in enumerate(listed.splitlines()) if line.startswith("GPU")]


def trial_name(number: int) -> str:
    """A trial's run name; its run directory is `<sweep>/trial-NNNN-<timestamp>/`."""
    return f"trial-{number:04d}"


def start_trial(
    trial, link: TrialLink, command: list[str], slot: int, workers: int, devices: list[str]
) -> TrialProcess:
    """Starts a trial process in a session of its own (a Ctrl-C reaches it from `tune` once).

    Args:
        trial: The study's trial.
        link: Its link to the study (passed in `KERASCLI_TRIAL`).
        command: The `kerascli train ...` arguments after `python -m kerascli`.
        slot: The worker slot (0 to workers - 1): which GPU or share of the cores.
        workers: How many trials run side by side.
        devices: The GPUs (`gpus()`), or none.
    """
    env = dict(os.environ, **{TRIAL_ENV: link.to_env()})
    if devices:
        env["CUDA_VISIBLE_DEVICES"] = devices[slot % len(devices)]
    elif workers > 1:
        share = str(max(1, (os.cpu_count() or 1) // workers))
        for name in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
            env.setdefault(name, share)
        env.setdefault("TF_NUM_INTEROP_THREADS", "1" if share == "1" else "2")
    logs = Path(link.sweep_dir) / TRIAL_LOGS
    logs.mkdir(exist_ok=True)
    log = logs / f"{trial_name(link.number)}.log"
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "kerascli", *command],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    return TrialProcess(trial, process, log, slot)


def find_trial_run(sweep_dir: Path, number: int) -> Path | None:
    """The run directory of trial `number` in a sweep directory (the newest, if several)."""
    for run_dir in sorted(Path(sweep_dir).glob(f"{trial_name(number)}-*"), reverse=True):
        if (run_dir / RUN_RECORD).is_file():
            return run_dir
    return None


def _log_error(log: Path) -> str:
    """The last `error:` line of a trial's log (the one line the CLI printed)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    found = [line for line in lines if line.startswith("error: ")]
    return found[-1].removeprefix("error: ") if found else ""


def _ended_by(code: int) -> str:
    if code < 0:
        try:
            return f"the trial process was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"the trial process was killed by signal {-code}"
    return f"the trial process ended with exit code {code}"


def outcome(running: TrialProcess, link: TrialLink, direction: str, stopping: bool) -> Outcome:
    """Reads how an ended trial process went, from its exit code and its run directory.

    A run left `running` by a killed process is recorded failed, with why.

    Args:
        running: The ended trial process.
        link: Its link (the sweep directory, the metric).
        direction: `minimize` or `maximize`: which epoch is the trial's best.
        stopping: Whether `tune` is being interrupted (a trial stopped then is run again).
    """
    code = running.process.returncode
    run_dir = find_trial_run(Path(link.sweep_dir), link.number)
    record = RunRecord()
    if run_dir is not None:
        try:
            record = load_run(run_dir)
        except RunError:
            record = RunRecord()
    status = record.status
    if code == 0 and status in (RunStatus.completed, RunStatus.pruned):
        history = read_history(run_dir)
        values = [
            float(v)
            for v in history.get(link.metric, [])
            if isinstance(v, (int, float)) and math.isfinite(v)
        ]
        if not values:
            return Outcome("failed", run_dir=run_dir, missing_metric=sorted(history))
        best = max(values) if direction == "maximize" else min(values)
        return Outcome("complete" if status is RunStatus.completed else "pruned", best, run_dir)
    interrupted = code in (130, -signal.SIGINT, -signal.SIGTERM) or status is RunStatus.interrupted
    if stopping and interrupted:
        if run_dir is not None and status is RunStatus.running:
            # Stopped between saying it runs and training: its run directory says it now.
            update_run_json(run_dir, status=RunStatus.interrupted, ended=utc_now())
        return Outcome("interrupted", run_dir=run_dir)
    error = record.error or _log_error(running.log) or _ended_by(code)
    if run_dir is not None and status in (RunStatus.running, None):
        # Killed before it could say so itself: its run directory says it now.
        update_run_json(run_dir, status=RunStatus.failed, ended=utc_now(), error=_ended_by(code))
    return Outcome("failed", run_dir=run_dir, error=str(error))


def stop_all(running: list[TrialProcess], wait: float = 60.0) -> None:
    """Asks every trial process to stop as Ctrl-C does (each saves its run), then waits.

    A process still there after `wait` seconds is terminated, then killed.
    """
    for each in running:
        if each.process.poll() is None:
            each.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + wait
    for each in running:
        try:
            each.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            each.process.terminate()
            try:
                each.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                each.process.kill()
                each.process.wait()
