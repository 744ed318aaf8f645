"""`kerascli serve`: a run's model over HTTP (FastAPI on uvicorn), loaded once.

`POST /predict` takes one uploaded file (multipart field `file`), what `kerascli predict` takes
for the run: an image, answered with the JSON object `kerascli predict --json` prints for a file;
a text file (a text run), answered the same way; or a CSV file (a CSV run), answered with
`{"predictions": [one object per row], "errors": [one line per bad row]}`. `GET /health` says
which model answers. An upload
that is too large, not an image, a decompression bomb or of a shape the model cannot take is a
4xx JSON error `{"error": ...}`, and the server goes on serving. The upload is decoded by the same
code as `predict`'s files (`inputs.ImageInput.load`: Pillow restricted to PNG, JPEG and BMP, or
for an image-folder run also GIF read as its training read files, with its pixel limit), from a
temporary file that is deleted at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Literal

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile as StarletteUpload

from kerascli.errors import DataError, one_line
from kerascli.inference.classify import Classifier
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput, TextInput

# Uploads larger than this are refused unread (413): a model's input is a small image.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


@contextlib.contextmanager
def _upload_file(data: bytes, suffix: str):
    """The upload as a temporary file, deleted on leaving: the readers take a path (and check it
    is a regular file), as `predict` reads the user's files."""
    descriptor, temporary = tempfile.mkstemp(prefix="kerascli-upload-", suffix=suffix)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield temporary
    finally:
        os.unlink(temporary)


def _renamed(error: DataError, temporary: str, name: str) -> DataError:
    """An error about the temporary file, naming the upload instead."""
    return DataError(
        error.where.replace(temporary, name), error.what.replace(temporary, name), error.hint
    )


def decode_upload(data: bytes, name: str, classifier: Classifier) -> np.ndarray:
    """An uploaded image's pixels at the model's size, as `predict` would read the same file.

    Raises:
        DataError: Naming the upload, when it is not an image `ImageInput.load` reads (PNG,
            JPEG, BMP; GIF too for an image-folder run), is damaged, or has more pixels than
            Pillow's decompression-bomb limit.
    """
    # The suffix only admits the file to Pillow, which tells the formats apart by their content.
    with _upload_file(data, ".png") as temporary:
        try:
            return classifier.image.load(temporary)
        except DataError as error:
            raise DataError(name, _renamed(error, temporary, name).what, error.hint) from None


def read_upload(data: bytes, name: str, predictor: OwnPredictor) -> tuple[list, list]:
    """An uploaded CSV or text file as `predict` reads the same file: `(predictions' raw
    examples as batches, errors)`, each error naming the upload (and its line)."""
    errors: list[DataError] = []
    with _upload_file(
        data, ".csv" if isinstance(predictor.input, TableInput) else ".txt"
    ) as temporary:
        batches = predictor.input.read([temporary], errors)
    batches = [
        ([label.replace(temporary, name) for label in labels], examples)
        for labels, examples in batches
    ]
    return batches, [_renamed(error, temporary, name) for error in errors]


