"""CSV tables: every bad file is one exact line through `kerascli validate`, before TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.config.schema import HeldOut
from kerascli.data.table_source import classes_of, split_table, target_values
from kerascli.data.tables import feature_columns, infer_kind, read_table
from tests.conftest import ROOT, write_config
from tests.own_files import WEATHER_HEADER, csv_config, weather_rows, write_csv

runner = CliRunner()
HEADER = "temp,wind,weather\n"
GOOD = "20.5,calm,sunny\n3.0,gale,rain\n"

# (train.csv text, data overrides, the exact error line; {f} is the train file, {t} the test file)
BAD_TABLES = [
    pytest.param(
        HEADER + GOOD,
        {"target": "wether"},
        "{f}:1: column wether: not in the header (data.target: did you mean 'weather'?)",
        id="missing-target-column",
    ),
    pytest.param(
        HEADER + GOOD,
        {"target": "label"},
        "{f}:1: column label: not in the header (data.target: the columns are temp, wind, weather)",
        id="missing-target-column-no-match",
    ),
    pytest.param(
        HEADER + "20.5,calm,sunny\n,gale,rain\n",
        {},
        "{f}:3: column temp: missing value (fill it in or remove the row; kerascli does "
        "not guess missing values)",
        id="missing-value",
    ),
    pytest.param(
        HEADER + GOOD + "warm,calm,sunny\n",
        {},
        "{f}:4: column temp: 'warm' is text, but the column's other values are numbers "
        "(fix the value, or read the column as text: features: {temp: "
        "string_categorical})",
        id="text-in-a-number-column",
    ),
    pytest.param(
        "temp,wind,weather\n1,calm,sunny\n2,3,rain\n3,gale,sunny\n",
        {},
        "{f}:3: column wind: '3' is a number, but the column's other values are text "
        "(fix the value, or read the column as text: features: {wind: "
        "string_categorical})",
        id="number-in-a-text-column",
    ),
    pytest.param(
        "",
        {},
        "{f}: is empty (a CSV file needs a header row, then one row of values per example)",
        id="empty-file",
    ),
    pytest.param(
        "\n\n",
        {},
        "{f}: is empty (a CSV file needs a header row, then one row of values per example)",
        id="blank-lines-only",
    ),
    pytest.param(
        HEADER,
        {},
        "{f}: has a header but no rows of values (add one row per example)",
        id="header-only",
    ),
    pytest.param(
        HEADER + "20.5,calm,sunny,extra\n",
        {},
        "{f}:2: has 4 values, the header has 3 columns (quote values that hold commas)",
        id="too-many-values",
    ),
    pytest.param(
        "temp,temp,weather\n1,2,sunny\n",
        {},
        "{f}:1: column temp: appears twice in the header (give every column its own name)",
        id="repeated-column",
    ),
    pytest.param(
        "temp,,weather\n1,2,sunny\n",
        {},
        "{f}:1: column 2 has no name (give every column a name in the header row)",
        id="unnamed-column",
    ),
    pytest.param(
        HEADER + GOOD,
        {"features": {"wnd": "string_categorical"}},
        "{f}:1: column wnd: not in the header (data.features: did you mean 'wind'?)",
        id="feature-not-in-header",
    ),
    pytest.param(
        HEADER + GOOD,
        {"features": {"wind": "float_normalized"}},
        "{f}:2: column wind: 'calm' is not a number (the column is float_normalized)",
        id="text-in-a-declared-number-column",
    ),
    pytest.param(
        "temp,day,weather\n1,2.5,sunny\n2,3,rain\n",
        {"features": {"day": "integer_categorical"}},
        "{f}:2: column day: '2.5' is not an integer (the column "
        "is integer_categorical; use float_normalized for fractions)",
        id="fraction-in-integers",
    ),
    pytest.param(
        HEADER + "20.5,calm,sunny\n3.0,gale,sunny\n",
        {},
        "{f}: column weather: every row has the class 'sunny' (a classifier needs "
        "examples of two classes at least)",
        id="one-class",
    ),
    pytest.param(
        HEADER + "20.5,calm,\n3.0,gale,rain\n",
        {},
        "{f}:2: column weather: missing value (fill it in or remove the row; kerascli "
        "does not guess missing values)",
        id="missing-target-value",
    ),
    pytest.param(
        "weather\nsunny\nrain\n",
        {},
        "{f}: has no column besides the target weather (a model needs at least one feature column)",
        id="no-features",
    ),
    pytest.param(
        b"temp,wind,weather\n1,caf\xe9,sunny\n",
        {},
        "{f}: is not UTF-8 text (byte 23) (save it as UTF-8 CSV)",
        id="not-utf8",
    ),
    pytest.param(
        HEADER + GOOD,
        {"test": "missing.csv"},
        "{t}: no such file (check data.test)",
        id="missing-test-file",
    ),
    pytest.param(
        HEADER + GOOD,
        {"test": "TEST"},
        "{t}:3: column weather: 'hail' is not one of "
        "the classes of the training data (the classes are rain, sunny)",
        id="unseen-class-in-test",
    ),
]


def validate(tmp_path, text, data):
    train = tmp_path / "train.csv"
    train.write_bytes(text if isinstance(text, bytes) else text.encode())
    test = tmp_path / "test.csv"
    test.write_text(HEADER + "1,calm,rain\n2,gale,hail\n", encoding="utf-8")
    if data.get("test") == "TEST":
        data = {**data, "test": str(test)}
    elif data.get("test"):
        data = {**data, "test": str(tmp_path / data["test"])}
    config = csv_config(train)
    config["data"].update(data)
    result = runner.invoke(app, ["validate", str(write_config(tmp_path / "c.yaml", config))])
    return result, train, tmp_path / (data.get("test") or "test.csv")


@pytest.mark.parametrize("text, data, message", BAD_TABLES)
def test_bad_table_is_one_exact_line(tmp_path, text, data, message):
    result, train, test = validate(tmp_path, text, data)
    assert result.exit_code == 2, result.output
    assert result.output.strip() == "error: " + message.replace("{f}", str(train)).replace(
        "{t}", str(test)
    )


def test_a_feature_argument_keras_refuses_is_one_line(tmp_path, runs_dir):
    result, _, _ = validate(
        tmp_path, HEADER + GOOD, {"features": {"wind": {"string_categorical": {"max_tokenz": 5}}}}
    )
    assert result.exit_code == 2
    # validate has printed what it read from the file; Keras' refusal is the last line.
    assert result.output.strip().splitlines()[-1] == (
        "error: data.features.wind.string_categorical: FeatureSpace.string_categorical() got an "
        "unexpected keyword argument 'max_tokenz' (see keras.utils.FeatureSpace."
        "string_categorical)"
    )
    config = write_config(
        tmp_path / "c.yaml",
        {
            **csv_config(tmp_path / "train.csv"),
            "data": {
                **csv_config(tmp_path / "train.csv")["data"],
                "features": {"wind": {"string_categorical": {"max_tokenz": 5}}},
            },
        },
    )
    trained = runner.invoke(app, ["train", str(config), "--quiet"])
    assert trained.exit_code == 2 and trained.output.count("\n") == 1, trained.output
    assert not runs_dir.exists()  # refused before the run directory was made


def test_a_missing_train_file_names_its_key(tmp_path):
    config = csv_config(tmp_path / "nope.csv")
    result = runner.invoke(app, ["validate", str(write_config(tmp_path / "c.yaml", config))])
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {tmp_path / 'nope.csv'}: no such file (check data.train)"
    )


def test_validate_says_which_kinds_it_inferred(tmp_path):
    train = write_csv(tmp_path / "train.csv", WEATHER_HEADER, weather_rows(60))
    config = csv_config(train, features=None)
    config["data"]["features"] = {
        "temp": {"float_discretized": {"num_bins": 4}},
        "wind": "string_categorical",
    }
    declared = runner.invoke(app, ["validate", str(write_config(tmp_path / "d.yaml", config))])
    assert declared.exit_code == 0, declared.output
    assert (
        "  temp: {float_discretized: {num_bins: 4}}\n  wind: string_categorical\n"
        in declared.output
    )
    assert "inferred" not in declared.output
    del config["data"]["features"]
    result = runner.invoke(app, ["validate", str(write_config(tmp_path / "c.yaml", config))])
    assert result.exit_code == 0, result.output
    assert (
        "target weather: 3 classes: rain, snow, sunny\nfeatures:\n"
        "  temp: float_normalized  (inferred)\n  humidity: float_normalized  (inferred)\n"
        "  wind: string_categorical  (inferred)\n  weekday: integer_categorical  (inferred)\n"
        "  fahrenheit: float_normalized  (inferred)\n"
    ) in result.output
    # 1 + 1 + (3 winds + 1 unknown) + (7 weekdays + 1 unknown) + 1 encoded values per row
    assert any(
        "(Dense)" in line and " 256 " in line  # 15 * 16 weights + 16 biases
        for line in result.output.splitlines()
    ), result.output
    assert result.output.rstrip().endswith("c.yaml: OK")


@pytest.mark.parametrize(
    "cells, kind",
    [
        (["1", "2", "3", "2"], "integer_categorical"),
        ([str(i) for i in range(50)], "float_normalized"),
        (["1.5", "2", "-3e2"], "float_normalized"),
        (["a", "b", "a"], "string_categorical"),
        ([f"id{i}" for i in range(1200)], {"string_hashed": {"num_bins": 1024}}),
    ],
)
def test_kinds_are_inferred_from_the_values(tmp_path, cells, kind):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[cell, 0] for cell in cells])
    assert infer_kind(read_table(path, "data.train"), "x") == kind


def test_lenient_reading_keeps_the_good_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("temp,wind\n1.5,calm\n,gale\nhot,calm\n4,breeze\n", encoding="utf-8")
    columns = feature_columns(
        read_table(path, "predict"),
        {"temp": "float_normalized", "wind": "string_categorical"},
        lenient=True,
    )
    assert columns.lines.tolist() == [2, 5]
    assert columns.values["temp"].tolist() == [1.5, 4.0]
    assert columns.values["wind"].tolist() == ["calm", "breeze"]
    assert [error.format() for error in columns.errors] == [
        f"{path}:3: column temp: missing value (fill it in or remove the row; kerascli does not "
        "guess missing values)",
        f"{path}:4: column temp: 'hot' is not a number (the column is float_normalized)",
    ]


def test_a_seeded_split_is_the_same_every_time(tmp_path):
    path = write_csv(tmp_path / "all.csv", WEATHER_HEADER, weather_rows(100))
    table = read_table(path, "data.path")
    train, test = split_table(table, HeldOut(split=0.2))
    again = split_table(table, HeldOut(split=0.2))[1]
    assert len(train.rows) == 80 and len(test.rows) == 20
    assert test.lines == again.lines and not set(test.lines) & set(train.lines)
    assert split_table(table, HeldOut(split=0.2, seed=7))[1].lines != test.lines
    assert np.all(np.diff(test.lines) > 0)  # file order kept


def test_tables_are_checked_before_tensorflow_is_imported(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(HEADER + "20.5,calm,sunny\n,gale,rain\n", encoding="utf-8")
    config = write_config(tmp_path / "c.yaml", csv_config(path))
    code = (
        "import sys\nfrom kerascli.config.loading import load_config\n"
        "from kerascli.data.own import check_own_data\nfrom kerascli.errors import DataError\n"
        f"try:\n    check_own_data(load_config({str(config)!r}).data)\n"
        "except DataError as error:\n    print(error.format())\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert done.stdout.splitlines() == [
        f"{path}:3: column temp: missing value (fill it in or remove the row; kerascli does not "
        "guess missing values)",
        "False False",
    ]


@pytest.mark.parametrize(
    "cells, classes",
    [
        (["10", "2", "2", "-1"], ["-1", "2", "10"]),  # integers: classes in numeric order
        (["b", "a", "b"], ["a", "b"]),
        (["1.5", "2", "3"], None),  # floats: a regression
    ],
)
def test_the_target_decides_classes_or_regression(tmp_path, cells, classes):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[0, cell] for cell in cells])
    table = read_table(path, "data.train")
    assert classes_of(table, "y") == classes
    values, bad = target_values(table, "y", classes)
    assert not bad
    if classes:
        assert [classes[i] for i in values] == [
            str(int(c)) if c.lstrip("-").isdigit() else c for c in cells
        ]
    else:
        np.testing.assert_allclose(values, [float(c) for c in cells])
