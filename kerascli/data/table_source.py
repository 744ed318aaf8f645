"""A `source: csv` data section, read and checked: typed feature columns and targets per split.

Nothing here imports TensorFlow: the CLI runs `load_table_data` before the import, so every
problem in the files is reported at once, and the story reads the same tables again from memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerascli.config.schema import DataConfig, HeldOut
from kerascli.data.tables import (
    INTEGER,
    NUMBER,
    Columns,
    RawTable,
    feature_columns,
    infer_kind,
    read_table,
    require_column,
)
from kerascli.errors import DataError, clip


@dataclass
class TableData:
    """A csv source's splits, checked and typed.

    Args:
        target: The target column. features: Every feature column's kind, given or inferred.
        inferred: The columns whose kinds were inferred.
        class_names: The target's classes (its distinct values, sorted), or `None` for a
            regression (a float target).
        train, test: The feature columns of each split (`test` is `None` without a test set).
        y_train, y_test: Class indices (int64) or regression targets (float32).
    """

    target: str
    features: dict
    inferred: list[str]
    class_names: list[str] | None
    train: Columns
    y_train: np.ndarray
    test: Columns | None = None
    y_test: np.ndarray | None = None

    def record(self) -> dict:
        """What `run.json` keeps so that evaluate and predict read new files the same way."""
        return {"target": self.target, "features": self.features, "class_names": self.class_names}


def split_table(table: RawTable, split: HeldOut) -> tuple[RawTable, RawTable]:
    """Holds out a seeded random fraction of the rows as the test set (rows keep file order).

    Raises:
        DataError: When the split leaves no row on one side.
    """
    count = len(table.rows)
    held = int(round(count * split.split))
    if not 0 < held < count:
        raise DataError(
            table.path,
            f"holding out {held} of {count} rows for testing leaves no test or no training rows",
            "change data.test.split or add rows",
        )
    test_rows = np.sort(np.random.RandomState(split.seed).permutation(count)[:held])
    is_test = np.zeros(count, dtype=bool)
    is_test[test_rows] = True

    def part(mask):
        return RawTable(
            table.path,
            table.header,
            [r for r, m in zip(table.rows, mask) if m],
            [line for line, m in zip(table.lines, mask) if m],
            table.header_line,
        )

    return part(~is_test), part(is_test)


def classes_of(table: RawTable, target: str) -> list[str] | None:
    """The target's classes, or `None` when it is a float target (a regression).

    Integers are classes sorted by value, text classes sorted by name.

    Raises:
        DataError: For a missing target value, a target that mixes text and numbers, or one
            class only.
    """
    infer_kind(table, target)  # the same missing-value and text-or-number checks as a feature
    cells = table.column(target)
    if all(NUMBER.fullmatch(cell) for cell in cells):
        if not all(INTEGER.fullmatch(cell) for cell in cells):
            return None
        names = [str(value) for value in sorted({int(cell) for cell in cells})]
    else:
        names = sorted(set(cells))
    if len(names) < 2:
        raise DataError(
            table.path,
            f"column {target}: every row has the class {names[0]!r}",
            "a classifier needs examples of two classes at least",
        )
    return names


def target_values(
    table: RawTable,
    target: str,
    class_names: list[str] | None,
    *,
    lenient: bool = False,
    errors: list | None = None,
) -> tuple[np.ndarray, set]:
    """The target column as class indices (classes) or float32 values (regression).

    Args:
        table: The table. target: Its target column. class_names: The training classes, or
            `None` for a regression.
        lenient: Collect bad rows (returned, their errors added to `errors`) instead of raising.

    Returns:
        `(values, bad rows)`.

    Raises:
        DataError: (not lenient) For a missing value, a class the training data did not have, or
            a regression target that is no number.
    """
    index = {name: position for position, name in enumerate(class_names or [])}
    values, bad = [], set()
    for row, cell in enumerate(table.column(target)):
        key = str(int(cell)) if class_names and INTEGER.fullmatch(cell) else cell
        problem = None
        if not cell:
            problem = DataError(
                table.where(row), f"column {target}: missing value", "fill it in or remove the row"
            )
        elif class_names is not None and key not in index:
            problem = DataError(
                table.where(row),
                f"column {target}: {cell!r} is not one of the classes of the training data",
                f"the classes are {clip(', '.join(class_names), 100)}",
            )
        elif class_names is None and not NUMBER.fullmatch(cell):
            problem = DataError(
                table.where(row),
                f"column {target}: {cell!r} is not a number",
                "the target is a regression target",
            )
        if problem is not None:
            if not lenient:
                raise problem
            bad.add(row)
            errors.append(problem)
            values.append(0)
        else:
            values.append(index[key] if class_names is not None else float(cell))
    dtype = np.int64 if class_names is not None else np.float32
    return np.array(values, dtype=dtype), bad


def resolve_features(table: RawTable, target: str, features: dict | None) -> tuple[dict, list[str]]:
    """The feature kinds: those given, else every column but the target, kinds inferred.

    Returns:
        `(features, inferred columns)`.

    Raises:
        DataError: For a table with no column besides the target, or an uninferrable column.
    """
    if features:
        return dict(features), []
    names = [name for name in table.header if name != target]
    if not names:
        raise DataError(
            table.path,
            f"has no column besides the target {target}",
            "a model needs at least one feature column",
        )
    return {name: infer_kind(table, name) for name in names}, names


def load_table_data(config: DataConfig) -> TableData:
    """Reads and checks a csv source's files: every cell, before TensorFlow loads.

    Args:
        config: A validated `data` section with `source: csv`.

    Returns:
        The `TableData`, limited to `data.limit` rows per split.

    Raises:
        DataError: For any problem in the files (with `FILE:LINE` and the column).
    """
    if config.path is not None:
        train_table, test_table = read_table(config.path, "data.path"), None
        require_column(train_table, config.target, "data.target")
        if isinstance(config.test, HeldOut):
            train_table, test_table = split_table(train_table, config.test)
    else:
        train_table = read_table(config.train, "data.train")
        test_table = read_table(config.test, "data.test") if config.test else None
    limit = config.limit
    train_table = _first(train_table, limit.train)
    require_column(train_table, config.target, "data.target")
    features, inferred = resolve_features(train_table, config.target, config.features)
    class_names = classes_of(train_table, config.target)
    train = feature_columns(train_table, features)
    y_train, _ = target_values(train_table, config.target, class_names)
    data = TableData(config.target, features, inferred, class_names, train, y_train)
    if test_table is not None:
        test_table = _first(test_table, limit.test)
        require_column(test_table, config.target, "data.target")
        data.test = feature_columns(test_table, features)
        data.y_test, _ = target_values(test_table, config.target, class_names)
    return data


def test_table(config: DataConfig) -> RawTable | None:
    """The test rows a csv source names (its test file, or its seeded split), or `None`."""
    if config.path is not None:
        if not isinstance(config.test, HeldOut):
            return None
        return _first(
            split_table(read_table(config.path, "data.path"), config.test)[1], config.limit.test
        )
    return _first(read_table(config.test, "data.test"), config.limit.test) if config.test else None


def _first(table: RawTable, count: int | None) -> RawTable:
    if not count:
        return table
    return RawTable(
        table.path, table.header, table.rows[:count], table.lines[:count], table.header_line
    )


def describe_features(data: TableData) -> str:
    """What `validate` says about a table: the target and each feature's kind (and whether it
    was inferred)."""
    task = (
        f"{len(data.class_names)} classes: {clip(', '.join(data.class_names), 80)}"
        if data.class_names
        else "a regression (float values)"
    )
    lines = [f"target {data.target}: {task}", "features:"]
    for name, spec in data.features.items():
        kind = spec if isinstance(spec, str) else str(spec).replace("'", "")
        lines.append(f"  {name}: {kind}" + ("  (inferred)" if name in data.inferred else ""))
    return "\n".join(lines)
