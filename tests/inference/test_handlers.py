"""`serve`'s handlers, one per input kind, in-process on real tiny numpy models: each bad request's
HTTP status comes from its error's type, with its one line."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from kerascli.data.images.files import UnsupportedImage
from kerascli.errors import DataError
from kerascli.inference.classify import Classifier
from kerascli.inference.handlers import (
    ImageHandler,
    RowsHandler,
    TextsHandler,
    handler_for,
)
from kerascli.inference.http_errors import (
    BadRequest,
    PayloadTooLarge,
    UnprocessableInput,
    UnsupportedMediaType,
    for_data_error,
)
from kerascli.inference.inputs import ImageInput, Scaling
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput, TextInput
from kerascli.inference.server import make_app

LIMIT = 4000
WEIGHTS = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
VECTORIZATION = {
    "output_mode": "count",
    "vocabulary": ["[UNK]", "good", "bad"],
    "width": 3,
    "standardize": "lower",
    "split": "whitespace",
}


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def image_classifier(run_dir) -> Classifier:
    """A 4x4 grayscale classifier of 3 classes: a numpy linear layer and a softmax."""
    image = ImageInput(4, 4, 1, False, Scaling(None, 255.0, None))
    return Classifier(
        run_dir, image, ["a", "b", "c"], lambda x: softmax(x.reshape(-1, 16) @ WEIGHTS), "numpy"
    )


def text_classifier(run_dir) -> OwnPredictor:
    """Texts by their counts of `good` and `bad`: positive when `good` outnumbers `bad`."""
    source = TextInput(VECTORIZATION)
    weights = np.array([[0.0, 0.0], [-1.0, 1.0], [1.0, -1.0]], np.float32)
    return OwnPredictor(
        run_dir,
        source,
        ["neg", "pos"],
        lambda texts: softmax(source.prepare(texts) @ weights),
        "numpy",
    )


def png(side: int = 4) -> bytes:
    buffer = io.BytesIO()
    pixels = np.random.default_rng(1).integers(0, 256, (side, side), np.uint8)
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def images(tmp_path):
    with TestClient(make_app(image_classifier(tmp_path), max_upload_bytes=LIMIT)) as client:
        yield client


@pytest.fixture
def texts(tmp_path):
    with TestClient(make_app(text_classifier(tmp_path), max_upload_bytes=LIMIT)) as client:
        yield client


def upload(client, content: bytes, name: str = "digit.png"):
    return client.post("/predict", files={"file": (name, content, "application/octet-stream")})


@pytest.mark.parametrize(
    "error, kind, status",
    [
        (UnsupportedImage("x.gif", "not a PNG, JPEG or BMP image"), UnsupportedMediaType, 415),
        (DataError("x.png", "truncated or corrupt PNG image"), UnprocessableInput, 422),
        (DataError("x.png", "too many pixels", "use a smaller image"), UnprocessableInput, 422),
    ],
)
def test_a_data_error_is_answered_by_its_type(error, kind, status):
    answer = for_data_error(error)
    assert type(answer) is kind and answer.status == status
    assert answer.message == error.format()


def test_the_status_does_not_depend_on_the_words():
    """A damaged image whose message happens to start like an unsupported one is still a 422."""
    assert for_data_error(DataError("x.png", "not a complete PNG image")).status == 422
    assert {BadRequest.status, PayloadTooLarge.status} == {400, 413}


@pytest.mark.parametrize(
    "make, handler",
    [
        (image_classifier, ImageHandler),
        (text_classifier, TextsHandler),
        (lambda run: OwnPredictor(run, TableInput({"x": "float"}, []), None, len), RowsHandler),
    ],
)
def test_each_input_kind_has_its_handler(tmp_path, make, handler):
    assert type(handler_for(make(tmp_path))) is handler


def test_an_image_is_ranked_as_predict_ranks_it(images, tmp_path):
    content = png()
    response = upload(images, content, "four.png")

    assert response.status_code == 200, response.text
    pixels = np.asarray(Image.open(io.BytesIO(content)))[None, ..., None]
    want = image_classifier(tmp_path).rank(["four.png"], pixels, invert="no")[0]
    assert response.json() == want.to_json()
    health = images.get("/health").json()
    assert health == {"status": "ok", "run": str(tmp_path), "engine": "numpy", "classes": 3}


@pytest.mark.parametrize(
    "send, status, message",
    [
        (lambda c: c.post("/predict", json={"image": 1}), 415,
         "send the image as the multipart field 'file'"),
        (lambda c: upload(c, b""), 400, "the upload is empty"),
        (lambda c: upload(c, b"hello", "notes.png"), 415,
         "notes.png: not a PNG, JPEG or BMP image (the content is not one of those formats)"),
        (lambda c: upload(c, png(64)[:300], "cut.png"), 422, "cut.png: truncated image: "),
        (lambda c: upload(c, b"\0" * (LIMIT + 1)), 413, "the upload is larger than 4,000 bytes"),
        (lambda c: c.post("/predict", data={"x": "1"}), 422,
         "no file: send it as the multipart field 'file'"),
    ],
)  # fmt: skip
def test_bad_image_requests(images, send, status, message):
    response = send(images)

    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and response.json()["error"].startswith(message)
    assert upload(images, png()).status_code == 200  # and it goes on serving


def test_texts_as_a_file_and_as_json(texts):
    one = upload(texts, b"Good good bad", "review.txt")
    many = texts.post("/predict", json={"texts": ["bad", "GOOD"]})

    assert one.status_code == 200 and one.json()["class"] == "pos"
    assert one.json()["file"] == "review.txt"
    assert many.status_code == 200
    assert [p["class"] for p in many.json()["predictions"]] == ["neg", "pos"]
    assert many.json()["errors"] == []
    assert texts.post("/predict", json={"text": "bad day"}).json()["class"] == "neg"


@pytest.mark.parametrize(
    "send, status, message",
    [
        (lambda c: c.post("/predict", json={"texts": "good"}), 422, TextsHandler.json_takes),
        (lambda c: c.post("/predict", json=[]), 422, TextsHandler.json_takes),
        (lambda c: c.post("/predict", json={"text": 3}), 422, TextsHandler.json_takes),
        (lambda c: c.post("/predict", content=b"{", headers={"content-type": "application/json"}),
         400, "the body is not valid JSON"),
        (lambda c: c.post("/predict", json={"texts": ["good " * LIMIT]}), 413,
         "the body is larger than 4,000 bytes"),
        (lambda c: upload(c, b"\xff\xfe bad", "latin.txt"), 422, "latin.txt: "),
        (lambda c: c.post("/predict", data={"x": "1"}), 422,
         "no file: send it as the multipart field 'file' (or the rows or texts as JSON)"),
    ],
)  # fmt: skip
def test_bad_text_requests(texts, send, status, message):
    response = send(texts)

    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and response.json()["error"].startswith(message)
