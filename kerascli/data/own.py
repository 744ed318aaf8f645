"""The user's own tables and texts (`source: csv`, `source: text`), ready to train on.

Both sources decide things the other sources leave to the config: the class names (the target's
values, the class folders), the model's input (the encoded features' width, one string per
example), and what the saved model must hold to take raw data (the FeatureSpace for tables; for
texts the model's own `TextVectorization`). `check_own_data` reads and checks everything without
TensorFlow; `load_own_data` then prepares the splits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kerascli.config.schema import DataConfig
from kerascli.data.preprocess import Prepared, preprocess_labels, validation_slices
from kerascli.data.table_source import (
    TableData,
    describe_features,
    load_table_data,
    target_values,
    test_table,
)
from kerascli.data.tables import feature_columns, require_column
from kerascli.data.texts import check_text_folder
from kerascli.errors import DataError, clip


@dataclass
class TrainingData:
    """A source's splits, prepared, and what its data decides (`data.sources.load_training_data`).

    Args:
        prepared: The splits (arrays; encoded features or string tensors for csv and text;
            class indices or values).
        class_names: The classes, or `None` for a regression.
        input_shape: One example's shape as the model's first layer takes it, when the data
            decides it (images, csv, text), else `None`.
        input_dtype: Its dtype (`"string"` for text), or `None` for floats.
        record: Fields `run.json` keeps (class names of images, csv and text; a table's target
            and feature kinds).
        feature_space: A table's adapted `keras.utils.FeatureSpace`, else `None`.
    """

    prepared: Prepared
    class_names: list[str] | None
    input_shape: tuple | None
    input_dtype: str | None = None
    record: dict = field(default_factory=dict)
    feature_space: object = None


def check_own_data(config: DataConfig) -> str | None:
    """Reads and checks a csv or text source without TensorFlow; says what it found.

    Returns:
        For csv, the target and every feature's kind (marking inferred ones); for text, the
        classes and where each split comes from; `None` for the other sources.

    Raises:
        DataError: For the first problem in the files.
    """
    if config.source == "csv":
        return describe_features(load_table_data(config))
    if config.source == "text":
        folders = check_text_folder(config)
        test = (
            f"test: {folders.test}"
            if folders.test
            else f"test: {folders.split.split:g} of it (seed {folders.split.seed})"
            if folders.split
            else "no test set"
        )
        return (
            f"{len(folders.class_names)} classes: {clip(', '.join(folders.class_names), 80)}"
            f"\ntrain: {folders.train}; {test}" + (f"; val: {folders.val}" if folders.val else "")
        )
    return None


def load_own_data(config: DataConfig) -> TrainingData:
    """Reads a csv or text source and prepares its splits.

    Tables go through a `FeatureSpace` adapted on the training rows (the validation rows held
    out first); texts stay strings for the model's own `TextVectorization`.

    Raises:
        DataError: For problems in the files. ConfigError: For feature arguments Keras refuses.
    """
    if config.source == "csv":
        return _tables(config, load_table_data(config))
    return _texts(config)


def load_own_test(
    config: DataConfig,
    target: str | None,
    features: dict[str, str] | None,
    class_names: list[str] | None,
):
    """A csv or text source's test split, as the run's saved model takes it (raw rows, texts).

    Args:
        config: The run's `data` section (with any `--set` overrides).
        target: A table's target column, as training recorded it.
        features: A table's feature columns and their kinds, as training recorded them.
        class_names: The classes training saw, or `None` (regression).

    Returns:
        `(x, y, class_names)`, or `None` when the data has no test split.

    Raises:
        DataError: For problems in the files, or a class training did not see.
    """
    if config.source == "text":
        from kerascli.data.texts import read_text_test

        found = read_text_test(config)
        if found is None:
            return None
        x, y, names = found
        if config.limit.test:
            x, y = x[: config.limit.test], y[: config.limit.test]
        return x, preprocess_labels(y, config.preprocess, "data.test"), names
    from kerascli.data.table_features import model_inputs

    table = test_table(config)
    if table is None:
        return None
    if target is None or features is None:
        raise DataError(
            str(table.path),
            "the run recorded no target and feature columns to read it with",
            "train the run again",
        )
    names = class_names
    require_column(table, target, "data.target")
    columns = feature_columns(table, features)
    y, _ = target_values(table, target, names)
    if names:
        y = preprocess_labels(y, config.preprocess, "data.test")
    return model_inputs(columns.values), y, names


def _tables(config: DataConfig, data: TableData) -> TrainingData:
    from kerascli.data.table_features import adapt_feature_space, build_feature_space, encode

    columns, y_train = data.train.values, data.y_train
    val_columns = y_val = None
    if config.validation is not None and config.validation.images is None:
        kept, held = validation_slices(len(y_train), config.validation)
        val_columns = {name: values[held] for name, values in columns.items()}
        columns = {name: values[kept] for name, values in columns.items()}
        y_val, y_train = y_train[held], y_train[kept]
    feature_space = build_feature_space(data.features)
    adapt_feature_space(feature_space, columns)
    pre = config.preprocess

    def labels(y, where):
        return None if y is None else preprocess_labels(y, pre, where) if data.class_names else y

    prepared = Prepared(
        encode(feature_space, columns),
        labels(y_train, "data.train"),
        None if val_columns is None else encode(feature_space, val_columns),
        labels(y_val, "data.validation"),
        None if data.test is None else encode(feature_space, data.test.values),
        labels(data.y_test, "data.test"),
        len(data.class_names) if data.class_names else None,
    )
    return TrainingData(
        prepared,
        data.class_names,
        (prepared.x_train.shape[1],),
        record=data.record(),
        feature_space=feature_space,
    )


def _texts(config: DataConfig) -> TrainingData:
    from kerascli.data.texts import read_text_splits

    (x_train, y_train), val, test, names = read_text_splits(config)
    if config.limit.train:
        x_train, y_train = x_train[: config.limit.train], y_train[: config.limit.train]
    if test is not None and config.limit.test:
        test = test[0][: config.limit.test], test[1][: config.limit.test]
    x_val = y_val = None
    if val is not None:
        x_val, y_val = val
    elif config.validation is not None and config.validation.images is None:
        kept, held = validation_slices(len(y_train), config.validation)
        # Keras' reader shuffled the files; hold out a slice of that order, as for arrays.
        x_val, y_val, x_train, y_train = x_train[held], y_train[held], x_train[kept], y_train[kept]
    pre = config.preprocess
    x_test, y_test = test if test is not None else (None, None)
    prepared = Prepared(
        x_train,
        preprocess_labels(y_train, pre, "data.train"),
        x_val,
        None if y_val is None else preprocess_labels(y_val, pre, "data.validation"),
        x_test,
        None if y_test is None else preprocess_labels(y_test, pre, "data.test"),
        len(names),
    )
    return TrainingData(prepared, names, (), "string", record={"class_names": names})
