"""`kerascli init`: a starter config written from a folder the test fills, then trained as is."""

from __future__ import annotations

import json

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from kerascli.cli.main import app
from tests.data.test_image_folders import write_images

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_init_then_train_works_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_images(tmp_path / "photos", 6, formats=("png",))
    result = invoke("init", "photos/")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wrote: kerascli.yaml (a starter for images: 3 classes (blue sky, grün, red), 18 "
        "training images)",
        "train it with: kerascli train kerascli.yaml",
    ]
    text = (tmp_path / "kerascli.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert config["data"] == {
        "source": "images",
        "path": "photos",
        "image_size": [16, 16],
        "color_mode": "rgb",
        "test": {"split": 0.2},
        "validation": {"split": 0.2},
        "preprocess": {"scale": 255},
    }
    assert config["model"]["layers"][-1] == {"Dense": {"units": 3, "activation": "softmax"}}
    assert "# one unit per class: blue sky, grün, red" in text
    result = invoke("train", "kerascli.yaml", "--quiet")  # the config exactly as written
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    evaluation = json.loads((run / "evaluation.json").read_text(encoding="utf-8"))
    assert [row["class"] for row in evaluation["per_class"][:3]] == ["blue sky", "grün", "red"]


def test_init_reads_a_train_test_layout_gray_and_large(tmp_path):
    for split in ("train", "test", "val"):
        for name in ("a", "b"):
            (tmp_path / "d" / split / name).mkdir(parents=True)
            Image.new("L", (300, 200), 128).save(tmp_path / "d" / split / name / "x.png")
    out = tmp_path / "starter.yaml"
    assert invoke("init", tmp_path / "d", "--out", out).exit_code == 0
    data = yaml.safe_load(out.read_text(encoding="utf-8"))["data"]
    assert data["image_size"] == [128, 128] and data["color_mode"] == "grayscale"
    assert "test" not in data and "validation" not in data  # test/ and val/ folders hold them


def test_init_never_overwrites(tmp_path):
    write_images(tmp_path / "p", 1)
    out = tmp_path / "mine.yaml"
    out.write_text("mine", encoding="utf-8")
    result = invoke("init", tmp_path / "p", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: already exists; kerascli init never overwrites a "
        "file (choose another --out, or move the file away)\n"
    )
    assert out.read_text(encoding="utf-8") == "mine"


