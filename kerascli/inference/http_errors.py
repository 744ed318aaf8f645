"""What `serve` answers a request it cannot take: one error class per HTTP status.

The handlers raise these (or a `DataError` about the upload, mapped by its type in
`for_data_error`); the app turns each into `{"error": message}` with the class's status. The status
is chosen by the error's type, never by the words of its message.
"""

from __future__ import annotations

from kerascli.data.images.files import UnsupportedImage
from kerascli.errors import DataError


class RequestError(Exception):
    """A request the server cannot take; `status` is its HTTP status.

    Args:
        message: What is wrong, in one line (the JSON answer's `error`).
    """

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(RequestError):
    """The request itself is malformed: an empty upload, a body that is not JSON."""

    status = 400


class PayloadTooLarge(RequestError):
    """The upload or body is larger than the server takes."""

    status = 413


class UnsupportedMediaType(RequestError):
    """The upload is of a kind the model does not take (another file format, JSON for images)."""

    status = 415


class UnprocessableInput(RequestError):
    """The upload is of the right kind but cannot be used: damaged, too many pixels, bad rows."""

    status = 422


# A `DataError` about an upload, by its type (the most specific first); any other is a 422.
_DATA_ERRORS: tuple[tuple[type[DataError], type[RequestError]], ...] = (
    (UnsupportedImage, UnsupportedMediaType),
)


def for_data_error(error: DataError) -> RequestError:
    """The request error that answers a `DataError` about an upload (with its one line)."""
    kind = next((answer for data, answer in _DATA_ERRORS if isinstance(error, data)), None)
    return (kind or UnprocessableInput)(error.format())


def too_large(limit: int, what: str = "upload") -> PayloadTooLarge:
    """The 413 of an upload (or body) over `limit` bytes."""
    return PayloadTooLarge(f"the {what} is larger than {limit:,} bytes")
