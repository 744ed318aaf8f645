"""CSV and text runs through an export: `kerascli export` keeps the network and records the
encoders, `predict` answers without TensorFlow exactly as the Keras path does (in a fresh
interpreter that must not import TensorFlow), and `serve` takes CSV and text uploads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.runs.saved import open_run
from tests.conftest import write_config
from tests.inference.test_exported import loaded_modules, run_cli
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
# Every FeatureSpace kind kerascli offers, over the weather table's five feature columns.
EXPLICIT = {
    "temp": "float",
    "humidity": {"float_discretized": {"num_bins": 5}},
    "wind": {"string_hashed": {"num_bins": 8}},
    "weekday": {"integer_hashed": {"num_bins": 4}},
    "fahrenheit": {"float_rescaled": {"scale": 0.1, "offset": -3.0}},
}
INFERRED = None  # float_normalized, string_categorical and integer_categorical, as inferred


def train(base: Path, name: str, config: dict) -> Path:
    config["fit"]["epochs"] = 2
    runs = base / "runs"
    result = runner.invoke(
        app,
        [
            "train",
            str(write_config(base / f"{name}.yaml", config)),
            "--quiet",
            "--runs-dir",
            str(runs),
            "--name",
            name,
        ],
    )
    assert result.exit_code == 0, result.output
    return next(p for p in runs.iterdir() if p.name.startswith(name))


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("own-export")
    write_weather(base)
    write_reviews(base / "reviews")
    # Rows with values training never saw: a new wind, a new weekday, extreme numbers.
    rows = weather_rows(6, seed=5)
    rows[0][2], rows[1][3], rows[2][0], rows[3][1] = "hurricane", 99, -80.5, 1000
    write_csv(base / "unseen.csv", WEATHER_HEADER, rows)
    odd = base / "odd"
    odd.mkdir()
    (odd / "shout.txt").write_text("GREAT!!! Great, great... FUN\tfun", encoding="utf-8")
    (odd / "accents.txt").write_text("Ça va? naïve café — terrible", encoding="utf-8")
    (odd / "empty.txt").write_text("", encoding="utf-8")
    (odd / "long.txt").write_text("boring " * 300, encoding="utf-8")
    return base


def counts_config(root: Path) -> dict:
    config = text_config(root)
    config["model"]["layers"] = [
        {
            "TextVectorization": {
                "max_tokens": 100,
                "output_mode": "count",
                "pad_to_max_tokens": True,
            }
        },
        {"Dense": {"units": 2, "activation": "softmax"}},
    ]
    return config


@pytest.fixture(scope="module")
def runs(data) -> dict[str, Path]:
    """Five tiny runs, each exported to ONNX and LiteRT and checked on its test split."""
    made = {
        "explicit": train(
            data, "explicit", csv_config(data / "train.csv", data / "test.csv", features=EXPLICIT)
        ),
        "inferred": train(data, "inferred", csv_config(data / "train.csv", data / "test.csv")),
        "regression": train(
            data,
            "regression",
            {
                **csv_config(data / "train.csv", data / "test.csv", target="fahrenheit"),
                "model": {
                    "layers": [
                        {"Dense": {"units": 8, "activation": "relu"}},
                        {"Dense": {"units": 1}},
                    ]
                },
                "compile": {"optimizer": "adam", "loss": "mse"},
            },
        ),
        "text": train(data, "text", text_config(data / "reviews")),
        "counts": train(data, "counts", counts_config(data / "reviews")),
    }
    for run in made.values():
        result = runner.invoke(app, ["export", str(run), "--format", "onnx,litert", "--check"])
        assert result.exit_code == 0, result.output
        assert "NO" not in result.output
    return made


def inputs_of(name: str, data: Path) -> list[Path]:
    if name in ("text", "counts"):
        return [data / "reviews" / "test", data / "odd"]
    return [data / "test.csv", data / "unseen.csv"]


def keras_rows(run: Path, paths: list[Path]) -> list[dict]:
    """What the Keras path answers (`predict_files` never uses an export)."""
    from kerascli.commands.predict import predict_files

    report = predict_files(paths, open_run(run), top_k=2)
    assert not report.errors
    return [p.to_json() for p in report.predictions]


def assert_same(rows: list[dict], expected: list[dict]) -> None:
    assert [row["file"] for row in rows] == [row["file"] for row in expected]
    for row, want in zip(rows, expected):
        if "value" in want:
            assert abs(row["value"] - want["value"]) <= 1e-4 * max(1.0, abs(want["value"]))
            continue
        assert [t["class"] for t in row["top_k"]] == [t["class"] for t in want["top_k"]]
        for got, wanted in zip(row["top_k"], want["top_k"]):
            assert abs(got["probability"] - wanted["probability"]) <= 2e-6


@pytest.mark.parametrize(
    "name, kind, dtype",
    [
        ("explicit", "table", "float32"),
        ("inferred", "table", "float32"),
        ("regression", "table", "float32"),
        ("text", "text", "int64"),
        ("counts", "text", "float32"),
    ],
)
def test_the_manifest_records_the_encoders_and_the_network_input(runs, name, kind, dtype):
    entry = json.loads((runs[name] / "export" / "manifest.json").read_text())["networks"]["model"]
    assert entry["input"]["kind"] == kind
    assert entry["tensor"]["dtype"] == dtype
    assert entry["kind"] == ("regressor" if name == "regression" else "classifier")
    if kind == "table":
        target = "fahrenheit" if name == "regression" else "weather"
        assert [c["column"] for c in entry["input"]["columns"]] == sorted(
            set(WEATHER_HEADER) - {target}
        )  # FeatureSpace's order
    elif name == "text":  # token ids: padding and the unknown word first
        assert entry["input"]["vectorization"]["vocabulary"][:2] == ["", "[UNK]"]
        assert entry["input"]["vectorization"]["output_sequence_length"] == 24
    else:  # one count per word (padded to max_tokens), the unknown word first
        assert entry["input"]["vectorization"]["vocabulary"][0] == "[UNK]"
        assert entry["tensor"]["shape"] == [None, 100]


@pytest.mark.parametrize("name", ["explicit", "inferred", "regression", "text", "counts"])
@pytest.mark.parametrize("engine, hide", [("onnx", ""), ("litert", "onnxruntime")])
def test_predict_answers_as_keras_without_tensorflow(runs, data, name, engine, hide):
    paths = inputs_of(name, data)
    result = run_cli("predict", *paths, "--run", runs[name], "--json", "--top-k", "2", hide=hide)
    assert result.returncode == 0, result.stderr
    assert loaded_modules(result) == "LOADED:"
    assert "SCHEMA:False" in result.stderr
    assert "note:" not in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert_same(rows, keras_rows(runs[name], paths))


def test_hashed_columns_without_farmhash_fall_back_to_keras_and_say_why(runs, data):
    result = run_cli(
        "predict",
        data / "test.csv",
        "--run",
        runs["explicit"],
        "--json",
        "--top-k",
        "2",
        hide="farmhash",
    )
    assert result.returncode == 0, result.stderr
    assert "note: predicting with Keras: its hashed columns need pyfarmhash" in result.stderr
    assert loaded_modules(result) == "LOADED:keras,tensorflow"
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert_same(rows, keras_rows(runs["explicit"], [data / "test.csv"]))


def test_bad_rows_and_files_are_reported_as_on_the_keras_path(runs, data, tmp_path):
    bad_csv = write_csv(
        tmp_path / "bad.csv",
        WEATHER_HEADER,
        [[1.5, "wet", "calm", 3, "rain", 40.0], [2.0, 50, "calm", 2, "sunny", 35.0]],
    )
    bad_text = tmp_path / "latin1.txt"
    bad_text.write_bytes("caf\xe9".encode("latin-1"))
    from kerascli.commands.predict import predict_files

    for run, paths in (
        (runs["inferred"], [bad_csv, tmp_path / "missing.csv"]),
        (runs["text"], [bad_text, tmp_path / "gone.txt", data / "odd" / "shout.txt"]),
    ):
        exported = run_cli("predict", *paths, "--run", run, "--json")
        keras = predict_files(paths, open_run(run))
        assert exported.returncode == 2
        assert loaded_modules(exported) == "LOADED:"
        errors = [line for line in exported.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: {error.format()}" for error in keras.errors]
        assert len(errors) == 2
        # The good row or file is still predicted, as on the Keras path.
        assert len(exported.stdout.splitlines()) == len(keras.predictions) == 1


def test_serve_takes_csv_and_text_uploads(runs, data):
    from fastapi.testclient import TestClient

    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor
    from kerascli.inference.server import make_app

    table = exported_predictor(choose_engine(runs["inferred"]).exported)
    with TestClient(make_app(table)) as client:
        answer = client.post(
            "/predict",
            params={"top_k": 2},
            files={"file": ("rows.csv", (data / "test.csv").read_bytes(), "text/csv")},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["errors"] == []
        expected = keras_rows(runs["inferred"], [data / "test.csv"])
        assert_same(
            body["predictions"],
            [
                {**row, "file": row["file"].replace(str(data / "test.csv"), "rows.csv")}
                for row in expected
            ],
        )
        mixed = client.post(
            "/predict",
            files={
                "file": (
                    "m.csv",
                    b"temp,humidity,wind,weekday,fahrenheit\n1,x,calm,3,4\n2,50,calm,3,35\n",
                    "text/csv",
                )
            },
        )
        assert mixed.status_code == 200
        assert len(mixed.json()["predictions"]) == 1
        assert mixed.json()["errors"] == [
            "m.csv:2: column humidity: 'x' is not a number (the column is float_normalized)"
        ]
        assert (
            client.post("/predict", files={"file": ("e.csv", b"a,b\n", "text/csv")}).status_code
            == 422
        )
        assert client.get("/health").json()["classes"] == 3
    text = exported_predictor(choose_engine(runs["text"]).exported)
    with TestClient(make_app(text)) as client:
        answer = client.post(
            "/predict", files={"file": ("review.txt", b"great fun, lovely", "text/plain")}
        )
        assert answer.status_code == 200
        assert answer.json()["file"] == "review.txt"
        assert answer.json()["class"] in ("neg", "pos")
        refused = client.post("/predict", files={"file": ("x.txt", b"caf\xe9", "text/plain")})
        assert refused.status_code == 422
        assert refused.json() == {"error": "x.txt: is not UTF-8 text (byte 3) (save it as UTF-8)"}


ROW = {"temp": 30.5, "humidity": 85, "wind": "calm", "weekday": 3, "fahrenheit": 86.9}


@pytest.mark.parametrize(
    "body, status, expected",
    [
        (ROW, 200, {"file": "request:1"}),
        (
            {**ROW, "weather": "rain", "extra": [1]},
            200,
            {"file": "request:1"},
        ),  # extra keys ignored
        (
            {"rows": [ROW, {**ROW, "temp": "hot"}, {**ROW, "wind": None}]},
            200,
            {
                "errors": [
                    "request:2: column temp: 'hot' is not a number (the column is "
                    "float_normalized)",
                    "request:3: column wind: missing value (fill it in or remove the row; kerascli "
                    "does not guess missing values)",
                ]
            },
        ),
        (
            {**ROW, "temp": None},
            422,
            {
                "error": "request:1: column temp: missing value (fill it in "
                "or remove the row; kerascli does not guess missing "
                "values)"
            },
        ),
        (
            {"temp": 1.0, "wind": "calm"},
            422,
            {
                "error": "request: no row has the column(s) humidity, "
                "weekday, fahrenheit (the model takes temp, "
                "humidity, wind, weekday, fahrenheit)"
            },
        ),
        ([], 422, None),
        ("rain", 422, None),
        ([1, 2], 422, None),
    ],
    ids=[
        "row",
        "extra-keys",
        "rows",
        "missing-value",
        "missing-column",
        "empty",
        "string",
        "numbers",
    ],
)
def test_serve_takes_rows_as_json(runs, body, status, expected):
    from fastapi.testclient import TestClient

    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor
    from kerascli.inference.server import make_app

    with TestClient(
        make_app(exported_predictor(choose_engine(runs["inferred"]).exported))
    ) as client:
        answer = client.post("/predict", json=body, params={"top_k": 2})
        assert answer.status_code == status, answer.text
        got = answer.json()
        if expected is None:
            assert set(got) == {"error"} and got["error"].startswith("one row as an object")
            return
        for key, value in expected.items():
            assert got[key] == value
        if status == 200 and "rows" in body:
            assert [p["file"] for p in got["predictions"]] == ["request:1"]
        # The server goes on serving after every answer.
        assert client.get("/health").status_code == 200


def test_serve_takes_texts_as_json_and_answers_as_the_file_would_be(runs, data):
    from fastapi.testclient import TestClient

    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor
    from kerascli.inference.server import make_app

    text = (data / "odd" / "shout.txt").read_text(encoding="utf-8")
    with TestClient(make_app(exported_predictor(choose_engine(runs["text"]).exported))) as client:
        one = client.post("/predict", json={"text": text}, params={"top_k": 2}).json()
        upload = client.post(
            "/predict",
            params={"top_k": 2},
            files={"file": ("shout.txt", text.encode(), "text/plain")},
        ).json()
        assert one["top_k"] == upload["top_k"] and one["file"] == "request:1"
        many = client.post("/predict", json={"texts": [text, "awful dull"]}).json()
        assert [p["file"] for p in many["predictions"]] == ["request:1", "request:2"]
        for wrong in ({"texts": [3]}, {"texts": "one string, not a list"}, {"text": None}, 7):
            assert client.post("/predict", json=wrong).status_code == 422
        for body in (b"{not json", b"[" * 100_000 + b"]" * 100_000):
            refused = client.post(
                "/predict", content=body, headers={"content-type": "application/json"}
            )
            assert refused.status_code == 400
            assert refused.json() == {"error": "the body is not valid JSON"}


def test_a_text_model_without_a_fixed_length_is_refused_in_one_line(data):
    config = text_config(data / "reviews")
    config["model"]["layers"][0] = {"TextVectorization": {"max_tokens": 200}}
    run = train(data, "ragged", config)
    result = runner.invoke(app, ["export", str(run), "--format", "onnx"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {run / 'model.keras'}: its TextVectorization has output_mode='int' without "
        "output_sequence_length, which the TensorFlow-free path does not implement (use the "
        "defaults with output_sequence_length, or predict through Keras)"
    ]
    assert not (run / "export").exists()


def test_a_saved_model_export_is_checked_through_the_same_encoding(runs):
    result = runner.invoke(
        app,
        ["export", str(runs["inferred"]), "--format", "saved_model", "--check", "--examples", "20"],
    )
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "│ saved_model" in line)
    assert "100.00%" in row and "yes" in row
    manifest = json.loads((runs["inferred"] / "export" / "manifest.json").read_text())
    # The formats exported before are kept beside the new one.
    assert set(manifest["networks"]["model"]["formats"]) == {"onnx", "litert", "saved_model"}


def test_the_keras_path_serves_rows_and_texts_the_same(runs, data):
    """A run served through Keras (no export usable) answers as through ONNX (in-process apps)."""
    from fastapi.testclient import TestClient

    from kerascli.commands.predict import keras_predictor
    from kerascli.inference.engine import choose_engine
    from kerascli.inference.exported import exported_predictor
    from kerascli.inference.server import make_app

    for name, body in (
        ("inferred", {"rows": [ROW, {**ROW, "wind": "gale", "temp": -3.0}]}),
        ("text", {"texts": ["great fun", "dull, awful plot", ""]}),
    ):
        keras_app = make_app(keras_predictor(open_run(runs[name])))
        onnx_app = make_app(exported_predictor(choose_engine(runs[name]).exported))
        with TestClient(keras_app) as keras_client, TestClient(onnx_app) as onnx_client:
            assert keras_client.get("/health").json()["engine"] == "keras"
            got = onnx_client.post("/predict", json=body, params={"top_k": 2}).json()
            want = keras_client.post("/predict", json=body, params={"top_k": 2}).json()
            assert_same(got["predictions"], want["predictions"])
            assert got["errors"] == want["errors"] == []
