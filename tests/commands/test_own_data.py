"""End-to-end through the CLI: train, evaluate and predict on CSV tables and text folders."""

from __future__ import annotations

import json
import zipfile

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.conftest import write_config
from tests.own_files import (
    WEATHER_HEADER,
    csv_config,
    text_config,
    weather_rows,
    write_csv,
    write_reviews,
    write_weather,
)

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def train(tmp_path, config, name="c.yaml"):
    result = invoke("train", write_config(tmp_path / name, config), "--quiet")
    assert result.exit_code == 0, result.output
    return result


def newest(runs_dir):
    return sorted(p for p in runs_dir.iterdir() if p.is_dir())[-1]


def json_lines(output):
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """A classifier trained once on a weather table (kinds inferred) through the CLI."""
    base = tmp_path_factory.mktemp("table")
    train_csv, test_csv = write_weather(base)
    config = csv_config(train_csv, test_csv, validation={"split": 0.2})
    result = runner.invoke(
        app,
        [
            "train",
            str(write_config(base / "c.yaml", config)),
            "--quiet",
            "--runs-dir",
            str(base / "runs"),
        ],
    )
    assert result.exit_code == 0, result.output
    return base, newest(base / "runs"), result


def test_a_csv_classifier_trains_with_class_names_and_kinds_recorded(table_run):
    base, run, result = table_run
    record = json.loads((run / "run.json").read_text())
    assert record["class_names"] == ["rain", "snow", "sunny"]
    assert record["target"] == "weather"
    assert record["features"]["wind"] == "string_categorical"
    assert record["features"]["weekday"] == "integer_categorical"
    assert record["task"] == "classification"
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert [row["class"] for row in evaluation["per_class"]] == ["rain", "snow", "sunny"]
    assert evaluation["examples"] == 60
    assert evaluation["metrics"]["accuracy"] > 0.6  # the rule behind the labels is learnable
    # The FeatureSpace's vocabularies live inside model.keras: predict needs nothing else.
    names = zipfile.ZipFile(run / "model.keras").namelist()
    assert any(name.endswith("vocabulary.txt") for name in names), names


def test_evaluate_prints_the_table_by_class_name(table_run):
    base, run, _ = table_run
    result = invoke("evaluate", run)
    assert result.exit_code == 0, result.output
    assert "test (60 examples, classification)" in result.output
    for name in ("rain", "snow", "sunny", "macro avg"):
        assert f"│ {name} " in result.output


def test_predict_reports_the_bad_row_and_predicts_the_others(table_run):
    base, run, _ = table_run
    rows = base / "rows.csv"
    # No target column: predict needs only the features. Line 3 has no temperature.
    rows.write_text(
        "temp,humidity,wind,weekday,fahrenheit\n25,90,calm,3,77\n,50,gale,2,40\n"
        "30,20,breeze,6,86\n",
        encoding="utf-8",
    )
    result = invoke("predict", rows, "--run", run, "--json", "--top-k", "2")
    assert result.exit_code == 2
    predictions = json_lines(result.output)
    assert [p["file"] for p in predictions] == [f"{rows}:2", f"{rows}:4"]
    assert all(
        p["class"] in ("rain", "snow", "sunny")
        and 0 < p["probability"] <= 1
        and len(p["top_k"]) == 2
        for p in predictions
    )
    assert predictions[0]["class"] == "rain" and predictions[1]["class"] == "sunny"
    assert (
        f"error: {rows}:3: column temp: missing value (fill it in or remove the row; "
        "kerascli does not guess missing values)"
    ) in result.output


def test_predict_takes_rows_with_the_target_column_too(table_run):
    base, run, _ = table_run
    rows = write_csv(base / "with_target.csv", WEATHER_HEADER, weather_rows(5, seed=9))
    result = invoke("predict", rows, "--run", run, "--json")
    assert result.exit_code == 0, result.output
    # JSON lines, not the table, which folds a long temporary path; rows are named by line.
    assert [p["file"] for p in json_lines(result.output)] == [f"{rows}:{n}" for n in range(2, 7)]


