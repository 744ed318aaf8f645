"""One run's life, shared by `train` and `gan`: from the checks before it to its last record.

The order is the design. Everything that can fail because of bad input (a resume that does not
fit, data files, layer arguments, a model whose output does not fit the labels, callback
arguments) is checked before the run directory exists or while it is still empty, so bad input
leaves nothing behind. Once training starts, every epoch is checkpointed (`recorder`), and
`run.json` always says whether the run is running, completed, failed or interrupted.

What differs between a classifier and a GAN is a `TrainingPlan`: the command's own story
(`kerascli.commands.train`, `kerascli.commands.gan`) supplies one, and `run_training` drives it.

Where it computes is the config's `distribute` section (`kerascli.training.distribute`): the
plan prepares and fits inside the strategy's scope. In a multi-worker cluster only the chief
writes the run directory; the other workers take the same steps in a temporary directory.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import sys
import tempfile
from pathlib import Path

from kerascli.backend import setup_backend, versions
from kerascli.config import rules
from kerascli.config.distribute import read_cluster
from kerascli.errors import ConfigError, Interrupted, RunError, TrainingFailed
from kerascli.models.callbacks import build_callbacks
from kerascli.models.tensorboard import RunTensorBoard
from kerascli.report import write_report
from kerascli.runs.files import atomic_save_model, atomic_write_text
from kerascli.runs.layout import (
    CHECKPOINTS_DIR,
    CONFIG_FILE,
    check_run_name,
    create_run_dir,
    network_file,
    utc_now,
)
from kerascli.runs.lock import locked
from kerascli.runs.record import RunKind, RunStatus, load_run, update_run_json
from kerascli.runs.records import read_state
from kerascli.runs.saved import load_saved_config
from kerascli.tracking.track import check_installed, track_run
from kerascli.training import resume_auto
from kerascli.training.distribute import Placement, place
from kerascli.training.faults import Position, peers_watched
from kerascli.training.plan import RunResult, TrainingPlan
from kerascli.training.progress import RichProgress
from kerascli.training.recorder import EpochRecorder
from kerascli.training.signals import recording_outcome
from kerascli.tuning.link import TrialLink
from kerascli.tuning.study import deferred_signals


def run_training(
    plan: TrainingPlan,
    *,
    runs_dir: Path,
    name: str | None = None,
    resume: Path | None = None,
    quiet: bool = False,
    console=None,
    command: list[str] | None = None,
    trial: TrialLink | None = None,
) -> RunResult:
    """Runs a training plan from its checks to a complete run directory.

    Args:
        plan: The plan of the command (train or gan), holding the validated config.
        runs_dir: Where new run directories are created.
        name: The run name. Defaults to the config's name.
        resume: A run directory to continue from its last complete epoch, or `auto` for the
            newest unfinished run of the name (`kerascli.training.resume_auto`). Defaults to
            `None`.
        quiet: One line per epoch instead of a live progress bar. Defaults to `False`.
        console: A `rich.console.Console` for progress. Defaults to stderr.
        command: The command line, recorded in `run.json`. Defaults to `sys.argv`.
        trial: The sweep trial this run is (`kerascli tune`): its epochs are reported to the
            study, whose pruner may stop it (`run.json` then says `pruned`). Defaults to `None`.

    Returns:
        A `RunResult`.

    Raises:
        ConfigError, DataError, RunError: For bad input, before anything is written.
        Interrupted: On Ctrl-C or SIGTERM; the run is marked interrupted and resumable.
        TrainingFailed: When a loss becomes NaN or infinite, or the workers of a cluster do not
            all join in time.
    """
    # TF_CONFIG is checked with the config, before TensorFlow starts.
    chief = getattr(read_cluster(plan.config.distribute), "chief", True)
    resume = resume_auto.resolve(plan, runs_dir, name, resume, console)
    plan.trial = trial
    if resume is None:
        return _start(plan, runs_dir, name, None, quiet, console, command)
    resume = Path(resume)
    load_run(resume)  # a clear error for a missing run before locking it
    # Locked before reading the checkpoint: a live run prunes old checkpoints under our feet.
    # The other workers of a cluster only read the chief's checkpoint, and write nothing there.
    with locked(resume) if chief else contextlib.nullcontext():
        return _start(plan, runs_dir, name, resume, quiet, console, command)


def _resume_state(plan: TrainingPlan, run_dir: Path) -> dict:
    """Checks that `run_dir` can be resumed with the plan's config; returns its checkpoint state."""
    record = load_run(run_dir)
    if record.is_gan != (plan.kind is RunKind.gan):
        raise RunError(str(run_dir), *plan.wrong_kind)
    config = plan.config
    saved = load_saved_config(run_dir, require="gan" if plan.kind is RunKind.gan else "model")
    section = rules.resume_difference(saved, config)
    if section is not None:
        raise ConfigError(
            section, f"differs from the run being resumed ({run_dir})", rules.resume_hint(config)
        )
    rules.check_resumed_precision(saved, config, run_dir)
    state = read_state(run_dir)
    if state is None or set(state["checkpoints"]) != set(plan.networks):
        raise RunError(
            str(run_dir), "has no complete checkpoint to resume from", "start a new run instead"
        )
    return state


