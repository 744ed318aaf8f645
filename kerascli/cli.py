"""The `kerascli` command line: thin Typer commands over the library.

Each command parses its arguments, loads the config, calls one library function and prints the
result. TensorFlow is imported only inside the commands that need it, so `--help` and config
errors answer at once. Errors become one line and an exit code in `_reported` alone.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Literal, Optional

import typer
from rich.console import Console
from rich.table import Table

from kerascli import __version__
from kerascli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, Interrupted, KerascliError

app = typer.Typer(
    name="kerascli", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Train, evaluate and use Keras models described by YAML experiment files.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SetOption = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY=VALUE", help="Override a config value, e.g. fit.epochs=3 (repeatable).")]
RunsDirOption = Annotated[Optional[Path], typer.Option(
    "--runs-dir", help="Where runs are kept (default: $KERASCLI_RUNS or ./runs).")]
QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", help="One line per epoch instead of a live progress bar.")]


def _load_backend() -> None:
    """Imports TensorFlow (quietly) for the commands that need it."""
    from kerascli.backend import import_keras

    import_keras()


def _print_error(error: KerascliError) -> None:
    for problem in [error, *error.others]:
        err.print(f"error: {problem.format()}", markup=False)


def _reported(command):
    """Runs a command, turning known errors into one line and the SPEC's exit codes."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KerascliError as error:
            if os.environ.get("KERASCLI_DEBUG") == "1":
                raise
            _print_error(error)
            raise typer.Exit(error.exit_code) from None
        except Interrupted as interrupted:
            err.print(f"interrupted: the run is saved in {interrupted.run_dir}", markup=False)
            err.print(f"resume with: kerascli {command.__name__} CONFIG --resume "
                      f"{interrupted.run_dir}", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
            if os.environ.get("KERASCLI_DEBUG") == "1":
                raise
            message = " ".join(str(error).split())[:300]
            err.print(f"error: {type(error).__name__}: {message} (set KERASCLI_DEBUG=1 for the "
                      "traceback)", markup=False)
            raise typer.Exit(EXIT_FAILURE) from None
    return wrapper


def _version(value: bool):
    if value:
        out.print(f"kerascli {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False):
    """Train, evaluate and use Keras models described by YAML experiment files."""


@app.command()
@_reported
def train(
    config: Annotated[Path, typer.Argument(help="The experiment YAML file.")],
    set_: SetOption = None,
    runs_dir: RunsDirOption = None,
    name: Annotated[Optional[str], typer.Option(help="Run name (default: the config's name).")] = None,
    resume: Annotated[Optional[Path], typer.Option(
        help="Continue this run directory from its last complete epoch.")] = None,
    quiet: QuietOption = False,
):
    """Train the model a config describes; leave a run directory."""
    from kerascli.config import load_config
    from kerascli.runs import runs_dir_from

    experiment = load_config(config, set_)
    _load_backend()
    from kerascli.training import train as train_model

    result = train_model(experiment, runs_dir=runs_dir_from(runs_dir), name=name, resume=resume,
                         quiet=quiet, console=err, command=sys.argv)
    _print_summary(result.run_dir, result.evaluation)


@app.command()
@_reported
def gan(
    config: Annotated[Path, typer.Argument(help="The experiment YAML file, with a gan section.")],
    set_: SetOption = None,
    runs_dir: RunsDirOption = None,
    name: Annotated[Optional[str], typer.Option(help="Run name (default: the config's name).")] = None,
    resume: Annotated[Optional[Path], typer.Option(
        help="Continue this GAN run directory from its last complete epoch.")] = None,
    quiet: QuietOption = False,
):
    """Train the GAN a config describes; leave a run directory with samples."""
    from kerascli.config import load_config
    from kerascli.runs import runs_dir_from

    experiment = load_config(config, set_, require="gan")
    _load_backend()
    from kerascli.gan import train_gan

    result = train_gan(experiment, runs_dir=runs_dir_from(runs_dir), name=name, resume=resume,
                       quiet=quiet, console=err, command=sys.argv)
    final = {key: values[-1] for key, values in result.history.items() if values}
    if final:
        from kerascli.progress import format_logs

        out.print(f"last epoch: {format_logs(final)}", markup=False)
    out.print(f"samples: {result.run_dir / 'samples'}", markup=False)
    out.print(f"run: {result.run_dir}", markup=False)


@app.command()
@_reported
def sample(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR", help="A run made by kerascli gan.")],
    count: Annotated[int, typer.Option("-n", "--count", min=1, max=1024,
                                       help="How many images to draw.")] = 64,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The grid image to write "
                                           "(.png, .jpg or .bmp).")] = Path("samples.png"),
    seed: Annotated[Optional[int], typer.Option(
        min=0, help="Seed the noise for the same images every time.")] = None,
):
    """Draw new images from a trained GAN's generator into one grid image."""
    from kerascli.saved_runs import open_gan_run

    open_gan_run(run_dir)  # A bad run is reported before TensorFlow loads.
    _load_backend()
    from kerascli.gan import sample as draw

    written = draw(run_dir, count=count, out=out_file, seed=seed)
    out.print(f"wrote: {written} ({count} images)", markup=False)


def _print_summary(run_dir: Path, evaluation: dict | None) -> None:
    if evaluation:
        scores = " · ".join(f"{key} {value:.4f}" for key, value in
                            {"loss": evaluation["loss"], **evaluation["metrics"]}.items())
        out.print(f"test: {scores}")
    out.print(f"run: {run_dir}")