def test_a_float_target_makes_a_regression(tmp_path, runs_dir):
    path = write_csv(tmp_path / "all.csv", WEATHER_HEADER, weather_rows(300))
    config = csv_config(path)
    config["data"] = {
        "source": "csv",
        "path": str(path),
        "test": {"split": 0.2},
        "target": "fahrenheit",
        "features": {"temp": "float_normalized", "wind": "string_categorical"},
    }
    config["model"]["layers"][-1] = {"Dense": {"units": 1}}
    config["compile"] = {
        "optimizer": {"Adam": {"learning_rate": 0.05}},
        "loss": "mse",
        "metrics": ["mae"],
    }
    config["fit"]["epochs"] = 30
    train(tmp_path, config)
    run = newest(runs_dir)
    record = json.loads((run / "run.json").read_text())
    assert record["task"] == "regression" and record["class_names"] is None
    evaluation = invoke("evaluate", run)
    assert evaluation.exit_code == 0, evaluation.output
    assert "test (60 examples, regression)" in evaluation.output
    assert "per class" not in evaluation.output
    assert json.loads((run / "evaluation.json").read_text())["metrics"]["mae"] < 5
    rows = tmp_path / "rows.csv"
    rows.write_text("temp,wind\n0,calm\n30,gale\n", encoding="utf-8")
    predicted = invoke("predict", rows, "--run", run, "--json")
    assert predicted.exit_code == 0, predicted.output
    values = [p["value"] for p in json_lines(predicted.output)]
    assert abs(values[0] - 32) < 8 and abs(values[1] - 86) < 8, values


def test_a_text_classifier_trains_evaluates_and_predicts(tmp_path, runs_dir):
    import keras

    root = write_reviews(tmp_path / "reviews")
    train(tmp_path, text_config(root, validation={"split": 0.2}))
    run = newest(runs_dir)
    assert json.loads((run / "run.json").read_text())["class_names"] == ["neg", "pos"]
    # TextVectorization's vocabulary is inside model.keras, which loads in safe mode.
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    assert model.layers[0].__class__.__name__ == "TextVectorization"
    assert model.layers[0].vocabulary_size() > 10
    evaluation = invoke("evaluate", run)
    assert evaluation.exit_code == 0, evaluation.output
    assert "test (40 examples, classification)" in evaluation.output
    assert "│ neg " in evaluation.output and "│ pos " in evaluation.output
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("a great and superb film, excellent fun", encoding="utf-8")
    bad.write_bytes(b"\xff\xfe awful")
    result = invoke("predict", good, root / "test" / "neg" / "1.txt", bad, "--run", run, "--json")
    assert result.exit_code == 2
    predictions = json_lines(result.output)
    assert [(p["file"], p["class"]) for p in predictions] == [
        (str(good), "pos"),
        (str(root / "test" / "neg" / "1.txt"), "neg"),
    ]
    assert f"error: {bad}: is not UTF-8 text (byte 0) (save it as UTF-8)" in result.output
    folder = invoke("predict", root / "test" / "pos", "--run", run, "--json")
    assert folder.exit_code == 0, folder.output
    found = json_lines(folder.output)
    assert len(found) == 20 and sum(p["class"] == "pos" for p in found) >= 14


def test_text_with_a_split_of_one_folder(tmp_path, runs_dir):
    root = write_reviews(tmp_path / "reviews", {"all": 30})
    config = text_config(root / "all", test={"split": 0.25})
    config["fit"]["epochs"] = 1
    train(tmp_path, config)
    run = newest(runs_dir)
    first = json.loads((run / "evaluation.json").read_text())
    assert first["examples"] == 15
    again = invoke("evaluate", run)  # the same seed holds out the same files
    assert again.exit_code == 0, again.output
    assert json.loads((run / "evaluation.json").read_text())["loss"] == pytest.approx(
        first["loss"], rel=1e-5
    )


def test_a_table_run_resumes_with_the_same_encoding(tmp_path, runs_dir):
    train_csv, test_csv = write_weather(tmp_path, train=120, test=30)
    config = csv_config(train_csv, test_csv)
    config["fit"]["epochs"] = 1
    train(tmp_path, config)
    run = newest(runs_dir)
    result = invoke(
        "train", tmp_path / "c.yaml", "--quiet", "--resume", run, "--set", "fit.epochs=2"
    )
    assert result.exit_code == 0, result.output
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "completed" and record["epochs"] == 2
    predicted = invoke("predict", test_csv, "--run", run, "--json")
    assert predicted.exit_code == 0, predicted.output
    assert len(json_lines(predicted.output)) == 30
