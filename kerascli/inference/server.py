"""`kerascli serve`: a run's model over HTTP (FastAPI on uvicorn), loaded once.

`POST /predict` takes one uploaded file (multipart field `file`), what `kerascli predict` takes
for the run: an image, answered with the JSON object `kerascli predict --json` prints for a file;
a text file (a text run), answered the same way; or a CSV file (a CSV run), answered with
`{"predictions": [one object per row], "errors": [one line per bad row]}`. A CSV or text run also
takes rows or texts as a JSON body. `GET /health` says which model answers.

An upload that is too large (413), not an image (415), a decompression bomb or of a shape the
model cannot take (422) is a JSON error `{"error": ...}`, and the server goes on serving: the
handlers raise `http_errors.RequestError`s, whose type gives the status. Uploads are read by the
same code as `predict`'s files (`uploads`), what is done with them by the handler of the model's
input kind (`handlers`); this module only routes requests to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile as StarletteUpload

from kerascli.errors import one_line
from kerascli.inference.classify import Classifier
from kerascli.inference.handlers import Handler, handler_for
from kerascli.inference.http_errors import BadRequest, RequestError, UnprocessableInput, too_large
from kerascli.inference.own import OwnPredictor

# Uploads larger than this are refused unread (413): a model's input is a small image.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# What a multipart body may hold besides the file, before the Content-Length check refuses it.
_MULTIPART_OVERHEAD = 64 * 1024


def make_app(
    predictor: Classifier | OwnPredictor | Handler, *, max_upload_bytes: int = MAX_UPLOAD_BYTES
) -> FastAPI:
    """The FastAPI application serving one model.

    Args:
        predictor: The loaded model (exported runtime or Keras) and its input description: a
            `Classifier` for images, an `OwnPredictor` for CSV rows or texts; or a `Handler`
            already made for one (`handlers.handler_for`).
        max_upload_bytes: The largest upload accepted. Defaults to 10 MiB.

    Returns:
        The app, for uvicorn (or any ASGI server).
    """
    handler = predictor if isinstance(predictor, Handler) else handler_for(predictor)
    app = FastAPI(
        title="kerascli serve",
        version="1",
        description=f"Predictions of the run {handler.predictor.run_dir.name}.",
    )
    _add_limits(app, max_upload_bytes)
    _add_error_answers(app)
    app.get("/health")(_health_route(handler))
    app.post("/predict", openapi_extra=_predict_body(handler))(
        _predict_route(handler, max_upload_bytes)
    )
    return app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


def _add_limits(app: FastAPI, max_upload_bytes: int) -> None:
    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        # Refused from the header, before the multipart parser spools the body to disk.
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_upload_bytes + _MULTIPART_OVERHEAD:
            return _error(413, too_large(max_upload_bytes).message)
        return await call_next(request)


def _add_error_answers(app: FastAPI) -> None:
    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return _error(error.status, error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # A bug, not a bad request: one JSON line for the client, and the server goes on.
        return _error(500, f"internal error: {type(error).__name__}: {one_line(error, 200)}")


def _health_route(handler: Handler):
    def health() -> dict:
        """Whether the server is up, and which model answers."""
        return handler.health()

    return health


def _predict_body(handler: Handler) -> dict:
    """`POST /predict`'s request body in the OpenAPI document (the route reads it by hand)."""
    file = {"type": "string", "format": "binary", "description": handler.takes}
    multipart = {"type": "object", "required": ["file"], "properties": {"file": file}}
    return {
        "requestBody": {
            "content": {
                "multipart/form-data": {"schema": multipart},
                "application/json": {"schema": {"description": handler.json_takes}},
            }
        }
    }


def _predict_route(handler: Handler, max_upload_bytes: int):
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
            handler.check_json()
            body = await read_json_body(request, max_upload_bytes)
            return await run_in_threadpool(handler.predict_json, body, top_k=top_k)
        data, name = await read_uploaded_file(request, max_upload_bytes, handler.takes_json)
        return await run_in_threadpool(handler.predict_file, data, name, top_k=top_k, invert=invert)

    return predict


async def read_json_body(request: Request, max_upload_bytes: int):
    """The request's JSON body, read up to the limit.

    Raises:
        PayloadTooLarge: Past `max_upload_bytes`, even without a Content-Length.
        BadRequest: For a body that is not JSON.
    """
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > max_upload_bytes:
            raise too_large(max_upload_bytes, "body")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise BadRequest("the body is not valid JSON") from None


async def read_uploaded_file(
    request: Request, max_upload_bytes: int, takes_json: bool
) -> tuple[bytes, str]:
    """The multipart field `file`: its bytes and its base name.

    Raises:
        UnprocessableInput: When there is no file field.
        PayloadTooLarge: For a file over `max_upload_bytes`.
        BadRequest: For an empty file.
    """
    form = await request.form(max_files=1, max_fields=16)
    file = form.get("file")
    if not isinstance(file, StarletteUpload):
        also = " (or the rows or texts as JSON)" if takes_json else ""
        raise UnprocessableInput(f"no file: send it as the multipart field 'file'{also}")
    data = await file.read(max_upload_bytes + 1)
    if len(data) > max_upload_bytes:
        raise too_large(max_upload_bytes)
    if not data:
        raise BadRequest("the upload is empty")
    return data, Path(file.filename or "upload").name
