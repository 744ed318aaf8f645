"""What `serve` does with a request's content, one handler per input kind: images, CSV rows, texts.

Each handler takes the bytes of an uploaded file (`predict_file`) or a parsed JSON body
(`predict_json`) and answers the JSON `kerascli predict --json` prints, or raises a
`http_errors.RequestError`. It runs in a worker thread, never in the event loop, and calls the
model under `lock`: Keras models and the LiteRT interpreter are not safe to call from several
threads at once; onnxruntime sessions are, so ONNX requests run in parallel.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from kerascli.errors import DataError
from kerascli.inference.classify import Classifier
from kerascli.inference.formats import ExportFormat
from kerascli.inference.http_errors import UnprocessableInput, UnsupportedMediaType, for_data_error
from kerascli.inference.own import OwnPredictor
from kerascli.inference.own_inputs import TableInput
from kerascli.inference.uploads import decode_upload, read_upload


class Handler:
    """The requests of one model: the base of the handlers of each input kind.

    Args:
        predictor: The loaded model (exported runtime or Keras) and its input description.

    Attributes:
        takes: What `POST /predict` takes as the multipart field `file` (for the API docs).
        json_takes: What it takes as JSON, or why it takes none (for the docs and 422s).
    """

    takes = ""
    json_takes = ""

    def __init__(self, predictor: Classifier | OwnPredictor):
        self.predictor = predictor
        self.lock: contextlib.AbstractContextManager = (
            contextlib.nullcontext()
            if predictor.engine == ExportFormat.ONNX.value
            else threading.Lock()
        )

    @property
    def takes_json(self) -> bool:
        """Whether rows or texts may be sent as a JSON body."""
        return False

    def predict_file(self, data: bytes, name: str, *, top_k: int, invert: str) -> dict:
        """The answer for an uploaded file's bytes, named `name`."""
        raise NotImplementedError

    def check_json(self) -> None:
        """Refuses a JSON body before it is read, when the model takes none.

        Raises:
            UnsupportedMediaType: For a model that takes files only (images).
        """
        if not self.takes_json:
            raise UnsupportedMediaType("send the image as the multipart field 'file'")

    def predict_json(self, body: Any, *, top_k: int) -> dict:
        """The answer for a parsed JSON body (`check_json` said the model takes one)."""
        raise NotImplementedError

    def health(self) -> dict:
        """`GET /health`'s answer: which model answers."""
        names = self.predictor.names
        return {
            "status": "ok",
            "run": str(self.predictor.run_dir),
            "engine": self.predictor.engine,
            "classes": len(names) if names else None,
        }


class ImageHandler(Handler):
    """An image classifier's requests: one uploaded image, ranked as `predict` ranks a file."""

    takes = "A PNG, JPEG or BMP image (GIF too for an image-folder run)."
    json_takes = "images are sent as files, not JSON"
    predictor: Classifier

    def predict_file(self, data: bytes, name: str, *, top_k: int, invert: str) -> dict:
        try:
            pixels = decode_upload(data, name, self.predictor)
        except DataError as error:
            raise for_data_error(error) from None
        with self.lock:
            ranked = self.predictor.rank([name], pixels[None], top_k=top_k, invert=invert)
        return ranked[0].to_json()


class _ExamplesHandler(Handler):
    """A CSV or text run's requests: a file of examples, or examples as JSON."""

    predictor: OwnPredictor
    key = ""  # the JSON body's key for several examples
    example_type: type = object  # what one example is in JSON
    one_per_file = False  # whether a file is one example (a text) or many (rows)

    @property
    def takes_json(self) -> bool:
        return True

    def one_json_example(self, body: Any) -> Any:
        """The example of a body that sends one."""
        raise NotImplementedError

    def predict_file(self, data: bytes, name: str, *, top_k: int, invert: str) -> dict:
        batches, errors = read_upload(data, name, self.predictor)
        if not batches:
            raise UnprocessableInput(errors[0].format() if errors else f"{name}: has no rows")
        return self.answer(batches, errors, top_k=top_k, one=self.one_per_file)

    def predict_json(self, body: Any, *, top_k: int) -> dict:
        many = isinstance(body, list) or (
            isinstance(body, dict) and self.key in body and len(body) == 1
        )
        if isinstance(body, list):
            items = body
        else:
            items = body[self.key] if many else [self.one_json_example(body)]
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(item, self.example_type) for item in items)
        ):
            raise UnprocessableInput(self.json_takes)
        errors: list[DataError] = []
        try:
            batches = self.predictor.input.read_json(items, errors)
        except DataError as error:
            raise UnprocessableInput(error.format()) from None
        return self.answer(batches, errors, top_k=top_k, one=not many)

    def answer(self, batches: list, errors: list[DataError], *, top_k: int, one: bool) -> dict:
        """The predictions of read examples: one object (`one`; a bad example is a 422), else
        `{"predictions": [...], "errors": [...]}`."""
        with self.lock:
            predictions = [
                prediction.to_json()
                for labels, examples in batches
                for prediction in self.predictor.predict(labels, examples, top_k=top_k)
            ]
        if one:
            if errors or not predictions:
                raise UnprocessableInput(errors[0].format() if errors else self.json_takes)
            return predictions[0]
        return {"predictions": predictions, "errors": [error.format() for error in errors]}


class RowsHandler(_ExamplesHandler):
    """A CSV run's requests: a CSV file (one prediction per row), or rows as JSON objects."""

    takes = "A CSV file of rows (one prediction per row)."
    json_takes = (
        'one row as an object {"column": value, ...}, or {"rows": [objects]} (answered '
        'with {"predictions": [...], "errors": [...]})'
    )
    key = "rows"
    example_type = dict

    def one_json_example(self, body: Any) -> Any:
        return body


class TextsHandler(_ExamplesHandler):
    """A text run's requests: a UTF-8 text file (one prediction), or texts as JSON."""

    takes = "A UTF-8 text file."
    json_takes = (
        '{"text": "..."}, or {"texts": ["...", ...]} (answered with {"predictions": '
        '[...], "errors": []})'
    )
    key = "texts"
    example_type = str
    one_per_file = True

    def one_json_example(self, body: Any) -> Any:
        return body.get("text") if isinstance(body, dict) else body


def handler_for(predictor: Classifier | OwnPredictor) -> Handler:
    """The handler of a model's input kind."""
    if isinstance(predictor, Classifier):
        return ImageHandler(predictor)
    if isinstance(predictor.input, TableInput):
        return RowsHandler(predictor)
    return TextsHandler(predictor)
