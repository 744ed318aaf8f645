"""The commands that train: `train`, `gan`, and `validate` (which builds what they would train)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kerascli.cli import render
from kerascli.cli.options import NameOption, QuietOption, RunsDirOption, SetOption
from kerascli.cli.reporting import err, load_backend, out, reported
from kerascli.config.loading import load_config
from kerascli.runs.layout import SAMPLES_DIR, runs_dir_from

ConfigArgument = Annotated[Path, typer.Argument(help="The experiment YAML file.")]


@reported
def train(
    config: ConfigArgument,
    set_: SetOption = None,
    runs_dir: RunsDirOption = None,
    name: NameOption = None,
    resume: Annotated[Optional[Path], typer.Option(
        help="Continue this run directory from its last complete epoch.")] = None,
    quiet: QuietOption = False,
):
    """Train the model a config describes; leave a run directory."""
    experiment = load_config(config, set_)
    load_backend()
    from kerascli.commands.train import train as train_model

    result = train_model(experiment, runs_dir=runs_dir_from(runs_dir), name=name, resume=resume,
                         quiet=quiet, console=err, command=sys.argv)
    render.print_training(result.run_dir, result.evaluation)


@reported
def gan(
    config: Annotated[Path, typer.Argument(help="The experiment YAML file, with a gan section.")],
    set_: SetOption = None,
    runs_dir: RunsDirOption = None,
    name: NameOption = None,
    resume: Annotated[Optional[Path], typer.Option(
        help="Continue this GAN run directory from its last complete epoch.")] = None,
    quiet: QuietOption = False,
):
    """Train the GAN a config describes; leave a run directory with samples."""
    experiment = load_config(config, set_, require="gan")
    load_backend()
    from kerascli.commands.gan import train_gan

    result = train_gan(experiment, runs_dir=runs_dir_from(runs_dir), name=name, resume=resume,
                       quiet=quiet, console=err, command=sys.argv)
    render.print_gan(result.run_dir, result.final_metrics, result.run_dir / SAMPLES_DIR)


@reported
def validate(config: ConfigArgument, set_: SetOption = None):
    """Check a config and build its model; print the summary. No training."""
    experiment = load_config(config, set_, require="any")
    load_backend()
    from kerascli.commands.validate import validate_experiment

    out.print(validate_experiment(experiment), markup=False)
    out.print(f"{config}: OK")
