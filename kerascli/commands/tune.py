"""`kerascli tune`: a sweep over the config's `tune.space`, each trial an ordinary run.

The story: find the sweep to resume (the newest unfinished one of this config and storage) or
make a new sweep directory; open the study (Optuna) in its storage; then keep `--workers` trial
processes running, each a `kerascli train` with the trial's values as `--set`s, until the
study's budget is spent. Each ended process is read back from its run directory and its outcome
told to the study. Failed trials are counted: `max_failures` in a row stop the sweep. Ctrl-C
stops every trial cleanly; they are run again when the same command resumes the sweep.
At the end, and whenever the sweep stops: results.csv, best.yaml and sweep.html.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kerascli.config.loading import load_config
from kerascli.config.schema import ExperimentConfig
from kerascli.errors import ConfigError, Interrupted, TrainingFailed
from kerascli.runs.files import atomic_write_text
from kerascli.runs.layout import BEST_CONFIG, create_run_dir, utc_now
from kerascli.runs.lock import locked
from kerascli.runs.status import RunStatus
from kerascli.runs.summary import lower_is_better
from kerascli.runs.sweeps import unfinished_sweep, update_sweep_record
from kerascli.training.signals import sigterm_as_interrupt
from kerascli.tuning import study as studies
from kerascli.tuning.link import TrialLink
from kerascli.tuning.live import SweepDisplay
from kerascli.tuning.page import write_sweep_page
from kerascli.tuning.results import ERROR_ATTR, RUN_ATTR, Row, best_row, overrides, rows
from kerascli.tuning.workers import gpus, outcome, start_trial, stop_all, trial_name

_POLL_SECONDS = 0.25


@dataclass
class SweepResult:
    """What a sweep left: its directory, its trials, and the best of them."""

    sweep_dir: Path
    rows: list[Row]
    best: Row | None
    metric: str


def _shown_storage(url: str | None) -> str:
    """The storage as `sweep.json` records it: never a password."""
    return "study.db" if url is None else re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


class _Sweep:
    """One `kerascli tune` process's part of a study (see the module docstring)."""

    def __init__(
        self, config, config_files, sets, sweep_dir, url, budget, workers, console, shared
    ):
        tune = config.tune
        self.config, self.tune, self.files, self.sets = config, tune, config_files, sets
        self.sweep_dir, self.url, self.budget, self.workers = sweep_dir, url, budget, workers
        self.direction = tune.direction or (
            "minimize" if lower_is_better(tune.metric) else "maximize"
        )
        self.storage = studies.open_storage(url)
        seed = tune.seed if tune.seed is not None else config.seed
        if shared and seed is not None:
            # Processes that join one study must not draw the same points from the same seed.
            seed = (seed * 1_000_003 + os.getpid()) % 2**32
        self.study = studies.open_study(
            self.storage, config.name, tune, self.direction, seed, config.fit.epochs
        )
        done = len(self.study.get_trials(deepcopy=False))
        if done and seed is not None:
            # Resumed: the same seed would draw the points it drew before the interruption again.
            self.study.sampler = studies.sampler(tune, seed + done)
        self.space = studies.distributions(tune)
        self.display = SweepDisplay(console, tune.metric, self.direction, budget)
        self.running, self.streak, self.last_error = [], 0, ""
        self.devices = gpus()

    def link(self, number: int) -> TrialLink:
        return TrialLink(
            storage=self.url,
            study=self.config.name,
            number=number,
            sweep_dir=str(self.sweep_dir),
            metric=self.tune.metric,
            prune=self.tune.pruner != "none",
            pruner=self.tune.pruner,
            epochs=self.config.fit.epochs,
        )

    def start(self, slot: int) -> bool:
        with studies.deferred_signals():
            trial = studies.next_trial(self.study, self.budget, self.space)
        if trial is None:
            return False
        command = [
            "gan" if self.config.gan is not None else "train",
            *map(str, self.files),
            *(f"--set={item}" for item in [*self.sets, *overrides(self.tune, trial.params)]),
            f"--runs-dir={self.sweep_dir}",
            f"--name={trial_name(trial.number)}",
            "--quiet",
        ]
        link = self.link(trial.number)
        self.running.append(start_trial(trial, link, command, slot, self.workers, self.devices))
        return True

    def settle(self, each, stopping: bool = False) -> None:
        """Tells the study how an ended trial process went."""
        optuna = studies.optuna_module()
        done = outcome(each, self.link(each.trial.number), self.direction, stopping)
        if done.state == "interrupted":
            studies.skip(self.study, each.trial, studies.INTERRUPTED, again=True)
            return
        if done.run_dir is not None:
            each.trial.set_user_attr(RUN_ATTR, done.run_dir.name)
        if done.missing_metric is not None:
            each.trial.set_user_attr(ERROR_ATTR, f"no {self.tune.metric} in its history")
            self.study.tell(each.trial, state=optuna.trial.TrialState.FAIL)
            raise ConfigError(
                "tune.metric",
                f"{self.tune.metric!r} is not in the trials' history",
                "one of: " + ", ".join(done.missing_metric) if done.missing_metric else None,
            )
        if done.state == "failed":
            each.trial.set_user_attr(ERROR_ATTR, done.error[:500])
            self.study.tell(each.trial, state=optuna.trial.TrialState.FAIL)
            self.streak += 1
            self.last_error = f"trial {each.trial.number}: {done.error}"
            return
        self.streak = 0
        if done.state == "pruned":
            self.study.tell(each.trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(each.trial, done.value)

    def loop(self) -> None:
        """Keeps the workers busy until the budget is spent; raises when the sweep must stop."""
        beat, free, changed = 0.0, list(range(self.workers)), True
        exhausted = False
        while True:
            now = time.monotonic()
            with studies.deferred_signals():  # Ctrl-C lands between storage calls
                if now - beat >= studies.HEARTBEAT_SECONDS:
                    studies.beat(self.storage, [each.trial for each in self.running])
                    studies.fail_lost(self.study)
                    beat = now
                for each in [each for each in self.running if each.process.poll() is not None]:
                    self.running.remove(each)
                    free.append(each.slot)
                    self.settle(each)
                    changed = True
            if self.streak >= self.tune.max_failures:
                raise TrainingFailed(
                    str(self.sweep_dir),
                    f"{self.streak} trials failed in a row; the last: {self.last_error}",
                    f"its log is in {self.sweep_dir / 'logs'}",
                )
            while free and not exhausted:
                slot = min(free)
                if not self.start(slot):
                    exhausted = True
                    break
                free.remove(slot)
                changed = True
            with studies.deferred_signals():
                if changed:
                    self.display.update(rows(self.study))
                    changed = False
                if exhausted and not self.running and not self._others_running():
                    return
            time.sleep(_POLL_SECONDS)

    def _others_running(self) -> bool:
        """Whether trials of other machines still run: their results are waited for (a lost
        machine's for at most its heartbeat's grace period), so every machine's results end
        complete."""
        optuna = studies.optuna_module()
        running = self.study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.RUNNING])
        return bool(studies.counted(running))

    def stop(self) -> None:
        """Stops every running trial as Ctrl-C does; they run again when the sweep resumes."""
        stop_all(self.running)
        for each in self.running:
            with contextlib.suppress(ConfigError):
                self.settle(each, stopping=True)
        self.running = []

    def finish(self, status: RunStatus) -> SweepResult:
        """Writes results.csv, best.yaml, sweep.html and the record; returns the result."""
        from kerascli.tuning.results import write_results

        found = rows(self.study)
        best = best_row(found, self.direction)
        write_results(self.sweep_dir, self.tune, found)
        if best is not None:
            self._write_best(best)
        record = update_sweep_record(
            self.sweep_dir,
            status=status,
            ended=utc_now(),
            best=None
            if best is None
            else {
                "number": best.number,
                "value": best.value,
                "params": best.params,
                "run": best.run,
            },
            counts={s: sum(r.state == s for r in found) for s in ("complete", "pruned", "failed")},
        )
        write_sweep_page(self.sweep_dir, record, self.tune, found, self._importances())
        self.display.update(found)
        return SweepResult(self.sweep_dir, found, best, self.tune.metric)

    def _write_best(self, best: Row) -> None:
        config = load_config(
            self.files, [*self.sets, *overrides(self.tune, best.params)], require="any"
        )
        text = config.model_copy(update={"tune": None}).to_yaml()
        header = (
            f"# The best trial of {self.sweep_dir.name}: trial {best.number}, "
            f"{self.tune.metric} {best.value:.6g} ({best.run}).\n"
            f"# Retrain it with: kerascli {'gan' if config.gan else 'train'} best.yaml\n"
        )
        atomic_write_text(self.sweep_dir / BEST_CONFIG, header + text)

    def _importances(self) -> dict:
        import warnings

        optuna = studies.optuna_module()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "too few trials": then they are shown equal
                return dict(optuna.importance.get_param_importances(self.study))
        except (ValueError, RuntimeError, ZeroDivisionError):
            return {}  # too few finished trials, or parameters that never varied


