"""Errors that kerascli reports to the user as one line, and the exit code of each.

Every way a command can end other than success is a `KerascliError` subclass carrying *where* (a
file path with line:column, or a config key path) and *what*, plus an optional *hint*, and the
exit code the SPEC gives it as a class attribute:

    KerascliError            2  (a problem the user can fix)
    ├── ConfigError          2  the config or an override
    ├── DataError            2  a data file or source
    ├── RunError             2  a run directory
    ├── TrainingFailed       1  training started but could not finish
    └── Interrupted        130  Ctrl-C or SIGTERM; the run is resumable

The CLI (`kerascli.cli.reporting`) prints `error: <where>: <what> (<hint>)` and exits with the
error's `exit_code`; nothing below the CLI prints or exits.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

EXIT_OK = 0  # success
EXIT_FAILURE = 1  # a runtime failure: training diverged, an export disagrees, a bug
EXIT_USAGE = 2  # bad usage, config or input
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERAS_CALL = re.compile(r"^Exception encountered when calling [\w.]+\(\)\.\s*")


class KerascliError(Exception):
    """The base of kerascli's errors: one line, and the exit code it ends the command with.

    Args:
        where: A file path (optionally with `:line:column`) or a config key path such as
            `model.layers[2].Dense.units`. May be empty when no place applies.
        what: What is wrong, in plain words.
        hint: How to fix it. Defaults to `None` (no hint).
    """

    exit_code: int = EXIT_USAGE

    def __init__(self, where: str, what: str, hint: str | None = None):
        self.where = str(where)
        self.what = what
        self.hint = hint
        # Further problems found in the same pass, each reported on its own line.
        self.others: list[KerascliError] = []
        super().__init__(self.format())

    def format(self) -> str:
        """Returns the one-line message, without the `error: ` prefix."""
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.hint:
            text += f" ({self.hint})"
        return " ".join(text.split("\n"))


class ConfigError(KerascliError):
    """The experiment config, or an override of it, is invalid."""


class DataError(KerascliError):
    """A data file or data source is missing, unreadable or inconsistent."""


class RunError(KerascliError):
    """A run directory is missing, busy, or does not hold what the command needs."""


class TrainingFailed(KerascliError):
    """Training started but could not finish (for example the loss became NaN)."""

    exit_code = EXIT_FAILURE


class Interrupted(KerascliError):
    """Training was stopped by Ctrl-C or SIGTERM; the run is resumable.

    Args:
        run_dir: The interrupted run directory.
    """

    exit_code = EXIT_INTERRUPTED

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        super().__init__(str(run_dir), "interrupted; the run is saved and resumable")


def article(word: str) -> str:
    """`a` or `an` for a word ('an optimizer', 'an int', 'a layer')."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Returns a `did you mean ...?` hint for a misspelt word, or `None`.

    Args:
        word: The word the user wrote.
        choices: The words that would have been valid.

    Returns:
        A hint such as `did you mean 'Conv2D'?`, or `None` when nothing is close.
    """
    by_lower: dict[str, str] = {}
    # Sorted, and the spelling in the user's own case style wins ('accuracy' over 'Accuracy'),
    # so the same typo always gets the same suggestion.
    for choice in sorted(choices):
        kept = by_lower.get(choice.lower())
        if kept is None or (
            choice.islower() == word.islower() and kept.islower() != word.islower()
        ):
            by_lower[choice.lower()] = choice
    if word.lower() in by_lower:
        return f"did you mean {by_lower[word.lower()]!r}?"
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.7)
    if close:
        return f"did you mean {by_lower[close[0]]!r}?"
    return None


def one_line(error: BaseException | str, limit: int = 200) -> str:
    """An exception's message (Keras' included) as part of one line: the one message shortener.

    Keras wraps the real complaint: a failed deserialization re-raises "could not be
    deserialized properly" over the cause ("Could not locate class ..."), a failed call opens
    with "Exception encountered when calling ..." and ends with the arguments it received, and
    messages embed whole configs and terminal colour codes. What is left without those says
    what went wrong.

    Args:
        error: The exception (its innermost cause is used), or a message.
        limit: The most characters kept. Defaults to 200.

    Returns:
        The message, one line, at most `limit` characters (cut at a word, ending in `...`), or the
        exception's class name when it has no message.
    """
    if isinstance(error, BaseException):
        fallback = type(error).__name__
        innermost = error
        # Down the chain of causes (and of contexts, unless `raise ... from None` hid them).
        while (
            below := innermost.__cause__
            or (None if innermost.__suppress_context__ else innermost.__context__)
        ) is not None:
            innermost = below
        text = str(innermost)
    else:
        fallback, text = "no reason given", error
    text = _ANSI.sub("", text)
    for tail in ("config=", "Full object config:", "Arguments received by"):
        text = text.split(tail)[0]
    text = text.split("Exception encountered:")[-1]
    text = _KERAS_CALL.sub("", " ".join(text.split()))
    return clip(text, limit) or fallback


def clip(text: str, limit: int) -> str:
    """`text` on one line, unquoted, cut at a word to at most `limit` characters (`...` added)."""
    text = " ".join(text.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]  # a KeyError's message is its quoted key
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,.:;") + "..."
