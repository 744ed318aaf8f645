"""CSV tables: read with Python's csv module and checked cell by cell, before TensorFlow loads.

Every problem a user can fix in the file (a missing file, an empty one, a row with too many
values, a missing value, a column that is text in one row and a number in the next, a misspelt
column name) is a `DataError` naming `FILE:LINE` and the column, so it is found in seconds rather
than after TensorFlow's import and an obscure failure in `FeatureSpace.adapt`. Encoding the checked
columns is `data.table_features`' job (Keras' `FeatureSpace`); this module stays free of both.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascli.config.tables import value_type
from kerascli.errors import DataError, clip, did_you_mean

# Numbers as a spreadsheet writes them. float() alone would also take '1_000', 'nan' and 'inf'.
INTEGER = re.compile(r"[-+]?\d+")
NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
# Inferred kinds: integer columns with at most this many distinct values are categories (a
# weekday, a rating); wider ones are quantities. Text columns with more distinct values than
# this are hashed into HASH_BINS bins rather than given a vocabulary entry each.
CATEGORICAL_INTEGERS = 20
VOCABULARY_LIMIT = 1000
HASH_BINS = 1024
_CACHED_TABLES = 4
_CACHE: dict[tuple, RawTable] = {}


@dataclass
class RawTable:
    """A CSV file's header and rows of text, with the line on which each row starts."""

    path: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    header_line: int = 1

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]

    def where(self, row: int) -> str:
        return f"{self.path}:{self.lines[row]}"


@dataclass
class Columns:
    """Typed columns of a table (float32, int64, or str objects), rows in file order.

    Args:
        values: Column name to values. lines: Each row's line in the file.
        errors: One `DataError` per row left out (only when reading leniently, for predict).
    """

    values: dict[str, np.ndarray]
    lines: np.ndarray
    errors: list[DataError] = field(default_factory=list)


