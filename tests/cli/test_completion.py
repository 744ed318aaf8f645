"""Shell completion as the shell asks for it: `_KERASCLI_COMPLETE` with the words typed so far.

Each case runs `python -m kerascli` in a fresh process in a folder holding real run directories
(with their run.json) and config files, exactly as bash's or zsh's completion function does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A folder with two runs, config files, and other files completion must leave out."""
    for name, kind, status, started in [
        ("mnist-20260101T000000Z", "train", "completed", "2026-01-01T00:00:00+00:00"),
        ("dcgan-20260102T000000Z", "gan", "interrupted", "2026-01-02T00:00:00+00:00"),
    ]:
        run = tmp_path / "runs" / name
        run.mkdir(parents=True)
        (run / "run.json").write_text(
            json.dumps({"kind": kind, "status": status, "started": started}), encoding="utf-8"
        )
    (tmp_path / "runs" / "not-a-run").mkdir()
    (tmp_path / "configs" / "more").mkdir(parents=True)
    for name in (
        "configs/base.yaml",
        "configs/fast.yml",
        "configs/notes.txt",
        "top.yaml",
        "data.csv",
        ".hidden.yaml",
    ):
        (tmp_path / name).write_text("name: x\n", encoding="utf-8")
    return tmp_path


def complete(cwd: Path, typed: str, shell: str = "bash", **env_vars) -> list[str]:
    """The completions a shell gets for the command line `typed` (the cursor at its end)."""
    env = {key: value for key, value in os.environ.items() if key != "KERASCLI_RUNS"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_vars)
    words = typed.split()
    if shell == "bash":
        env.update(
            _KERASCLI_COMPLETE="complete_bash",
            COMP_WORDS=typed,
            COMP_CWORD=str(len(words) if typed.endswith(" ") else len(words) - 1),
        )
    else:
        env.update(_KERASCLI_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS=typed)
    result = subprocess.run(
        [sys.executable, "-m", "kerascli"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.splitlines()


MNIST, DCGAN = "runs/mnist-20260101T000000Z", "runs/dcgan-20260102T000000Z"


@pytest.mark.parametrize(
    "typed, expected",
    [
        pytest.param("kerascli train ", ["configs/", "runs/", "top.yaml"], id="train-top-level"),
        pytest.param(
            "kerascli train configs/",
            ["configs/base.yaml", "configs/fast.yml", "configs/more/"],
            id="train-in-a-folder",
        ),
        pytest.param("kerascli train configs/f", ["configs/fast.yml"], id="train-prefix"),
        pytest.param(
            "kerascli train configs/base.yaml configs/",
            ["configs/base.yaml", "configs/fast.yml", "configs/more/"],
            id="train-second-file",
        ),
        pytest.param("kerascli gan t", ["top.yaml"], id="gan"),
        pytest.param("kerascli validate c", ["configs/"], id="validate"),
        pytest.param("kerascli config configs/b", ["configs/base.yaml"], id="config"),
        pytest.param("kerascli train .h", [".hidden.yaml"], id="hidden-when-asked"),
        pytest.param("kerascli evaluate ", [DCGAN, MNIST, "configs/", "runs/"], id="evaluate"),
        pytest.param("kerascli evaluate runs/m", [MNIST], id="evaluate-prefix"),
        pytest.param(
            "kerascli sample runs/",
            [DCGAN, MNIST, "runs/not-a-run/"],
            id="runs-first-then-other-folders",
        ),
        pytest.param("kerascli predict --run runs/d", [DCGAN], id="predict-run-option"),
    ],
)
def test_bash_completion(workspace, typed, expected):
    assert complete(workspace, typed) == expected


def test_runs_come_from_kerascli_runs(workspace):
    elsewhere = workspace / "elsewhere"
    (workspace / "runs").rename(elsewhere)
    got = complete(workspace, "kerascli evaluate ", KERASCLI_RUNS=str(elsewhere))
    assert got[:2] == [
        str(elsewhere / "dcgan-20260102T000000Z"),
        str(elsewhere / "mnist-20260101T000000Z"),
    ]


def test_zsh_completion_describes_each_run(workspace):
    got = "\n".join(complete(workspace, "kerascli evaluate runs/", shell="zsh"))
    assert f'"{DCGAN}":"gan, interrupted"' in got
    assert f'"{MNIST}":"train, completed"' in got


def test_show_completion_prints_the_shell_script():
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, "-m", "kerascli", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "_KERASCLI_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _kerascli_completion kerascli" in result.stdout
