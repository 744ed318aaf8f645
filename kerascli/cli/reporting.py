"""Known errors become one line and the SPEC's exit codes, in this one place.

Nothing below the CLI prints or exits: the library raises `KerascliError`s (with where, what and a
hint), and `reported` turns them into `error: <where>: <what> (<hint>)` lines on stderr and the
exit code of their type (`kerascli.errors` draws the tree); an `Interrupted` run says where it is
saved and how to resume it instead. Anything else is the last line of defence: one line naming
the exception, never a traceback unless `KERASCLI_DEBUG=1`.
"""

from __future__ import annotations

import functools
import os

import typer
from rich.console import Console

from kerascli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, Interrupted, KerascliError, one_line

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _debugging() -> bool:
    return os.environ.get("KERASCLI_DEBUG") == "1"


def print_error(error: KerascliError) -> None:
    """Prints an error, and the further problems found with it, one line each."""
    for problem in [error, *error.others]:
        err.print(f"error: {problem.format()}", markup=False)


def load_backend() -> None:
    """Imports TensorFlow (quietly) for the commands that need it."""
    from kerascli.backend import import_keras

    import_keras()


def reported(command):
    """Runs a command, turning known errors into one line and the SPEC's exit codes."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except Interrupted as interrupted:
            err.print(f"interrupted: the run is saved in {interrupted.run_dir}", markup=False)
            err.print(
                f"resume with: kerascli {command.__name__} CONFIG --resume {interrupted.run_dir}",
                markup=False,
            )
            raise typer.Exit(interrupted.exit_code) from None
        except KerascliError as error:
            if _debugging():
                raise
            print_error(error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
            if _debugging():
                raise
            err.print(
                f"error: {type(error).__name__}: {one_line(str(error), 300)} (set "
                "KERASCLI_DEBUG=1 for the traceback)",
                markup=False,
            )
            raise typer.Exit(EXIT_FAILURE) from None

    return wrapper