def _start(plan, runs_dir, name, resume, quiet, console, command) -> RunResult:
    config = plan.config
    state = _resume_state(plan, resume) if resume else None
    name = config.name if name is None else name
    if not resume:
        check_run_name(name)
    plan.check()
    check_installed(config, load_run(resume) if resume else None)  # before TensorFlow starts
    cluster = read_cluster(config.distribute)
    devices = setup_backend(config.seed, config.deterministic)
    placement = place(config, cluster)
    with placement.scope():  # the networks, their optimizers and metrics, on every replica
        plan.prepare(
            {
                network: resume / CHECKPOINTS_DIR / file
                for network, file in state["checkpoints"].items()
            }
            if state
            else None
        )
    if not placement.chief:
        return _as_worker(plan, state, devices, placement, quiet, console, command)

    run_dir = resume if resume else create_run_dir(runs_dir, name)
    try:
        # Callback file arguments resolve inside the run directory, so they come after it.
        callbacks = build_callbacks(
            config.fit.callbacks, run_dir, tensorboard=config.fit.tensorboard
        )
    except ConfigError:
        if not resume:
            run_dir.rmdir()  # Created a moment ago and still empty: bad input leaves nothing.
        raise
    for callback in callbacks:
        if isinstance(callback, RunTensorBoard):
            callback.images = plan.epoch_images
    started = load_run(run_dir).started if state else utc_now()
    with (
        locked(run_dir) if resume is None else contextlib.nullcontext(),
        # An MLflow run mirrors it when asked (`track`), ended after the report is written.
        track_run(config, run_dir, console) as tracked,
    ):
        try:
            return _fit(
                plan,
                run_dir,
                state,
                devices,
                placement,
                [*callbacks, *tracked.callbacks()],
                quiet,
                console,
                command,
                started,
            )
        finally:
            # However the run ended, its page says so: completed, failed or interrupted.
            _write_report(run_dir)


def _write_report(run_dir: Path) -> None:
    """Writes `report.html`; a page that cannot be written never fails the run it describes."""
    with contextlib.suppress(RunError, OSError, ValueError):
        write_report(run_dir)


def _as_worker(plan, state, devices, placement: Placement, quiet, console, command) -> RunResult:
    """Runs a cluster worker other than the chief: the same steps, its files in a temporary
    directory outside the runs directory, deleted at the end.

    Every worker must take every step of the chief, saving included (reading a distributed
    variable can be a collective operation), as TensorFlow's multi-worker guide says; only the
    chief's files are kept.
    """
    scratch = Path(tempfile.mkdtemp(prefix=f"kerascli-worker{placement.cluster.index}-"))
    try:
        result = _fit(
            plan,
            scratch,
            state,
            devices,
            placement,
            build_callbacks(plan.config.fit.callbacks, scratch),
            quiet,
            console,
            command,
            utc_now(),
        )
    except Interrupted:
        # This worker's files are deleted: the run to resume is the chief's, so no path here.
        raise KeyboardInterrupt from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.run_dir = None
    return result


