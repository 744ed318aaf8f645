"""Types, checked: mypy (configured in pyproject.toml) on the packages that import no TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

# The TensorFlow-free packages mypy keeps clean (pyproject's [tool.mypy]; config, report, runs and
# errors also fully annotated).
CHECKED = [
    "kerascli/config",
    "kerascli/report",
    "kerascli/runs",
    "kerascli/errors.py",
    "kerascli/inference",
]


def test_mypy_is_clean():
    try:
        import mypy  # noqa: F401 - only to say how to install it when missing
    except ImportError:
        pytest.fail("mypy is not installed: pip install -e '.[test]'")
    result = subprocess.run(
        # mypy's own cache (.mypy_cache, checked against each file's hash) makes reruns quick.
        [sys.executable, "-m", "mypy", *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
