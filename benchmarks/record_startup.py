"""What reading `run.json` through the typed record costs a TensorFlow-free command.

Run with `.venv/bin/python benchmarks/record_startup.py [RUN_DIR]` (default: a run directory
written by an older kerascli, `tests/runs/fixtures/train-completed`). In fresh processes that have
already imported the CLI (as `kerascli predict` has when it checks its run), it times, side by
side and alternated, N times each:

  (a) the baseline: `json.loads` of `run.json` and a status check by key, as kerascli did before
      the record had a type;
  (b) `kerascli.runs.record.load_run`: pydantic's import, the record's models, validation.

Nothing here is a test: it prints the figures. On a shared machine they are noisy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = (
    "import json; r = json.loads((Path(RUN) / 'run.json').read_text()); "
    "assert r.get('status') == 'completed'"
)
TYPED = (
    "from kerascli.runs.record import load_run, RunStatus; "
    "assert load_run(Path(RUN)).status is RunStatus.completed"
)


def _time(code: str, run: Path) -> float:
    script = (
        "import time, kerascli.cli.main; from pathlib import Path; "
        f"RUN = {str(run)!r}; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def main() -> None:
    run = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/runs/fixtures/train-completed"
    rounds = 11
    times: dict[str, list[float]] = {"(a) json.loads": [], "(b) typed record": []}
    for _ in range(rounds):
        times["(a) json.loads"].append(_time(BASELINE, run))
        times["(b) typed record"].append(_time(TYPED, run))
    for label, values in times.items():
        print(
            f"{label}: median {1000 * statistics.median(values):.0f} ms, "
            f"min {1000 * min(values):.0f} ms ({rounds} fresh processes)"
        )


if __name__ == "__main__":
    main()