def make_app(
    classifier: Classifier | OwnPredictor, *, max_upload_bytes: int = MAX_UPLOAD_BYTES
) -> FastAPI:
    """The FastAPI application serving one model.

    Args:
        classifier: The loaded model (exported runtime or Keras) and its input description: a
            `Classifier` for images, an `OwnPredictor` for CSV rows or texts.
        max_upload_bytes: The largest upload accepted. Defaults to 10 MiB.

    Returns:
        The app, for uvicorn (or any ASGI server).
    """
    own = isinstance(classifier, OwnPredictor)
    table = own and isinstance(classifier.input, TableInput)
    takes = (
        "A CSV file of rows (one prediction per row)."
        if table
        else "A UTF-8 text file."
        if own
        else "A PNG, JPEG or BMP image (GIF too for an image-folder run)."
    )
    json_takes = (
        'one row as an object {"column": value, ...}, or {"rows": [objects]} (answered '
        'with {"predictions": [...], "errors": [...]})'
        if table
        else '{"text": "..."}, or {"texts": ["...", ...]} (answered with {"predictions": '
        '[...], "errors": []})'
        if own
        else "images are sent as files, not JSON"
    )
    app = FastAPI(
        title="kerascli serve",
        version="1",
        description=f"Predictions of the run {classifier.run_dir.name}.",
    )
    # Keras models and the LiteRT interpreter are not safe to call from several threads at once;
    # onnxruntime sessions are, so ONNX requests run in parallel.
    model_lock = threading.Lock() if classifier.engine != "onnx" else contextlib.nullcontext()

    def predict_one(pixels: np.ndarray, name: str, top_k: int, invert: str) -> dict:
        with model_lock:
            return classifier.rank([name], pixels[None], top_k=top_k, invert=invert)[0].to_json()

    def answer(batches: list, errors: list[DataError], top_k: int, one: bool):
        """The predictions of read rows or texts: one object (`one`; a bad example is a 422),
        else `{"predictions": [...], "errors": [...]}`."""
        with model_lock:
            predictions = [
                p.to_json()
                for labels, examples in batches
                for p in classifier.predict(labels, examples, top_k=top_k)
            ]
        if one:
            if errors or not predictions:
                raise HTTPException(422, errors[0].format() if errors else json_takes)
            return predictions[0]
        return {"predictions": predictions, "errors": [error.format() for error in errors]}

    def predict_own(data: bytes, name: str, top_k: int):
        batches, errors = read_upload(data, name, classifier)
        if not batches:
            raise HTTPException(422, errors[0].format() if errors else f"{name}: has no rows")
        return answer(batches, errors, top_k, one=isinstance(classifier.input, TextInput))

    def predict_json(body, top_k: int):
        key = "rows" if table else "texts"
        many = isinstance(body, list) or (isinstance(body, dict) and key in body and len(body) == 1)
        items = (
            body
            if isinstance(body, list)
            else body[key]
            if many
            else [body if table else body.get("text") if isinstance(body, dict) else body]
        )
        kind = dict if table else str
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(item, kind) for item in items)
        ):
            raise HTTPException(422, json_takes)
        errors: list[DataError] = []
        try:
            batches = classifier.input.read_json(items, errors)
        except DataError as error:
            raise HTTPException(422, error.format()) from None
        return answer(batches, errors, top_k, one=not many)

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        # Refused from the header, before the multipart parser spools the body to disk.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_upload_bytes + 64 * 1024:
            return _error(413, f"the upload is larger than {max_upload_bytes:,} bytes")
        return await call_next(request)

    @app.get("/health")
    def health() -> dict:
        """Whether the server is up, and which model answers."""
        return {
            "status": "ok",
            "run": str(classifier.run_dir),
            "engine": classifier.engine,
            "classes": len(classifier.names) if classifier.names else None,
        }

    @app.post(
        "/predict",
        openapi_extra={
            "requestBody": {
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary", "description": takes}
                            },
                        }
                    },
                    "application/json": {"schema": {"description": json_takes}},
                }
            }
        },
    )
    async def predict(
        request: Request,
        top_k: int = Query(1, ge=1, le=1000, description="How many classes."),
        invert: Literal["auto", "yes", "no"] = Query(
            "auto", description="As kerascli predict --invert."
        ),
    ):
        """Predicts one uploaded file (or, for a CSV or text run, rows or texts sent as JSON);
        answers as `kerascli predict --json` does."""
        if request.headers.get("content-type", "").startswith("application/json"):
            if not own:
                raise HTTPException(415, "send the image as the multipart field 'file'")
            data = bytearray()
            async for chunk in request.stream():  # bounded even without a Content-Length
                data += chunk
                if len(data) > max_upload_bytes:
                    raise HTTPException(413, f"the body is larger than {max_upload_bytes:,} bytes")
            try:
                body = json.loads(data)
            except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
                raise HTTPException(400, "the body is not valid JSON") from None
            return await run_in_threadpool(predict_json, body, top_k)
        form = await request.form(max_files=1, max_fields=16)
        file = form.get("file")
        if not isinstance(file, StarletteUpload):
            raise HTTPException(
                422,
                "no file: send it as the multipart field 'file'"
                + (" (or the rows or texts as JSON)" if own else ""),
            )
        data = await file.read(max_upload_bytes + 1)
        if len(data) > max_upload_bytes:
            raise HTTPException(413, f"the upload is larger than {max_upload_bytes:,} bytes")
        if not data:
            raise HTTPException(400, "the upload is empty")
        name = Path(file.filename or "upload").name
        if own:
            return await run_in_threadpool(predict_own, data, name, top_k)
        try:
            pixels = await run_in_threadpool(decode_upload, data, name, classifier)
        except DataError as error:
            # Another format is 415 (unsupported media type); a damaged image or a bomb, 422.
            status = 415 if error.what.startswith("not a ") else 422
            raise HTTPException(status, error.format()) from None
        return await run_in_threadpool(predict_one, pixels, name, top_k, invert)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A bug, not a bad request: one JSON line for the client, and the server goes on.
        return _error(500, f"internal error: {type(error).__name__}: {one_line(error, 200)}")

    return app
