"""The architecture, checked: import-linter's contracts (pyproject.toml), module sizes, no
cycles."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "kerascli"
# "A file per job of ~100-300 lines": past this, a module is doing more than one job.
MAX_MODULE_LINES = 350


def _lint_imports() -> str:
    found = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(found).exists():
        pytest.fail("import-linter is not installed: pip install -e '.[test]'")
    return found


def test_import_contracts_are_kept():
    result = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_the_contracts_would_catch_tensorflow_in_the_config(tmp_path):
    """A contract that cannot fail proves nothing: a copy of the package whose config imports
    TensorFlow must break the forbidden contract."""
    copy = tmp_path / "project"
    shutil.copytree(PACKAGE, copy / "kerascli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    keys = copy / "kerascli" / "config" / "keys.py"
    keys.write_text(keys.read_text() + "\n\ndef _sneaky():\n    import tensorflow  # noqa\n")
    result = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0, result.stdout
    assert "kerascli.config.keys -> tensorflow" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "module", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE))
)
def test_modules_stay_small(module):
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{module.relative_to(ROOT)} has {lines} lines"


def test_every_package_folder_says_what_it_is_for():
    for init in PACKAGE.rglob("__init__.py"):
        text = init.read_text(encoding="utf-8").strip()
        assert text.startswith('"""'), f"{init.relative_to(ROOT)} has no docstring"