@app.command()
@_reported
def validate(config: Annotated[Path, typer.Argument(help="The experiment YAML file.")],
             set_: SetOption = None):
    """Check a config and build its model; print the summary. No training."""
    from kerascli.config import load_config

    experiment = load_config(config, set_, require="any")
    _load_backend()
    from kerascli.validation import validate_experiment

    summary = validate_experiment(experiment)
    out.print(summary, markup=False)
    out.print(f"{config}: OK")


@app.command()
@_reported
def evaluate(run_dir: Annotated[Path, typer.Argument(
                 metavar="RUN_DIR", help="A run directory made by kerascli train.")],
             set_: SetOption = None):
    """Evaluate a run's model on its test data; write evaluation.json and plots."""
    from kerascli.saved_runs import open_run

    open_run(run_dir, set_)  # A bad run or --set is reported before TensorFlow loads.
    _load_backend()
    from kerascli.evaluation import evaluate_run

    record = evaluate_run(run_dir, set_)
    scores = " · ".join(f"{key} {value:.4f}" for key, value in
                        {"loss": record["loss"], **record["metrics"]}.items())
    out.print(f"test ({record['examples']} examples, {record['task']}): {scores}", markup=False)
    if record.get("per_class"):
        from rich.text import Text

        table = Table(title="per class")
        for column in ("class", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "class" else "right")
        rows = [(row["class"], row) for row in record["per_class"]]
        rows += [("macro avg", record["macro_avg"]), ("weighted avg", record["weighted_avg"])]
        for index, (label, row) in enumerate(rows):
            table.add_row(Text(label), f"{row['precision']:.4f}", f"{row['recall']:.4f}",
                          f"{row['f1']:.4f}", str(row["support"]),
                          end_section=index == len(record["per_class"]) - 1)
        out.print(table)
    for written in ["evaluation.json", *record.get("plots", [])]:
        out.print(f"wrote: {run_dir / written}", markup=False)


@app.command()
@_reported
def predict(
    images: Annotated[list[Path], typer.Argument(
        metavar="IMAGE_OR_DIR", help="Image files (PNG, JPEG, BMP) and directories of them.")],
    run: Annotated[Optional[Path], typer.Option(
        "--run", help="The run whose model predicts (default: the newest completed "
        "classification run in the runs directory).")] = None,
    top_k: Annotated[int, typer.Option(
        "--top-k", min=1, help="List the K most probable classes.")] = 1,
    json_lines: Annotated[bool, typer.Option(
        "--json", help="One JSON object per line per file.")] = False,
    invert: Annotated[Literal["auto", "yes", "no"], typer.Option(
        help="Invert images to white-on-black; auto does it for light-background images when "
        "the model was trained on dark-background (MNIST-like) data.")] = "auto",
    runs_dir: RunsDirOption = None,
):
    """Classify image files with a trained run's model."""
    import json

    from kerascli.errors import EXIT_USAGE
    from kerascli.runs import latest_run, runs_dir_from
    from kerascli.saved_runs import open_run

    run_dir = run if run is not None else latest_run(runs_dir_from(runs_dir))
    open_run(run_dir)  # A bad run is reported before TensorFlow loads.
    _load_backend()
    from kerascli.predict import predict_files

    report = predict_files(images, run_dir, top_k=top_k, invert=invert)
    for problem in report.errors:
        _print_error(problem)
    if json_lines:
        # Plain writes: machine-read output needs no rich markup or wrapping, and is faster.
        sys.stdout.write("".join(json.dumps(p.to_json()) + "\n" for p in report.predictions))
        sys.stdout.flush()
    elif report.predictions:
        from rich.text import Text

        table = Table(title=Text(f"predictions of {report.run_dir}"))
        for column in ("file", "class", "probability", *(["top k"] if top_k > 1 else [])):
            table.add_column(column, justify="right" if column == "probability" else "left",
                             overflow="fold")  # a path cut short with "…" names no file
        for p in report.predictions:
            top = " · ".join(f"{name} {prob:.3f}" for name, prob in p.top_k)
            table.add_row(Text(p.file), Text(p.class_name), f"{p.probability:.4f}",
                          *([Text(top)] if top_k > 1 else []))
        out.print(table)
    if report.errors:
        raise typer.Exit(EXIT_USAGE)


@app.command("runs")
@_reported
def list_runs(runs_dir: RunsDirOption = None):
    """List the runs: name, kind, status, epochs, best metrics."""
    from kerascli.runs import list_runs as read_runs
    from kerascli.runs import runs_dir_from

    directory = runs_dir_from(runs_dir)
    found = read_runs(directory)
    if not found:
        out.print(f"no runs in {directory}")
        return
    table = Table(title=f"runs in {directory}")
    for column in ("run", "kind", "status", "epochs", "started (UTC)", "metrics"):
        table.add_column(column, no_wrap=column != "metrics")
    for run_dir, record in found:
        metrics = record.get("final_metrics") or {}
        shown = [key for key in metrics if key.startswith("test_")] or [
            key for key in metrics if key.startswith("val_")] or list(metrics)
        text = " ".join(f"{key} {metrics[key]:.4f}" for key in shown[:4]
                        if isinstance(metrics[key], (int, float)))
        table.add_row(run_dir.name, str(record.get("kind", "?")), str(record.get("status", "?")),
                      str(record.get("epochs", "")), str(record.get("started", ""))[:19], text)
    out.print(table)


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