def write_table(path, rows=60):
    """A table whose class (`kind`) follows `size`, and whose `score` is a float."""
    lines = ["size,colour,score,kind"]
    for row in range(rows):
        size = row % 10
        lines.append(
            f"{size},{('red', 'blue')[row % 2]},{size * 0.5 + row % 3:.2f},"
            f"{'big' if size >= 5 else 'small'}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_texts(root, per_class=12):
    """A folder of class folders of .txt files, the classes told apart by their words."""
    words = {"good": "great fine lovely", "bad": "awful poor dreadful"}
    for name, vocabulary in words.items():
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            (root / name / f"{index}.txt").write_text(
                f"{vocabulary} number {index}", encoding="utf-8"
            )
    return root


def test_init_then_train_a_csv_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_table(tmp_path / "shapes.csv")
    result = invoke("init", "shapes.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "wrote: kerascli.yaml (a starter for csv: 60 rows, 3 features, target kind: 2 classes "
        "(big, small))",
        "train it with: kerascli train kerascli.yaml",
    ]
    text = (tmp_path / "kerascli.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    assert config["data"] == {
        "source": "csv",
        "path": "shapes.csv",
        "test": {"split": 0.2},
        "target": "kind",
        "validation": {"split": 0.1},
    }
    assert config["model"]["layers"][-1] == {"Dense": {"units": 2, "activation": "softmax"}}
    assert "(the last column; choose another with kerascli init --target)" in text
    assert "#   colour: string_categorical" in text  # the inferred kinds, as comments
    result = invoke("train", "kerascli.yaml", "--quiet", "--set", "fit.epochs=2")
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert record["class_names"] == ["big", "small"]
    assert (run / "evaluation.json").exists()


def test_init_a_regression_with_target(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_table(tmp_path / "shapes.csv")
    result = invoke("init", "shapes.csv", "--target", "score", "--out", "reg.yaml")
    assert result.exit_code == 0, result.output
    assert "target score: a regression" in result.stdout
    config = yaml.safe_load((tmp_path / "reg.yaml").read_text(encoding="utf-8"))
    assert config["data"]["target"] == "score"
    assert config["model"]["layers"][-1] == {"Dense": {"units": 1}}
    assert (config["compile"]["loss"], config["compile"]["metrics"]) == ("mse", ["mae"])
    result = invoke("train", "reg.yaml", "--quiet", "--set", "fit.epochs=2")
    assert result.exit_code == 0, result.output


def test_init_then_train_a_text_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_texts(tmp_path / "reviews")
    result = invoke("init", "reviews/")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "wrote: kerascli.yaml (a starter for text: 2 classes (bad, good))"
    )
    config = yaml.safe_load((tmp_path / "kerascli.yaml").read_text(encoding="utf-8"))
    assert config["data"] == {
        "source": "text",
        "path": "reviews",
        "test": {"split": 0.2},
        "validation": {"split": 0.2},
    }
    assert config["model"]["layers"][-1] == {"Dense": {"units": 2, "activation": "softmax"}}
    result = invoke("train", "kerascli.yaml", "--quiet", "--set", "fit.epochs=2")
    assert result.exit_code == 0, result.output
    run = next((tmp_path / "runs").iterdir())
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["class_names"] == [
        "bad",
        "good",
    ]


def _text_folder(root):
    (root / "pos").mkdir(parents=True)
    (root / "pos" / "a.txt").write_text("good", encoding="utf-8")
    return root


def _csv(text):
    def make(root):
        (root.parent / "t.csv").write_text(text, encoding="utf-8")
        return root.parent / "t.csv"

    return make


@pytest.mark.parametrize(
    "make, message",
    [
        (
            _csv("a,b\n" + "1,x\n" * 10),
            "{path}: column b: every row has the class 'x' (a classifier "
            "needs examples of two classes at least)",
        ),
        (_text_folder, "{path}: has 1 class folder(s)"),
        (
            lambda root: root,
            "{path}: no such file or folder (give a folder of class folders, or a CSV file)",
        ),
        (
            lambda root: (root.parent / "x.json").write_text("{}") and root.parent / "x.json",
            "{path}: kerascli init reads a folder of class folders or a CSV file",
        ),
        (
            lambda root: (
                (root / "a").mkdir(parents=True) or (root / "a" / "x.md").write_text("m") and root
            ),
            "{path}: its class folders hold no PNG, JPEG, BMP or GIF images and no .txt files",
        ),
        (
            lambda root: (root.parent / "x.tsv").write_text("a") and root.parent / "x.tsv",
            "{path}: kerascli init reads a folder of class folders or a CSV file",
        ),
        (lambda root: (root.mkdir(), root)[1], "{path}: no class folders in this folder"),
    ],
)
def test_init_refuses_what_it_cannot_start(tmp_path, make, message):
    path = make(tmp_path / "data")
    result = invoke("init", path, "--out", tmp_path / "c.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: " + message.format(path=path)), result.stderr
    assert not (tmp_path / "c.yaml").exists()


def test_init_target_is_for_tables(tmp_path):
    write_texts(tmp_path / "reviews", per_class=2)
    result = invoke("init", tmp_path / "reviews", "--target", "kind", "--out", tmp_path / "c.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --target: is for CSV tables; {tmp_path / 'reviews'} holds "
        "text (the class folders' names are the classes)\n"
    )
    assert not (tmp_path / "c.yaml").exists()


def test_init_target_must_be_a_column(tmp_path):
    write_table(tmp_path / "t.csv")
    result = invoke("init", tmp_path / "t.csv", "--target", "knd", "--out", tmp_path / "c.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 't.csv'}:1: column knd: not in the header "
        "(--target: did you mean 'kind'?)\n"
    )


def test_a_starter_is_validated_by_trains_own_loader_before_it_is_written(tmp_path, monkeypatch):
    """A template bug is caught as `kerascli train` would catch it (file:line:column), and
    nothing is written."""
    from kerascli.commands import init_templates

    monkeypatch.setattr(
        init_templates, "IMAGES", init_templates.IMAGES.replace("MaxPooling2D", "MaxPool2d")
    )
    write_images(tmp_path / "p", 2)
    out = tmp_path / "starter.yaml"
    result = invoke("init", tmp_path / "p", "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {out}: the starter config does not validate: {out}:22:7: "
        "model.layers[1].MaxPool2d: unknown layer 'MaxPool2d' (did you mean 'MaxPool2D'?) "
        "(please report this as a kerascli bug)\n"
    )
    assert not out.exists()
