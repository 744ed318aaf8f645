"""The commands that train: `train`, `gan`, and `validate` (which builds what they would train)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kerascli.cli import render
from kerascli.cli.options import (
    ConfigFilesArgument,
    NameOption,
    QuietOption,
    RunsDirOption,
    SetOption,
    TrackOption,
)
from kerascli.cli.reporting import err, load_backend, out, reported
from kerascli.runs.layout import SAMPLES_DIR, runs_dir_from
from kerascli.runs.status import RunKind


def _training_command(kind: RunKind, summary: str):
    """The `train` or `gan` command: they take the same options and differ in their story."""

    def command(
        config: ConfigFilesArgument,
        set_: SetOption = None,
        runs_dir: RunsDirOption = None,
        name: NameOption = None,
        resume: Annotated[
            Path | None,
            typer.Option(
                metavar="RUN_DIR|auto",
                help=(
                    "Continue this run directory from its last complete epoch; auto: the "
                    "newest unfinished run of the name, or a new one (restarted cluster workers)."
                ),
            ),
        ] = None,
        quiet: QuietOption = False,
        track: TrackOption = None,
    ):
        from kerascli.config.distribute import read_cluster
        from kerascli.config.loading import load_config
        from kerascli.config.track import with_tracker
        from kerascli.data.sources import check_files
        from kerascli.tracking.track import check_installed
        from kerascli.tuning.link import trial_from_env

        experiment = load_config(config, set_, require="gan" if kind is RunKind.gan else "model")
        if track is not None:
            experiment = with_tracker(experiment, track.value)
        check_installed(experiment)  # before TensorFlow
        check_files(experiment.data)  # image folders, tables, texts: before TensorFlow
        cluster = read_cluster(experiment.distribute)  # TF_CONFIG checked before TensorFlow
        if cluster is not None:
            from kerascli.backend import quiet_cluster_logs

            quiet_cluster_logs()
        trial = trial_from_env()  # set when kerascli tune started this run as a trial
        load_backend()
        if kind is RunKind.gan:
            from kerascli.commands.gan import train_gan as story
        else:
            from kerascli.commands.train import train as story

        result = story(
            experiment,
            runs_dir=runs_dir_from(runs_dir),
            name=name,
            resume=resume,
            quiet=quiet,
            console=err,
            command=sys.argv,
            **({"trial": trial} if trial else {}),
        )
        if result.run_dir is None:
            chief = "the chief" if "chief" in cluster.jobs else "the chief (worker 0)"
            out.print(
                f"{cluster.name_of(cluster.index)}: done; {chief} writes the run", markup=False
            )
        elif kind is RunKind.gan:
            render.print_gan(result.run_dir, result.final_metrics, result.run_dir / SAMPLES_DIR)
        else:
            render.print_training(result.run_dir, result.evaluation)
        for note in result.notes:
            out.print(note, markup=False, soft_wrap=True)

    command.__name__ = command.__qualname__ = kind.value  # Typer names the command after it
    command.__doc__ = summary
    return reported(command)


train = _training_command(
    RunKind.train, "Train the model a config describes; leave a run directory."
)
gan = _training_command(
    RunKind.gan,
    "Train the GAN a config describes (a gan section); leave a run directory with samples.",
)


@reported
def validate(config: ConfigFilesArgument, set_: SetOption = None):
    """Check a config and build its model; print the summary. No training."""
    from kerascli.config.loading import load_config
    from kerascli.data.sources import check_files

    experiment = load_config(config, set_, require="any")
    found = check_files(experiment.data)
    if found:
        out.print(found, markup=False)  # what was read, and the feature kinds it inferred
    load_backend()
    from kerascli.commands.validate import validate_experiment

    out.print(validate_experiment(experiment), markup=False)
    out.print(f"{', '.join(map(str, config))}: OK")
