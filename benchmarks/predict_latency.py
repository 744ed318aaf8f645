"""How fast `kerascli predict` answers: one image, and a folder of 10,000 MNIST test digits.

Run with `.venv/bin/python benchmarks/predict_latency.py [--run RUN_DIR]`. It uses the newest
completed classification run under ./runs (or `--run`), else trains a small MLP for one epoch in a
temporary runs directory. It writes the 10,000 MNIST test digits as 28x28 PNGs to a temporary
directory and measures, as a user sees them (wall time of whole processes):

  (a) `python -c "import tensorflow"`, the floor any command that uses TensorFlow pays;
  (b) `kerascli predict one.png`, median of 3;
  (c) `kerascli predict FOLDER --json > /dev/null` on the 10,000 PNGs, as images per second.

Nothing here is a test: it prints the figures and the ratio (b)/(a).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from kerascli.data.idx import read_idx  # noqa: E402
from kerascli.errors import RunError  # noqa: E402
from kerascli.runs.records import latest_run  # noqa: E402

MNIST = ROOT / "data" / "mnist"
REPEATS = 3


def kerascli_command() -> list[str]:
    script = Path(sys.executable).parent / "kerascli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kerascli"]


def wall(command: list[str], stdout=subprocess.DEVNULL) -> float:
    """Runs a command to completion and returns its wall time in seconds."""
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"failed ({completed.returncode}): {' '.join(command)}\n"
                 f"{completed.stderr.decode()[-2000:]}")
    return elapsed


def find_or_train_run(scratch: Path, given: str | None) -> Path:
    if given:
        return Path(given)
    try:
        return latest_run(ROOT / "runs")
    except RunError:
        pass
    print("no completed run under ./runs: training a small MLP for one epoch ...", flush=True)
    runs_dir = scratch / "runs"
    wall([*kerascli_command(), "train", str(ROOT / "configs" / "mnist_mlp.yaml"), "--quiet",
          "--runs-dir", str(runs_dir), "--set", "fit.epochs=1", "--set", "data.limit.train=10000"])
    return latest_run(runs_dir)


def write_digits(folder: Path) -> int:
    folder.mkdir()
    digits = read_idx(MNIST / "t10k-images-idx3-ubyte.gz")
    for index, digit in enumerate(digits):
        Image.fromarray(digit).save(folder / f"{index:05d}.png")
    return len(digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", help="the run to predict with [default: newest under ./runs]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascli-bench-") as scratch_name:
        scratch = Path(scratch_name)
        run = find_or_train_run(scratch, args.run)
        count = write_digits(scratch / "digits")
        one = scratch / "digits" / "00000.png"
        predict = [*kerascli_command(), "predict", "--run", str(run)]

        import_tf = statistics.median(
            wall([sys.executable, "-c", "import tensorflow"]) for _ in range(REPEATS))
        single = statistics.median(wall([*predict, str(one)]) for _ in range(REPEATS))
        folder = wall([*predict, str(scratch / "digits"), "--json"])

    print(f"run:                                   {run}")
    print(f"(a) python -c 'import tensorflow':     {import_tf:6.2f} s (median of {REPEATS})")
    print(f"(b) kerascli predict one.png:          {single:6.2f} s (median of {REPEATS})")
    print(f"    ratio (b)/(a):                     {single / import_tf:6.2f}")
    print(f"(c) kerascli predict {count:,} PNGs --json: {folder:6.2f} s  "
          f"= {count / folder:,.0f} images/s end to end, "
          f"{count / max(folder - single, 1e-9):,.0f} images/s past start-up")


if __name__ == "__main__":
    main()
