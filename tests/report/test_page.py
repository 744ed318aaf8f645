"""The HTML report of real tiny runs: a classifier, a regression and a GAN, each holding its parts.

Every page is parsed and must reference nothing outside itself (no network, no relative files).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from kerascli.cli.main import app
from kerascli.report import build_report, write_report
from tests.commands.test_gan import gan_config, only_run, train_gan
from tests.conftest import train_tiny_run, write_config

runner = CliRunner()
_REFERENCES = {
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "poster",
    "data",
    "formaction",
    "background",
    "manifest",
    "ping",
}


class Page(HTMLParser):
    """A parsed report: sections by id, every reference, image sources, style text, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids, self.references, self.images, self.styles, self.text = [], [], [], [], []
        self.tags: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name == "id":
                self.ids.append(value)
            if name in _REFERENCES:
                self.references.append((tag, name, value or ""))
            if name == "style":
                self.styles.append(value or "")
            if tag == "img" and name == "src":
                self.images.append(value)

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)

    @property
    def words(self) -> str:
        return " ".join(self.text)


def assert_self_contained(html: str) -> Page:
    page = Page(html)
    assert page.tags.count("html") == 1 and "script" not in page.tags and "link" not in page.tags
    for tag, name, value in page.references:
        # Only the page's own anchors and inlined data: nothing on a network, no other file.
        assert value.startswith(("#", "data:")), (tag, name, value[:80])
    for css in page.styles:
        assert "@import" not in css
        for target in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css):
            assert target.startswith(("#", "data:")), target
    return page


def decoded_images(page: Page) -> list[bytes]:
    return [base64.b64decode(uri.split(",", 1)[1]) for uri in page.images]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> Path:
    """A one-epoch MNIST classifier, then `kerascli evaluate` on it (which rewrites the page)."""
    run = train_tiny_run(tmp_path_factory.mktemp("classifier"))
    result = runner.invoke(app, ["evaluate", str(run)])
    assert result.exit_code == 0, result.output
    assert f"wrote: {run / 'report.html'}" in result.output
    return run


@pytest.fixture(scope="module")
def regression(tmp_path_factory) -> Path:
    """A regression run: float targets from an npz file, loss mse, one linear output."""
    tmp = tmp_path_factory.mktemp("regression")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0], dtype="float32")).astype("float32")
    np.savez(tmp / "line.npz", x_train=x[:200], y_train=y[:200], x_test=x[200:], y_test=y[200:])
    config = {
        "name": "line",
        "seed": 1,
        "data": {"source": "npz", "path": str(tmp / "line.npz"), "validation": {"split": 0.2}},
        "model": {
            "input_shape": [4],
            "layers": [{"Dense": {"units": 8, "activation": "relu"}}, {"Dense": {"units": 1}}],
        },
        "compile": {"optimizer": "adam", "loss": "mse", "metrics": ["mae"]},
        "fit": {"epochs": 2, "batch_size": 32},
    }
    result = runner.invoke(
        app,
        [
            "train",
            str(write_config(tmp / "line.yaml", config)),
            "-q",
            "--runs-dir",
            str(tmp / "runs"),
        ],
    )
    assert result.exit_code == 0, result.output
    return only_run(tmp / "runs")


@pytest.fixture(scope="module")
def gan(tmp_path_factory) -> Path:
    return train_gan(tmp_path_factory.mktemp("gan"), gan_config())


def test_classifier_report_holds_its_parts(classifier):
    page = assert_self_contained((classifier / "report.html").read_text(encoding="utf-8"))
    assert {"summary", "curves", "evaluation", "record", "config"} <= set(page.ids)
    evaluation = json.loads((classifier / "evaluation.json").read_text())
    words = page.words
    # The per-class table and the confusion matrix, with the evaluate command's timestamp.
    for row in evaluation["per_class"]:
        assert f"{row['precision']:.4f}" in words
    evaluated = evaluation["evaluated"].replace("T", " ").replace("+00:00", " UTC")
    assert "macro avg" in words and "Confusion matrix" in words and evaluated in words
    assert f"{evaluation['confusion_matrix'][0][0]}" in words
    # Learning curves as inline SVG; the mistakes as an inlined PNG.
    assert page.tags.count("svg") == 3  # accuracy, learning_rate, loss
    assert any(image.startswith(b"\x89PNG") for image in decoded_images(page))
    assert "categorical_crossentropy" in words  # the config


