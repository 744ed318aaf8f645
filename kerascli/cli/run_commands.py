"""The commands that use finished runs: `evaluate`, `predict` and `sample`.

Each opens its run once, without TensorFlow (so a bad run is reported at once), and hands the
opened run down to its story in `kerascli.commands`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

import typer

from kerascli.cli import render
from kerascli.cli.fallback import use_keras
from kerascli.cli.options import RunsDirOption, SetOption, complete_run_dirs
from kerascli.cli.reporting import load_backend, out, print_error, reported
from kerascli.errors import EXIT_USAGE
from kerascli.runs.layout import EVALUATION_FILE, REPORT_FILE, runs_dir_from
from kerascli.runs.records import latest_run
from kerascli.runs.saved import check_gan_run, check_run, open_gan_run, open_run


@reported
def evaluate(
    run_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RUN_DIR",
            autocompletion=complete_run_dirs,
            help="A run directory made by kerascli train.",
        ),
    ],
    set_: SetOption = None,
):
    """Evaluate a run's model on its test data; write evaluation.json and plots."""
    run = open_run(run_dir, set_)
    load_backend()
    from kerascli.commands.evaluate import evaluate_run

    evaluation = evaluate_run(run)
    render.print_evaluation(
        evaluation,
        [run_dir / written for written in [EVALUATION_FILE, *evaluation.plots, REPORT_FILE]],
    )


@reported
def predict(
    images: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE_OR_DIR",
            help="What the run was trained on: image files (PNG, JPEG, BMP) "
            "and directories of them, CSV files (one prediction per row), or text files.",
        ),
    ],
    run: Annotated[
        Path | None,
        typer.Option(
            "--run",
            autocompletion=complete_run_dirs,
            help="The run whose model predicts (default: "
            "the newest completed "
            "classification run in the runs directory).",
        ),
    ] = None,
    top_k: Annotated[
        int, typer.Option("--top-k", min=1, help="List the K most probable classes.")
    ] = 1,
    json_lines: Annotated[
        bool, typer.Option("--json", help="One JSON object per line per file.")
    ] = False,
    invert: Annotated[
        Literal["auto", "yes", "no"],
        typer.Option(
            help="Invert images to white-on-black; auto does it for light-background images when "
            "the model was trained on dark-background (MNIST-like) data."
        ),
    ] = "auto",
    runs_dir: RunsDirOption = None,
):
    """Predict with a trained run's model: images, CSV rows or text files.

    A run with an ONNX or LiteRT export (kerascli export) predicts through it, without
    TensorFlow.
    """
    run_dir = run if run is not None else latest_run(runs_dir_from(runs_dir))
    from kerascli.inference.classify import check_invert
    from kerascli.inference.engine import choose_engine

    check_run(run_dir)  # the checks of open_run, without the config the export does not need
    check_invert(invert)
    choice = choose_engine(run_dir)
    if choice.exported is not None:  # the exported model: no TensorFlow, no config
        from kerascli.inference.exported import exported_predictor
        from kerascli.inference.own import predict_with

        predictor = exported_predictor(choice.exported)
        report = predict_with(predictor, images, top_k=top_k, invert=invert)
    else:
        opened = open_run(run_dir)
        use_keras(choice, "predicting")
        from kerascli.commands.predict import predict_files

        report = predict_files(images, opened, top_k=top_k, invert=invert)
    for problem in report.errors:
        print_error(problem)
    render.print_predictions(report, top_k=top_k, json_lines=json_lines)
    if report.errors:
        raise typer.Exit(EXIT_USAGE)


@reported
def sample(
    run_dir: Annotated[
        Path,
        typer.Argument(
            metavar="RUN_DIR", autocompletion=complete_run_dirs, help="A run made by kerascli gan."
        ),
    ],
    count: Annotated[
        int, typer.Option("-n", "--count", min=1, max=1024, help="How many images to draw.")
    ] = 64,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", help="The grid image to write (.png, .jpg or .bmp).")
    ] = Path("samples.png"),
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed the noise for the same images every time.")
    ] = None,
):
    """Draw new images from a trained GAN's generator into one grid image."""
    check_gan_run(run_dir)
    from kerascli.inference.engine import choose_engine

    choice = choose_engine(run_dir, "generator")
    if choice.exported is not None:  # the exported generator: no TensorFlow, no config
        from kerascli.inference.exported import exported_generator
        from kerascli.inference.generate import sample_grid

        generate, scaling, latent_dim = exported_generator(choice.exported)
        seed = seed if seed is not None else secrets.randbelow(2**31)
        written = sample_grid(
            generate, scaling, latent_dim=latent_dim, count=count, out=out_file, seed=seed
        )
    else:
        run = open_gan_run(run_dir)
        use_keras(choice, "sampling")
        from kerascli.commands.sample import sample as draw

        written = draw(run, count=count, out=out_file, seed=seed)
    out.print(f"wrote: {written} ({count} images)", markup=False)