def tune(
    config: ExperimentConfig,
    *,
    config_files: list[Path],
    sets: list[str],
    runs_dir: Path,
    workers: int = 1,
    storage: str | None = None,
    trials: int | None = None,
    console=None,
    command: list[str] | None = None,
) -> SweepResult:
    """Runs (or resumes, or joins) the sweep a config's `tune` section describes.

    Args:
        config: The validated config, with its `tune` section (`load_sweep`).
        config_files: The config files, as given (each trial is started with them).
        sets: The `--set` overrides, as given (each trial gets them, then its own values).
        runs_dir: Where the sweep directory is made (or found, to resume).
        workers: Trials run side by side. Defaults to 1.
        storage: An Optuna storage URL shared with other machines. Defaults to the config's
            `tune.storage`, else a SQLite file in the sweep directory.
        trials: The study's budget. Defaults to `tune.trials`.
        console: A `rich.console.Console` for the live table.
        command: The command line, recorded in `sweep.json`.

    Returns:
        A `SweepResult`.

    Raises:
        ConfigError: For a bad storage, or a metric that is not in the trials' history.
        TrainingFailed: When `max_failures` trials failed in a row.
        Interrupted: On Ctrl-C or SIGTERM; the same command resumes the sweep.
    """
    tune_section = config.tune
    url = storage or tune_section.storage
    budget = trials or tune_section.trials
    if tune_section.sampler == "grid":
        budget = min(budget, studies.grid_size(tune_section))
    studies.optuna_module()  # a missing extra is one line before any directory is made
    sweep_dir = unfinished_sweep(runs_dir, config.name, _shown_storage(url))
    resumed = sweep_dir is not None
    sweep_dir = sweep_dir or create_run_dir(runs_dir, f"{config.name}-tune")
    # The default storage is this sweep's alone: one `kerascli tune` at a time runs it.
    with locked(sweep_dir) if url is None else contextlib.nullcontext():
        sweep = _Sweep(
            config,
            config_files,
            sets,
            sweep_dir,
            url or studies.default_storage(sweep_dir),
            budget,
            workers,
            console,
            shared=url is not None,
        )
        if url is None:
            # Nobody else runs this study, so a trial left running was lost with its process.
            for lost in sweep.study.get_trials(deepcopy=False, states=[_running()]):
                studies.skip(sweep.study, lost, studies.INTERRUPTED, again=True)
        update_sweep_record(
            sweep_dir,
            kind="tune",
            name=config.name,
            study=config.name,
            storage=_shown_storage(url),
            status=RunStatus.running,
            **({} if resumed else {"started": utc_now()}),
            resumed=utc_now() if resumed else None,
            command=command,
            metric=tune_section.metric,
            direction=sweep.direction,
            trials=budget,
            sampler=tune_section.sampler,
            pruner=tune_section.pruner,
            workers=workers,
        )
        try:
            with sigterm_as_interrupt(), sweep.display.running():
                sweep.loop()
        except KeyboardInterrupt:
            sweep.stop()
            sweep.finish(RunStatus.interrupted)
            raise Interrupted(sweep_dir) from None
        except BaseException:
            sweep.stop()
            sweep.finish(RunStatus.failed)
            raise
        return sweep.finish(RunStatus.completed)


def _running():
    return studies.optuna_module().trial.TrialState.RUNNING
