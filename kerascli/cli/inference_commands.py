"""The commands that make a trained model fast to use: `export` and `serve`.

`export` needs TensorFlow (Keras' own exporters); `serve` does not when the run has an ONNX or
LiteRT export and its runtime is installed, and loads Keras otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from kerascli.cli.fallback import use_keras
from kerascli.cli.options import complete_run_dirs
from kerascli.cli.reporting import err, load_backend, out, reported
from kerascli.errors import EXIT_FAILURE, RunError
from kerascli.inference.formats import FORMATS, format_help, parse_formats
from kerascli.runs.saved import check_run, open_gan_run, open_run

RunDirArgument = Annotated[
    Path,
    typer.Argument(
        metavar="RUN_DIR",
        autocompletion=complete_run_dirs,
        help="A run directory made by kerascli train or kerascli gan.",
    ),
]


def _open_any(run_dir: Path):
    """Opens a trained run, or a GAN run (whose generator is what gets used)."""
    from kerascli.runs.record import load_run

    if load_run(run_dir).is_gan:
        return open_gan_run(run_dir), "generator"
    return open_run(run_dir), "model"


def _size(size: int) -> str:
    return f"{size / 1024:,.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MiB"


@reported
def export(
    run_dir: RunDirArgument,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help=format_help(),
            autocompletion=lambda: [item.value for item in FORMATS],
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Run each exported format on test examples beside the Keras model and "
            "compare; exit 1 if one disagrees.",
        ),
    ] = False,
    examples: Annotated[
        int,
        typer.Option("--examples", min=1, max=10000, help="How many test examples --check runs."),
    ] = 200,
):
    """Export a run's model (a GAN's generator) to RUN_DIR/export/ for fast, TensorFlow-free use.

    A CSV or text run exports the network after its FeatureSpace or TextVectorization, whose
    vocabularies and statistics the manifest records for predict and serve. With --check and no
    --format, the run's current export is checked as it is (ONNX is exported
    first when the run has none).
    """
    from kerascli.inference.manifest import current_export

    chosen = parse_formats(formats)
    run, network = _open_any(run_dir)
    if check and not formats and current_export(run.run_dir, network)[0]:
        chosen = []
    load_backend()
    from kerascli.commands.export import export_run

    exported = export_run(run, chosen, network) if chosen else []
    for item in exported:
        out.print(f"exported: {item.export_format} {item.path} ({_size(item.size)})", markup=False)
    if exported:
        from kerascli.tracking.track import log_export

        log_export(run.run_dir, [item.path for item in exported], console=err)  # if tracked
    if check:
        from kerascli.commands.export_check import check_export

        checks = check_export(run, network, examples)
        _print_checks(checks)
        if not all(item.agrees for item in checks):
            bad = ", ".join(item.export_format for item in checks if not item.agrees)
            err.print(f"error: {run_dir}: {bad} disagree(s) with the Keras model", markup=False)
            raise typer.Exit(EXIT_FAILURE)


def _print_checks(checks) -> None:
    table = Table(title=f"exports beside Keras on {checks[0].examples} test examples")
    for column in ("format", "size", "agreement", "max abs diff", "ms / example", "ok"):
        table.add_column(column, justify="left" if column == "format" else "right", no_wrap=True)
    for item in checks:
        agreement = "-" if item.agreement is None else f"{item.agreement:.2%}"
        table.add_row(
            item.export_format,
            _size(item.size),
            agreement,
            f"{item.max_abs_diff:.2e}",
            f"{item.ms_per_example:.3f}",
            "yes" if item.agrees else Text("NO", style="bold red"),
        )
    out.print(table)


@reported
def serve(
    run_dir: RunDirArgument,
    host: Annotated[
        str,
        typer.Option(help="The address to listen on; 0.0.0.0 exposes the model to the network."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The port.")] = 8000,
):
    """Serve a run's model over HTTP: POST /predict (an image, a CSV or a text file, as predict
    takes), GET /health, docs at /docs."""
    try:
        import uvicorn

        from kerascli.inference.server import make_app
    except ImportError as error:
        raise RunError("serve", f"needs {error.name}", "pip install kerascli[serve]") from None
    from kerascli.inference.engine import choose_engine

    check_run(run_dir)
    choice = choose_engine(run_dir)
    if choice.exported is not None:
        from kerascli.inference.exported import exported_predictor

        predictor = exported_predictor(choice.exported)
    else:
        run = open_run(run_dir)
        use_keras(choice, "serving")
        from kerascli.commands.predict import keras_predictor

        predictor = keras_predictor(run)
    err.print(
        f"serving {run_dir} ({predictor.engine}) on http://{host}:{port} "
        "(docs at /docs; Ctrl-C stops)",
        markup=False,
    )
    uvicorn.run(make_app(predictor), host=host, port=port, log_level="warning")
