"""`kerascli evaluate`: a finished run's saved model on its test data, again.

The test split is rebuilt from the run's `config.yaml` exactly as training built it (source,
`data.limit`, `data.preprocess`); `--set` overrides can point it at another test set, e.g.
`data.test.images=...` and `data.test.labels=...` for an `idx` source.
"""

from __future__ import annotations

import numpy as np

from kerascli.config.sources import ENCODED_SOURCES
from kerascli.data.own import load_own_test
from kerascli.data.pipeline import feed_inputs, feed_targets, input_shapes
from kerascli.data.preprocess import (
    count_classes,
    display_range,
    preprocess_images,
    preprocess_labels,
)
from kerascli.data.sources import class_names, load_splits
from kerascli.errors import DataError, one_line
from kerascli.evaluation.evaluate import evaluate_model
from kerascli.models.checks import dry_run_error
from kerascli.models.compiling import compile_model
from kerascli.models.loading import load_model
from kerascli.report import write_report
from kerascli.runs.layout import utc_now
from kerascli.runs.lock import locked
from kerascli.runs.results import Evaluation
from kerascli.runs.saved import SavedRun


def _recorded_classes(run: SavedRun) -> tuple[bool, int | None]:
    """`(trusted, count)`: the class count training recorded, if it is one.

    `None` is recorded for regression data; a count below one (a run.json edited by hand) is
    not trusted.
    """
    count = run.record.num_classes
    return run.record.records_class_count and (count is None or count > 0), count


def _test_arrays(run: SavedRun):
    """An array source's test split, preprocessed, and the run's class count."""
    config = run.config
    splits = load_splits(config.data)
    if splits.x_test is None:
        raise DataError(
            "data.test",
            "the run's data has no test split",
            "point evaluate at one with --set, e.g. --set data.test.images=F "
            "--set data.test.labels=F for an idx source",
        )
    pre = config.data.preprocess
    x_test = preprocess_images(splits.x_test, pre, "data.test")
    y_test = preprocess_labels(splits.y_test, pre, "data.test")
    trusted, num_classes = _recorded_classes(run)
    if not trusted:
        num_classes = count_classes(splits.y_train, pre)  # as training counted them
    return x_test, y_test, num_classes


def _recorded_names(run: SavedRun) -> list[str] | None:
    """The class names training recorded (image folders), if it recorded some."""
    return run.record.class_names or None


def evaluate_run(run: SavedRun) -> Evaluation:
    """Evaluates an opened run's model on its test data and writes `evaluation.json` and plots.

    Args:
        run: A run made by `kerascli train`, opened with any `--set` overrides
            (`runs.saved.open_run`).

    Returns:
        The `Evaluation`, also written to `evaluation.json` (see `evaluate_model`), with
        `run`, `overrides` and `evaluated` added. The run's `report.html` is rewritten with it.

    Raises:
        RunError: When the model cannot be loaded, or another process holds the run.
        DataError: When the test data is missing, unreadable, or does not fit the model.
    """
    config = run.config
    if config.data.source in ENCODED_SOURCES:
        # Raw rows or texts: the saved model holds its FeatureSpace or TextVectorization.
        record = run.record
        found = load_own_test(config.data, record.target, record.features, record.class_names)
        if found is None:
            raise DataError(
                "data.test",
                "the run's data has no test split",
                "point evaluate at one with --set data.test=FILE (csv)",
            )
        x_test, y_test, names = found
        num_classes = len(names) if names else None
    else:
        x_test, y_test, num_classes = _test_arrays(run)
        names = _recorded_names(run) or class_names(config.data, num_classes)
    model = load_model(run)
    if not getattr(model, "compiled", False):
        compile_model(model, config.compile)
    shapes = input_shapes(model)
    x, y = feed_inputs(x_test, shapes), feed_targets(y_test, model)
    message = dry_run_error(model, x, y)
    if message is not None:
        raise DataError(
            "data.test",
            f"the test data does not fit the model: {one_line(message)}",
            "use test data shaped like the training data",
        )
    with locked(run.run_dir):
        record = evaluate_model(
            model,
            x,
            y,
            run_dir=run.run_dir,
            class_names=names,
            num_classes=num_classes,
            batch_size=config.evaluate.batch_size or max(config.fit.batch_size, 256),
            images=x_test if isinstance(x_test, np.ndarray) else None,  # not texts, raw rows
            value_range=display_range(config.data.preprocess),
            extra={
                "run": run.run_dir.name,
                "overrides": list(run.overrides),
                "evaluated": utc_now(),
            },
        )
        write_report(run.run_dir)
    return record