def read_table(path: str | Path, key: str) -> RawTable:
    """Reads a CSV file (UTF-8, comma-separated, a header row first) and checks its shape.

    Args:
        path: The file.
        key: The config key that named it (`data.train`), for hints.

    Returns:
        The `RawTable`; read once per file version (a second call is served from memory).

    Raises:
        DataError: When the file is missing, not UTF-8, empty, has no rows, has a blank or
            repeated column name, or a row with a different number of values than the header.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise DataError(str(path), "no such file", f"check {key}") from None
    if not path.is_file():
        raise DataError(str(path), "is not a file", f"{key} names one CSV file")
    cache_key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if cache_key in _CACHE:
        return _CACHE[cache_key]
    try:
        # utf-8-sig: spreadsheets often start a UTF-8 CSV with a byte-order mark.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            records, starts, line = [], [], 1
            for record in reader:
                starts.append(line)
                records.append(record)
                line = reader.line_num + 1
    except UnicodeDecodeError as error:
        raise DataError(
            str(path), f"is not UTF-8 text (byte {error.start})", "save it as UTF-8 CSV"
        ) from None
    except csv.Error as error:
        raise DataError(f"{path}:{line}", f"is not valid CSV: {error}") from None
    kept = [(record, start) for record, start in zip(records, starts) if record]  # blank lines
    if not kept:
        raise DataError(
            str(path),
            "is empty",
            "a CSV file needs a header row, then one row of values per example",
        )
    header = [name.strip() for name in kept[0][0]]
    for index, name in enumerate(header):
        if not name:
            raise DataError(
                f"{path}:{kept[0][1]}",
                f"column {index + 1} has no name",
                "give every column a name in the header row",
            )
        if name in header[:index]:
            raise DataError(
                f"{path}:{kept[0][1]}",
                f"column {name}: appears twice in the header",
                "give every column its own name",
            )
    rows, lines = [], []
    for record, start in kept[1:]:
        if len(record) != len(header):
            raise DataError(
                f"{path}:{start}",
                f"has {len(record)} values, the header has {len(header)} columns",
                "quote values that hold commas",
            )
        rows.append([cell.strip() for cell in record])
        lines.append(start)
    if not rows:
        raise DataError(str(path), "has a header but no rows of values", "add one row per example")
    table = RawTable(str(path), header, rows, lines, kept[0][1])
    # The CLI checks the files before TensorFlow loads, then the story reads them again: the
    # newest few (a train and a test file) are kept, so each is parsed once.
    while len(_CACHE) >= _CACHED_TABLES:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[cache_key] = table
    return table


def require_column(table: RawTable, name: str, role: str = "column") -> None:
    """Raises a did-you-mean `DataError` when `name` is not in the header.

    Args:
        table: The table. name: The column. role: What the config calls it (for the hint).
    """
    if name not in table.header:
        raise DataError(
            f"{table.path}:{table.header_line}",
            f"column {name}: not in the header",
            f"{role}: "
            + (
                did_you_mean(name, table.header)
                or f"the columns are {clip(', '.join(table.header), 120)}"
            ),
        )


def _is_number(cell: str) -> bool:
    return bool(NUMBER.fullmatch(cell))


def _missing(table: RawTable, name: str, row: int) -> DataError:
    return DataError(
        table.where(row),
        f"column {name}: missing value",
        "fill it in or remove the row; kerascli does not guess missing values",
    )


def infer_kind(table: RawTable, name: str):
    """The FeatureSpace kind of a column, inferred from its values.

    Integers with few distinct values are `integer_categorical`, other numbers
    `float_normalized`; text is `string_categorical`, or `string_hashed` past
    `VOCABULARY_LIMIT` distinct values.

    Raises:
        DataError: For a missing value, or a column holding both text and numbers (blaming the
            first value of the rarer of the two).
    """
    cells = table.column(name)
    numbers = []
    for row, cell in enumerate(cells):
        if not cell:
            raise _missing(table, name, row)
        numbers.append(_is_number(cell))
    count = sum(numbers)
    if 0 < count < len(cells):
        odd_is_text = count * 2 >= len(cells)
        row = numbers.index(not odd_is_text)
        what = (
            f"{cells[row]!r} is text, but the column's other values are numbers"
            if odd_is_text
            else f"{cells[row]!r} is a number, but the column's other values are text"
        )
        raise DataError(
            table.where(row),
            f"column {name}: {what}",
            f"fix the value, or read the column as text: features: {{{name}: string_categorical}}",
        )
    if count:
        distinct = set(cells)
        if all(INTEGER.fullmatch(cell) for cell in cells) and len(distinct) <= CATEGORICAL_INTEGERS:
            return "integer_categorical"
        return "float_normalized"
    if len(set(cells)) > VOCABULARY_LIMIT:
        return {"string_hashed": {"num_bins": HASH_BINS}}
    return "string_categorical"


def typed_column(
    table: RawTable, name: str, kind_spec, bad: set[int] | None = None, errors: list | None = None
) -> np.ndarray:
    """One column's values as the type its feature kind reads (float32, int64 or str).

    Args:
        table: The table. name: The column. kind_spec: Its feature spec.
        bad: When given, rows with bad values are added to it (and `errors`) instead of raising.
        errors: Where those rows' `DataError`s go.

    Raises:
        DataError: For a missing value or a value of the wrong type (unless `bad` is given).
    """
    kind = value_type(kind_spec)
    kind_name = kind_spec if isinstance(kind_spec, str) else next(iter(kind_spec))
    cells = table.column(name)
    out = []
    for row, cell in enumerate(cells):
        problem = None
        if not cell:
            problem = _missing(table, name, row)
        elif kind == "integer" and not INTEGER.fullmatch(cell):
            problem = DataError(
                table.where(row),
                f"column {name}: {cell!r} is not an integer",
                f"the column is {kind_name}; use float_normalized for fractions"
                if _is_number(cell)
                else f"the column is {kind_name}",
            )
        elif kind == "float" and not _is_number(cell):
            problem = DataError(
                table.where(row),
                f"column {name}: {cell!r} is not a number",
                f"the column is {kind_name}",
            )
        if problem is not None:
            if bad is None:
                raise problem
            if row not in bad:
                bad.add(row)
                errors.append(problem)
            out.append(0 if kind != "string" else "")
            continue
        out.append(int(cell) if kind == "integer" else float(cell) if kind == "float" else cell)
    dtype = {"integer": np.int64, "float": np.float32, "string": object}[kind]
    return np.array(out, dtype=dtype)


def feature_columns(table: RawTable, features: dict, *, lenient: bool = False) -> Columns:
    """The feature columns of a table, typed by their kinds.

    Args:
        table: The table. features: Column name to feature spec (all must be in the header).
        lenient: Leave rows with bad values out, each with its own error, instead of raising
            at the first. Defaults to `False`.

    Raises:
        DataError: For a column not in the header, or (not lenient) a bad value.
    """
    for name in features:
        require_column(table, name, "data.features")
    bad, errors = (set(), []) if lenient else (None, None)
    values = {name: typed_column(table, name, spec, bad, errors) for name, spec in features.items()}
    lines = np.array(table.lines)
    if bad:
        keep = np.array([row not in bad for row in range(len(table.rows))])
        values = {name: column[keep] for name, column in values.items()}
        lines = lines[keep]
        errors.sort(key=lambda error: int(error.where.rsplit(":", 1)[1]))
    return Columns(values, lines, errors or [])