@contextlib.contextmanager
def _frozen_heap():
    """Keeps the objects alive before `fit` out of Python's full garbage collections during it.

    A full collection walks every tracked object, and this process holds about 350,000 of them
    before the first step (TensorFlow, Keras, pydantic, rich): the one full pass that fell in a
    4-second MNIST epoch took 0.16 s, time a hand-written Keras script, with fewer objects, does
    not spend. Those objects outlive the fit anyway; `gc.freeze` moves them to a permanent
    generation until `gc.unfreeze`.
    """
    # A Ctrl-C raised inside a weakref callback that the collection runs is printed and lost
    # ("Exception ignored"): it is held until the collection ends.
    with deferred_signals():
        gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _fit(
    plan, run_dir, state, devices, placement, callbacks, quiet, console, command, started
) -> RunResult:
    config = plan.config
    initial_epoch = state["epoch"] if state else 0
    history = state["history"] if state else {}
    reporter = None
    if plan.trial is not None:
        from kerascli.training.trials import trial_reporter

        reporter = trial_reporter(plan.trial)  # opens the study: before the run says running
    atomic_write_text(run_dir / CONFIG_FILE, config.to_yaml())
    update_run_json(
        run_dir,
        name=run_dir.name,
        kind=plan.kind,
        status=RunStatus.running,
        command=command if command is not None else sys.argv,
        versions=versions(),
        seed=config.seed,
        deterministic=config.deterministic,
        devices=devices,
        distribute=placement.record(),
        started=started,
        resumed=utc_now() if state else None,
        ended=None,
        error=None,  # a resumed run's earlier failure (a lost worker) is over
        **plan.record_fields(),
        **({"trial": plan.trial.record()} if plan.trial else {}),
    )
    recorder = EpochRecorder(
        run_dir, history, networks=plan.checkpointed(), loss_keys=plan.loss_keys
    )
    progress = RichProgress(
        config.fit.epochs,
        console=console,
        quiet=quiet,
        headline=placement.headline(config.fit.batch_size),
    )
    position = Position(initial_epoch, placement.chief)  # where a lost peer stopped the fit
    callbacks = [*plan.callbacks(run_dir), progress, recorder, position, *callbacks]
    if reporter is not None:
        callbacks.insert(0, reporter)  # before early stopping and the like: every epoch counts

    def epochs_done() -> int:
        return len(history.get(plan.loss_keys[0], []))

    with recording_outcome(run_dir, epochs_done, on_interrupt=lambda: plan.on_interrupt(run_dir)):
        if initial_epoch < config.fit.epochs:
            with (
                placement.scope(),  # a GAN builds its model and metrics here
                _frozen_heap(),
                peers_watched(placement.cluster, position, command or sys.argv),
            ):
                plan.fit(callbacks, initial_epoch)
    plan.draw(history, run_dir)
    if recorder.diverged_at is not None:
        update_run_json(
            run_dir,
            status=RunStatus.failed,
            ended=utc_now(),
            epochs=epochs_done(),
            error=f"{plan.diverged} became NaN or infinite in epoch {recorder.diverged_at}",
        )
        kept = (
            "the last good checkpoint is kept"
            if recorder.diverged_at > 1
            else "no epoch finished cleanly, so there is no checkpoint"
        )
        raise TrainingFailed(
            str(run_dir),
            f"{plan.diverged} became NaN or infinite in epoch {recorder.diverged_at}; {kept}",
            plan.diverged_hint,
        )
    for network, model in plan.final_networks().items():
        atomic_save_model(model, run_dir / network_file(network))
    finish = plan.finish(run_dir)
    final = {key: values[-1] for key, values in history.items() if values}
    final.update(finish.metrics)
    update_run_json(
        run_dir,
        status=RunStatus.pruned if getattr(reporter, "pruned", False) else RunStatus.completed,
        ended=utc_now(),
        epochs=epochs_done(),
        epoch_seconds=recorder.epoch_seconds,
        final_metrics=final,
        **finish.fields,
    )
    return RunResult(run_dir, epochs_done(), history, final, finish.evaluation)
