"""How fast a CSV or text run answers: exported (ONNX, numpy encoders, no TensorFlow) against Keras.

Run with `.venv/bin/python benchmarks/predict_own_latency.py`. It writes a weather table and a
folder of short reviews (the same generators as the tests), trains a tiny classifier on each for
two epochs in a temporary runs directory, and copies each run twice: one copy exported to ONNX,
one without an export (so `predict` uses Keras). Then, as a user sees them (wall time of whole
processes, median of 3, side by side in one run):

  (a) `python -c "import tensorflow"`, the floor any command that uses TensorFlow pays;
  (b) `kerascli predict one_row.csv` / `one_review.txt`, exported and Keras;
  (c) `kerascli predict` on 10,000 CSV rows / 2,000 text files `--json > /dev/null`, examples
      per second.

Nothing here is a test: it prints the figures. On a shared machine they are noisy.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402 - after the sys.path line above, which makes benchmarks importable

from benchmarks.predict_latency import kerascli_command, wall  # noqa: E402
from kerascli.runs.records import latest_run  # noqa: E402
from tests.own_files import (  # noqa: E402
    WEATHER_HEADER,
    csv_config,
    text_config,
    weather_rows,  # noqa: E402
    write_csv,
    write_reviews,
    write_weather,
)

REPEATS = 3
ROWS, TEXTS = 10_000, 2_000


def train(config: dict, scratch: Path, name: str) -> Path:
    config["fit"]["epochs"] = 2
    path = scratch / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    runs = scratch / f"runs-{name}"
    wall([*kerascli_command(), "train", str(path), "--quiet", "--runs-dir", str(runs)])
    return latest_run(runs)


def copies(run: Path, scratch: Path) -> tuple[Path, Path]:
    """One copy of the run exported to ONNX, one without an export (the Keras path)."""
    ignore = shutil.ignore_patterns(".lock", "checkpoints", "export", "plots")
    exported, plain = scratch / "exported" / run.name, scratch / "keras" / run.name
    shutil.copytree(run, exported, ignore=ignore)
    shutil.copytree(run, plain, ignore=ignore)
    wall([*kerascli_command(), "export", str(exported), "--format", "onnx"])
    return exported, plain


def median_wall(command: list[str]) -> float:
    return statistics.median(wall(command) for _ in range(REPEATS))


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        scratch = Path(name)
        print("training a tiny CSV classifier and a tiny text classifier ...", flush=True)
        write_weather(scratch)
        write_reviews(scratch / "reviews")
        table = train(csv_config(scratch / "train.csv", scratch / "test.csv"), scratch, "table")
        text = train(text_config(scratch / "reviews"), scratch, "text")
        one_row = write_csv(scratch / "one_row.csv", WEATHER_HEADER, weather_rows(1, seed=3))
        many_rows = write_csv(scratch / "rows.csv", WEATHER_HEADER, weather_rows(ROWS, seed=4))
        write_reviews(scratch / "many", {"all": TEXTS // 2}, seed=5)
        one_text = next((scratch / "many" / "all" / "pos").iterdir())
        floor = median_wall([sys.executable, "-c", "import tensorflow"])
        kerascli = kerascli_command()
        print(f"\n{'':42}{'exported (ONNX)':>22}{'Keras':>22}")
        floor_label = 'python -c "import tensorflow"'
        print(f"{floor_label:42}{floor:>21.2f}s")
        for label, run, one, many, count in (
            ("CSV", table, one_row, many_rows, ROWS),
            ("text", text, one_text, scratch / "many" / "all", TEXTS),
        ):
            exported, plain = copies(run, scratch / label)
            single = [
                median_wall([*kerascli, "predict", str(one), "--run", str(copy)])
                for copy in (exported, plain)
            ]
            print(
                f"{f'predict one {label} example, fresh process':42}"
                + "".join(f"{s:>11.2f}s ({s / floor:.2f}x)" for s in single)
            )
            rates = [
                count / wall([*kerascli, "predict", str(many), "--run", str(copy), "--json"])
                for copy in (exported, plain)
            ]
            print(
                f"{f'predict {count:,} {label} examples --json':42}"
                + "".join(f"{rate:>17,.0f} ex/s" for rate in rates),
                flush=True,
            )


if __name__ == "__main__":
    main()