def test_regression_report_has_metrics_and_no_classes(regression):
    record = json.loads((regression / "run.json").read_text())
    assert record["task"] == "regression"
    page = assert_self_contained((regression / "report.html").read_text(encoding="utf-8"))
    words = page.words
    assert {"summary", "curves", "evaluation"} <= set(page.ids)
    assert "val_mae" in words and "test_mae" in words and "task regression" in words
    assert "Per class" not in words and "Confusion matrix" not in words
    assert page.tags.count("svg") == 3  # loss, mae, learning_rate


def test_gan_report_has_samples_and_their_animation(gan):
    page = assert_self_contained((gan / "report.html").read_text(encoding="utf-8"))
    assert "samples" in page.ids and "evaluation" not in page.ids
    images = decoded_images(page)
    assert any(image.startswith(b"GIF8") for image in images)
    assert sum(image.startswith(b"\x89PNG") for image in images) == 2  # first and last epoch
    assert "d_loss" in page.words and "g_loss" in page.words


def test_every_user_string_is_escaped(classifier, tmp_path):
    run = tmp_path / classifier.name
    shutil.copytree(classifier, run)
    hostile = '<script>alert("x")</script>'
    evaluation = json.loads((run / "evaluation.json").read_text())
    evaluation["per_class"][0]["class"] = hostile
    (run / "evaluation.json").write_text(json.dumps(evaluation))
    record = json.loads((run / "run.json").read_text())
    record.update(status="failed", error=f'"><b>{hostile}', command=[hostile])
    (run / "run.json").write_text(json.dumps(record))
    config = (run / "config.yaml").read_text()
    (run / "config.yaml").write_text(config + f"# {hostile}\n")
    html = build_report(run)
    assert hostile not in html and '"><b>' not in html and "&lt;script&gt;" in html
    page = assert_self_contained(html)
    assert hostile in page.words  # shown as text


def test_many_classes_show_the_confusion_matrix_as_a_picture(classifier, tmp_path):
    run = tmp_path / classifier.name
    shutil.copytree(classifier, run)
    evaluation = json.loads((run / "evaluation.json").read_text())
    evaluation["confusion_matrix"] = np.eye(100, dtype=int).tolist()
    (run / "evaluation.json").write_text(json.dumps(evaluation))
    html = build_report(run)
    page = assert_self_contained(html)
    assert 'class="confusion"' not in html  # no 10,000-cell table
    assert "confusion matrix of 100 classes" in page.words
    assert len(decoded_images(page)) == 2  # the matrix and the mistakes


def test_report_command_writes_where_asked(classifier, tmp_path):
    out = tmp_path / "page.html"
    result = runner.invoke(app, ["report", str(classifier), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote: {out}"
    assert_self_contained(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "target, message",
    [
        ("missing", "error: {tmp}/missing: no such run directory"),
        ("empty", "error: {tmp}/empty: not a kerascli run (no run.json)"),
        (
            "hostile",
            "error: {tmp}/hostile/run.json: not a valid run record: status: Input should be "
            "'running', 'completed', 'failed', 'interrupted' or 'pruned'",
        ),
    ],
)
def test_report_of_a_non_run_is_one_line(tmp_path, target, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "hostile").mkdir()  # a status that is none never reaches the page
    (tmp_path / "hostile" / "run.json").write_text(json.dumps({"status": 'failed"><b>'}))
    result = runner.invoke(app, ["report", str(tmp_path / target)])
    assert result.exit_code == 2
    assert result.output.strip() == message.format(tmp=tmp_path)


def test_report_is_rewritten_however_the_page_is_asked_for(classifier, tmp_path):
    # The same files make the same page, apart from the time it was written.
    first = write_report(classifier, tmp_path / "a.html").read_text()
    second = write_report(classifier, tmp_path / "b.html").read_text()
    strip = re.compile(r"Written by .*? from ")
    assert strip.sub("", first) == strip.sub("", second)
