"""The error tree and its exit codes, as a command run through `reported` ends with them."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from kerascli.cli.reporting import reported
from kerascli.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    DataError,
    Interrupted,
    KerascliError,
    RunError,
    TrainingFailed,
)

runner = CliRunner()

TREE = [
    (ConfigError("model.layers[0]", "unknown layer 'Dens'", "did you mean 'Dense'?"), 2),
    (DataError("train.csv:3", "has 2 values, the header has 3 columns"), 2),
    (RunError("runs/x", "no such run directory"), 2),
    (KerascliError("", "something the user can fix"), 2),
    (TrainingFailed("runs/x", "the loss became NaN or infinite in epoch 1"), 1),
    (Interrupted("runs/x"), 130),
]


def test_the_exit_codes_are_the_specs():
    assert (EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED) == (0, 1, 2, 130)


@pytest.mark.parametrize("error, code", TREE, ids=lambda item: type(item).__name__)
def test_every_error_is_in_the_one_tree_with_its_exit_code(error, code):
    assert isinstance(error, KerascliError) and error.exit_code == code


def _app(error: BaseException | None) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @reported
    def train():
        if error is not None:
            raise error

    return app


@pytest.mark.parametrize("error, code", TREE, ids=lambda item: type(item).__name__)
def test_a_command_ends_with_its_errors_exit_code(error, code):
    result = runner.invoke(_app(error), [])
    assert result.exit_code == code
    assert "Traceback" not in result.output
    if isinstance(error, Interrupted):
        assert result.stderr.splitlines() == [
            "interrupted: the run is saved in runs/x",
            "resume with: kerascli train CONFIG --resume runs/x",
        ]
    else:
        assert result.stderr.splitlines() == [f"error: {error.format()}"]


@pytest.mark.parametrize(
    "error, code, line",
    [
        (None, EXIT_OK, None),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted"),
        (
            ZeroDivisionError("division by zero"),
            EXIT_FAILURE,
            "error: ZeroDivisionError: division by zero (set KERASCLI_DEBUG=1 for the traceback)",
        ),
    ],
)
def test_success_ctrl_c_and_the_unexpected(error, code, line):
    result = runner.invoke(_app(error), [])
    assert result.exit_code == code
    assert result.stderr.splitlines() == ([line] if line else [])
