"""`kerascli serve`: a real server process on 127.0.0.1, driven with good and bad uploads.

The server is started once per module on a free port, asked a bounded number of requests with
short timeouts, and always stopped (SIGTERM) at the end; the test of Ctrl-C starts its own.
"""

from __future__ import annotations

import io
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import ROOT, train_tiny_run, write_digit_pngs

TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(run_dir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        [sys.executable, "-m", "kerascli", "serve", str(run_dir), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read()}")
        try:
            if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    stop(process)
    raise AssertionError("serve did not answer /health within 60 s")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    return process.returncode, process.stderr.read()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    run = train_tiny_run(tmp_path_factory.mktemp("serve"))
    result = CliRunner().invoke(app, ["export", str(run)])
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def server(run_dir):
    process, base = start_server(run_dir)
    try:
        yield base
    finally:
        code, stderr = stop(process)
        assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return write_digit_pngs(tmp_path_factory.mktemp("digits"), 8)


def png_bytes(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def bomb_png(side: int = 100_000) -> bytes:
    """A valid PNG header claiming side x side pixels (10 billion), with a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


def post(base: str, content: bytes, name: str = "digit.png", **params) -> httpx.Response:
    return httpx.post(
        f"{base}/predict",
        files={"file": (name, content, "image/png")},
        params=params,
        timeout=TIMEOUT,
    )


def test_health_and_docs(server, run_dir):
    health = httpx.get(f"{server}/health", timeout=TIMEOUT).json()
    assert health == {"status": "ok", "run": str(run_dir), "engine": "onnx", "classes": 10}
    assert httpx.get(f"{server}/docs", timeout=TIMEOUT).status_code == 200
    paths = httpx.get(f"{server}/openapi.json", timeout=TIMEOUT).json()["paths"]
    assert set(paths) == {"/health", "/predict"}


def test_light_background_uploads_are_inverted_as_predict_does(server, run_dir, digits):
    from kerascli.inference.classify import classify_files
    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor

    files, _ = digits
    paper = files[0].with_name("paper.png")
    paper.write_bytes(png_bytes(255 - np.asarray(Image.open(files[0]))))
    classifier = exported_predictor(choose_engine(run_dir).exported)
    expected = classify_files([paper], classifier).predictions[0]
    assert expected.inverted
    response = post(server, paper.read_bytes(), "paper.png")
    assert response.status_code == 200, response.text
    assert response.json() == {**expected.to_json(), "file": "paper.png"}


def test_predict_answers_as_predict_json(server, run_dir, digits):
    """Each upload's answer is the object `kerascli predict --json` prints for the same file."""
    from kerascli.inference.classify import classify_files
    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor

    files, _ = digits
    classifier = exported_predictor(choose_engine(run_dir).exported)
    expected = classify_files(files, classifier, top_k=3).predictions
    for path, want in zip(files, expected):
        response = post(server, path.read_bytes(), path.name, top_k=3)
        assert response.status_code == 200, response.text
        assert response.json() == {**want.to_json(), "file": path.name}


@pytest.mark.parametrize(
    "content, name, status, message",
    [
        (b"", "empty.png", 400, "the upload is empty"),
        (
            b"hello, not an image",
            "notes.png",
            415,
            "notes.png: not a PNG, JPEG or BMP image (the content is not one of those formats)",
        ),
        (
            b"GIF89a" + b"\0" * 64,
            "anim.gif",
            415,
            "anim.gif: not a PNG, JPEG or BMP image (the content is not one of those formats)",
        ),
        (
            png_bytes(np.random.default_rng(0).integers(0, 256, (64, 64), np.uint8))[:2000],
            "cut.png",
            422,
            "cut.png: truncated image: ",
        ),
        (
            bomb_png(),
            "bomb.png",
            422,
            "bomb.png: too many pixels: refused as a "
            "possible decompression bomb (the limit is 89,478,485 pixels) (use a smaller image)",
        ),
        (b"\0" * (11 * 1024 * 1024), "huge.png", 413, "the upload is larger than 10,485,760 bytes"),
    ],
)
def test_bad_uploads_get_a_json_error_and_the_server_keeps_serving(
    server, digits, content, name, status, message
):
    response = post(server, content, name)

    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"].startswith(message), body
    files, _ = digits
    assert post(server, files[0].read_bytes()).status_code == 200


def test_requests_the_api_cannot_take_are_4xx_json(server):
    no_file = httpx.post(f"{server}/predict", data={"x": "1"}, timeout=TIMEOUT)
    assert no_file.status_code == 422
    assert no_file.json() == {"error": "no file: send it as the multipart field 'file'"}
    as_json = httpx.post(f"{server}/predict", json={"image": "x"}, timeout=TIMEOUT)
    assert as_json.status_code == 415
    assert as_json.json() == {"error": "send the image as the multipart field 'file'"}
    bad_top_k = post(server, b"x", top_k=0)
    assert bad_top_k.status_code == 422 and "detail" in bad_top_k.json()
    assert httpx.get(f"{server}/predict", timeout=TIMEOUT).status_code == 405
    assert httpx.get(f"{server}/health", timeout=TIMEOUT).status_code == 200


def test_the_keras_path_serves_the_same_answers(run_dir, digits):
    """A run served through Keras (no export usable) answers as through ONNX (in-process app)."""
    from fastapi.testclient import TestClient

    from kerascli.commands.predict import keras_classifier
    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor
    from kerascli.inference.server import make_app
    from kerascli.runs.saved import open_run

    files, _ = digits
    with (
        TestClient(make_app(keras_classifier(open_run(run_dir)))) as keras_client,
        TestClient(make_app(exported_predictor(choose_engine(run_dir).exported))) as onnx_client,
    ):
        assert keras_client.get("/health").json()["engine"] == "keras"
        for path in files[:4]:
            upload = {"file": (path.name, path.read_bytes(), "image/png")}
            keras_answer = keras_client.post("/predict", files=upload, params={"top_k": 2}).json()
            onnx_answer = onnx_client.post("/predict", files=upload, params={"top_k": 2}).json()
            assert [t["class"] for t in keras_answer["top_k"]] == [
                t["class"] for t in onnx_answer["top_k"]
            ]
            assert abs(keras_answer["probability"] - onnx_answer["probability"]) <= 2e-6


def test_ctrl_c_stops_the_server_cleanly(run_dir):
    process, base = start_server(run_dir)
    assert httpx.get(f"{base}/health", timeout=TIMEOUT).status_code == 200

    code, stderr = stop(process, signal.SIGINT)

    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert f"serving {run_dir} (onnx) on http://127.0.0.1:" in stderr
