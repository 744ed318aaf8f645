"""How fast a trained model answers: exported (ONNX, no TensorFlow) against the Keras path.

Run with `.venv/bin/python benchmarks/predict_latency.py [--run RUN_DIR]`. It uses the newest
completed classification run under ./runs (or `--run`), else trains a small MLP for one epoch in a
temporary runs directory. The run is copied twice into a temporary directory: one copy gets an
ONNX export (`kerascli export`), the other none (so `predict` and `serve` use Keras). It writes the
10,000 MNIST test digits as 28x28 PNGs and measures, as a user sees them (wall time of whole
processes, side by side in one run):

  (a) `python -c "import tensorflow"`, the floor any command that uses TensorFlow pays;
  (b) `kerascli predict one.png`, exported and Keras, median of 3; target (b)/(a) <= 0.15;
  (c) `kerascli predict FOLDER --json > /dev/null` on the 10,000 PNGs, images per second;
  (d) `kerascli serve`: 1,000 POST /predict requests from a local client at concurrency 8:
      p50 and p99 latency, requests per second, errors (must be 0).

Nothing here is a test: it prints the figures. On a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
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
REQUESTS, CONCURRENCY = 1000, 8


def kerascli_command() -> list[str]:
    script = Path(sys.executable).parent / "kerascli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kerascli"]


def wall(command: list[str], stdout=subprocess.DEVNULL) -> float:
    """Runs a command to completion and returns its wall time in seconds."""
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(
            f"failed ({completed.returncode}): {' '.join(command)}\n"
            f"{completed.stderr.decode()[-2000:]}"
        )
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
    wall(
        [
            *kerascli_command(),
            "train",
            str(ROOT / "configs" / "mnist_mlp.yaml"),
            "--quiet",
            "--runs-dir",
            str(runs_dir),
            "--set",
            "fit.epochs=1",
            "--set",
            "data.limit.train=10000",
        ]
    )
    return latest_run(runs_dir)


def copies(run: Path, scratch: Path) -> tuple[Path, Path]:
    """Two copies of the run: one exported to ONNX, one without an export (the Keras path)."""
    ignore = shutil.ignore_patterns(".lock", "checkpoints", "export", "plots", "samples")
    exported, plain = scratch / "exported" / run.name, scratch / "keras" / run.name
    shutil.copytree(run, exported, ignore=ignore)
    shutil.copytree(run, plain, ignore=ignore)
    wall([*kerascli_command(), "export", str(exported), "--format", "onnx"])
    return exported, plain


def write_digits(folder: Path) -> int:
    folder.mkdir()
    digits = read_idx(MNIST / "t10k-images-idx3-ubyte.gz")
    for index, digit in enumerate(digits):
        Image.fromarray(digit).save(folder / f"{index:05d}.png")
    return len(digits)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def drive(base: str, uploads: list[bytes]) -> tuple[list[float], int, float]:
    """`REQUESTS` POST /predict at `CONCURRENCY`; returns latencies (s), errors, total seconds."""
    import httpx

    latencies, errors = [], 0
    queue = list(range(REQUESTS))

    async def worker(client):
        nonlocal errors
        while queue:
            index = queue.pop()
            start = time.perf_counter()
            try:
                response = await client.post(
                    f"{base}/predict",
                    files={"file": ("digit.png", uploads[index % len(uploads)], "image/png")},
                )
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return latencies, errors, time.perf_counter() - start


def serve_figures(run: Path, uploads: list[bytes]) -> tuple[float, float, float, int, str]:
    """Starts `kerascli serve` on the run, drives it, stops it: p50, p99 (ms), req/s, errors."""
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [*kerascli_command(), "serve", str(run), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                engine = httpx.get(f"{base}/health", timeout=1.0).json()["engine"]
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"serve did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        asyncio.run(drive(base, uploads[:50]))  # warm-up, not counted
        latencies, errors, seconds = asyncio.run(drive(base, uploads))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return p50, p99, len(latencies) / seconds, errors, engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", help="the run to predict with [default: newest under ./runs]")
    parser.add_argument("--skip-serve", action="store_true", help="skip the serve figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kerascli-bench-") as scratch_name:
        scratch = Path(scratch_name)
        run = find_or_train_run(scratch, args.run)
        exported, plain = copies(run, scratch)
        count = write_digits(scratch / "digits")
        one = scratch / "digits" / "00000.png"
        predict = {
            "exported": [*kerascli_command(), "predict", "--run", str(exported)],
            "keras": [*kerascli_command(), "predict", "--run", str(plain)],
        }

        import_tf = statistics.median(
            wall([sys.executable, "-c", "import tensorflow"]) for _ in range(REPEATS)
        )
        single = {
            name: statistics.median(wall([*command, str(one)]) for _ in range(REPEATS))
            for name, command in predict.items()
        }
        folder = {
            name: wall([*command, str(scratch / "digits"), "--json"])
            for name, command in predict.items()
        }
        serve = {}
        if not args.skip_serve:
            uploads = [path.read_bytes() for path in sorted((scratch / "digits").iterdir())[:200]]
            serve = {
                name: serve_figures(path, uploads)
                for name, path in (("exported", exported), ("keras", plain))
            }

    print(f"run: {run}   (CPU cores: {os.cpu_count()})")
    print(f"(a) python -c 'import tensorflow':          {import_tf:6.2f} s (median of {REPEATS})")
    for name in ("exported", "keras"):
        print(
            f"(b) kerascli predict one.png, {name:8s}:    {single[name]:6.2f} s "
            f"= {single[name] / import_tf:5.2f}x (a)"
        )
    for name in ("exported", "keras"):
        print(
            f"(c) predict {count:,} PNGs --json, {name:8s}: {folder[name]:6.2f} s "
            f"= {count / folder[name]:7,.0f} images/s end to end"
        )
    for p50, p99, rate, errors, engine in serve.values():
        print(
            f"(d) serve ({engine:5s}) {REQUESTS} requests @ {CONCURRENCY}: p50 {p50:6.1f} ms, "
            f"p99 {p99:6.1f} ms, {rate:6.0f} req/s, {errors} errors"
        )


if __name__ == "__main__":
    main()
