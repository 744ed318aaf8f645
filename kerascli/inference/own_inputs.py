"""CSV rows and text files as a model's input: read as training read them, encoded without
TensorFlow.

Two input kinds beside `inputs.ImageInput`, with the same `to_manifest()`, `from_manifest()` and
`prepare()`, plus `read()`, which turns the paths a user names into batches of raw examples:
- `TableInput` reads CSV files with the feature kinds training recorded (`data.tables`: every cell
  checked, a bad row its own error) and, for an export, encodes the columns as the run's
  FeatureSpace did (`encoders.encode_columns`).
- `TextInput` reads UTF-8 text files (`data.text_files`) and, for an export, vectorizes them as
  the run's TextVectorization did (`encoders.vectorize_texts`).
Through Keras, `prepare` is not used: the saved model takes raw columns and strings itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli.data.tables import RawTable, feature_columns, read_table
from kerascli.data.text_files import read_text_files
from kerascli.errors import DataError
from kerascli.inference.encoders import (
    COLUMN_STEPS,
    EncoderError,
    encode_columns,
    hashing_available,
    vectorize_texts,
)

# What names the rows and texts of a JSON request in predictions and errors (`request:2`).
REQUEST = "request"


def _cell(value) -> str:
    """A JSON value as the CSV cell that would hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


@dataclass(frozen=True)
class TableInput:
    """CSV rows in, the encoded float32 matrix of the exported network out.

    Args:
        features: Column name to feature kind, as training read the columns (`run.json`).
        columns: The FeatureSpace's encoders per column in concatenation order (see
            `encoders.encode_columns`); `None` through Keras, whose model encodes by itself.
    """

    features: dict
    columns: list[dict] | None = None

    kind = "table"

    def read(self, paths: list[str | Path], errors: list[DataError]) -> list[tuple[list, dict]]:
        """Each CSV file's good rows: `[(["FILE:LINE", ...], {column: values}), ...]`.

        A file that cannot be read, or a row with a bad value, adds its error to `errors`; the
        other rows are still read.
        """
        batches = []
        for path in map(str, paths):
            try:
                columns = feature_columns(read_table(path, "the path"), self.features, lenient=True)
            except DataError as error:
                errors.append(error)
                continue
            errors.extend(columns.errors)
            if len(columns.lines):
                batches.append(([f"{path}:{line}" for line in columns.lines], columns.values))
        return batches

    def read_json(self, rows: list[dict], errors: list[DataError]) -> list[tuple[list, dict]]:
        """Rows sent as JSON objects (`serve`), checked as CSV rows are; `request:N` names row N.

        A value is taken as its CSV cell would be written (`12.5`, `3`, `calm`; `null` is a
        missing value), so the same checks and the same encoding apply.

        Raises:
            DataError: When a feature column is in no row.
        """
        header = list(dict.fromkeys(str(key) for row in rows for key in row))
        missing = [name for name in self.features if name not in header]
        if missing:
            raise DataError(
                REQUEST,
                f"no row has the column(s) {', '.join(missing)}",
                f"the model takes {', '.join(self.features)}",
            )
        cells = [[_cell(row.get(name)) for name in header] for row in rows]
        table = RawTable(REQUEST, header, cells, list(range(1, len(rows) + 1)))
        columns = feature_columns(table, self.features, lenient=True)
        errors.extend(columns.errors)
        if not len(columns.lines):
            return []
        return [([f"{REQUEST}:{line}" for line in columns.lines], columns.values)]

    def prepare(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Columns of raw values to the network's float32 input `(n, width)`.

        Raises:
            EncoderError: Through Keras (no recorded encoders: the model encodes by itself).
        """
        if self.columns is None:
            raise EncoderError("no recorded encoders: the Keras model encodes its columns")
        return encode_columns(self.columns, values)

    def unavailable(self) -> str | None:
        """Why this machine cannot encode the columns (a package missing), or `None`."""
        hashed = any(
            step["layer"] == "Hashing" for column in self.columns or [] for step in column["steps"]
        )
        if hashed and not hashing_available():
            return "its hashed columns need pyfarmhash (pip install pyfarmhash)"
        return None

    def to_manifest(self) -> dict:
        """The JSON object the export manifest records under `input`."""
        return {"kind": self.kind, "features": self.features, "columns": self.columns}

    @classmethod
    def from_manifest(cls, entry: dict) -> TableInput:
        """Rebuilds a `TableInput` from the manifest's `input` object."""
        columns: list[dict] = [
            {"column": str(column["column"]), "steps": [dict(step) for step in column["steps"]]}
            for column in entry["columns"]
        ]
        for column in columns:
            for step in column["steps"]:
                if step["layer"] not in COLUMN_STEPS:
                    raise ValueError(f"unknown encoder {step['layer']!r}")
        return cls(dict(entry["features"]), columns)


@dataclass(frozen=True)
class TextInput:
    """Text files in, the exported network's token ids (or word counts) out.

    Args:
        vectorization: The run's TextVectorization settings and vocabulary (see
            `encoders.vectorize_texts`); `None` through Keras.
    """

    vectorization: dict | None = field(default=None)

    kind = "text"

    def read(self, paths: list[str | Path], errors: list[DataError]) -> list[tuple[list, list]]:
        """The readable text files and their texts: `[([file, ...], [text, ...])]`.

        A file that cannot be read or is not UTF-8 adds its error to `errors`.
        """
        files, texts, problems = read_text_files(paths)
        errors.extend(problems)
        return [(files, texts)] if files else []

    def read_json(self, texts: list[str], errors: list[DataError]) -> list[tuple[list, list]]:
        """Texts sent as JSON strings (`serve`); `request:N` names text N."""
        return [([f"{REQUEST}:{index}" for index in range(1, len(texts) + 1)], list(texts))]

    def prepare(self, texts: list[str]) -> np.ndarray:
        """Texts to the network's input: int64 token ids, or float32 counts per word.

        Raises:
            EncoderError: Through Keras (no recorded vectorization: the model has its own).
        """
        if self.vectorization is None:
            raise EncoderError("no recorded vectorization: the Keras model vectorizes its texts")
        return vectorize_texts(self.vectorization, list(texts))

    def unavailable(self) -> str | None:
        """Why this machine cannot vectorize the texts (never: numpy is enough)."""
        return None

    def to_manifest(self) -> dict:
        """The JSON object the export manifest records under `input`."""
        return {"kind": self.kind, "vectorization": self.vectorization}

    @classmethod
    def from_manifest(cls, entry: dict) -> TextInput:
        """Rebuilds a `TextInput` from the manifest's `input` object."""
        vectorization = dict(entry["vectorization"])
        if vectorization["output_mode"] not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"unknown output_mode {vectorization['output_mode']!r}")
        return cls(vectorization)


__all__ = ["TableInput", "TextInput", "EncoderError"]
