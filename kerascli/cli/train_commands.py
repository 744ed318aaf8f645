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
)
from kerascli.cli.reporting import err, load_backend, out, reported
from kerascli.runs.layout import SAMPLES_DIR, runs_dir_from


def _training_command(kind: str, summary: str):
    """The `train` or `gan` command: they take the same options and differ in their story."""

    def command(
        config: ConfigFilesArgument,
        set_: SetOption = None,
        runs_dir: RunsDirOption = None,
        name: NameOption = None,
        resume: Annotated[
            Path | None,
            typer.Option(help="Continue this run directory from its last complete epoch."),
        ] = None,
        quiet: QuietOption = False,
    ):
        from kerascli.config.distribute import read_cluster
        from kerascli.config.loading import load_config
        from kerascli.data.sources import check_files

        experiment = load_config(config, set_, require="gan" if kind == "gan" else "model")
        check_files(experiment.data)  # image folders, tables, texts: before TensorFlow
        cluster = read_cluster(experiment.distribute)  # TF_CONFIG checked before TensorFlow
        load_backend()
        if kind == "gan":
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
        )
        if result.run_dir is None:
            out.print(
                f"worker {cluster.index}: done; the chief (worker 0) writes the run", markup=False
            )
        elif kind == "gan":
            render.print_gan(result.run_dir, result.final_metrics, result.run_dir / SAMPLES_DIR)
        else:
            render.print_training(result.run_dir, result.evaluation)
        for note in result.notes:
            out.print(note, markup=False, soft_wrap=True)

    command.__name__ = command.__qualname__ = kind  # Typer names the command after it
    command.__doc__ = summary
    return reported(command)


train = _training_command("train", "Train the model a config describes; leave a run directory.")
gan = _training_command(
    "gan", "Train the GAN a config describes (a gan section); leave a run directory with samples."
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
