"""The docs cannot drift: generated reference pages up to date, a strict site build, and every
YAML example in the docs and the README valid against the config schema."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from kerascli.config.loading import load_config
from kerascli.errors import ConfigError
from tests.conftest import ROOT

DOCS = ROOT / "docs"
# A fenced ```yaml block, possibly indented inside a list item.
_YAML_BLOCK = re.compile(r"^([ \t]*)```yaml[ \t]*\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_reference_pages_are_up_to_date():
    stale = [str(path.relative_to(ROOT)) for path in _generator().stale_pages()]
    assert not stale, f"{', '.join(stale)}: out of date with the code (run `make docs`)"


def test_the_configuration_reference_names_every_key():
    from kerascli.config.schema import ExperimentConfig, FitConfig

    page = (DOCS / "reference" / "configuration.md").read_text(encoding="utf-8")
    for key in [*ExperimentConfig.model_fields, *(f"fit.{k}" for k in FitConfig.model_fields)]:
        assert f"| `{key}` |" in page


def _mkdocs(config: Path, site: Path) -> subprocess.CompletedProcess:
    try:
        import material  # noqa: F401 - only to say how to install it when missing
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]'")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


def test_the_site_builds_strictly(tmp_path):
    result = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "reference" / "configuration" / "index.html").exists()


def test_the_strict_build_fails_on_a_broken_link_an_anchor_or_a_page_left_out(tmp_path):
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(DOCS, tmp_path / "docs")
    with open(tmp_path / "docs" / "gans.md", "a", encoding="utf-8") as page:
        page.write("\n[gone](no-such-page.md) and [nowhere](scaling.md#no-such-heading)\n")
    (tmp_path / "docs" / "orphan.md").write_text("# Not in the nav\n", encoding="utf-8")
    result = _mkdocs(tmp_path / "mkdocs.yml", tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for problem in ("no-such-page.md", "no-such-heading", "orphan.md"):
        assert problem in output


# --- the YAML examples ------------------------------------------------------------------------


def _examples() -> list[tuple[str, str]]:
    """Every ```yaml block of the docs and the README: (`file:line`, text)."""
    found = []
    for path in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in _YAML_BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", textwrap.dedent(match.group(2))))
    return found


@functools.cache
def _partial_validator():
    import jsonschema

    schema = json.loads((ROOT / "schema" / "kerascli.partial.schema.json").read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema)


def check_example(text: str, tmp_path: Path) -> None:
    """Checks one example: a whole config (`data` and `model` or `gan`) through the loader, as
    `kerascli validate` reads it; any other block, a part of a config, against the partial JSON
    Schema (every key known, every value of the right type, no key required).

    Raises:
        AssertionError: naming what is wrong.
    """
    data = yaml.safe_load(text)
    if data is None:  # only comments, e.g. the yaml-language-server line
        return
    assert isinstance(data, dict), "an example is a config or a part of one: a mapping"
    if "data" in data and ("model" in data or "gan" in data):
        path = tmp_path / "example.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path, require="any")
        except ConfigError as error:
            raise AssertionError(error.format()) from None
        return
    from jsonschema.exceptions import best_match

    # Each problem at its deepest place: inside `anyOf` (a layer spec, a name or a mapping) the
    # branch that got furthest, so a wrong layer argument is named, not the whole layer list.
    errors = [best_match([error]) for error in _partial_validator().iter_errors(data)]
    assert not errors, "; ".join(
        f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:200]}"
        for error in errors
    )


EXAMPLES = _examples()


def test_the_docs_have_yaml_examples_of_both_kinds():
    loaded = [yaml.safe_load(text) or {} for _, text in EXAMPLES]
    assert sum("data" in d and ("model" in d or "gan" in d) for d in loaded) >= 6
    assert sum(not ("data" in d and ("model" in d or "gan" in d)) for d in loaded) >= 4


@pytest.mark.parametrize("text", [text for _, text in EXAMPLES], ids=[w for w, _ in EXAMPLES])
def test_every_yaml_example_is_valid(text, tmp_path):
    check_example(text, tmp_path)


@pytest.mark.parametrize(
    "text, message",
    [
        # A whole config: the loader's own one-line error.
        (
            "data: {source: mnist}\nmodel: {input_shape: [4], layers: [Dense]}\n"
            "compile: {loss: mse}\nfit: {epoch: 1}\n",
            "fit.epoch: unknown key 'epoch'",
        ),
        (
            "data: {source: mnist}\nmodel: {input_shape: [4], layers: [Dense2]}\n"
            "compile: {loss: mse}\n",
            "unknown layer 'Dense2'",
        ),
        # Parts of configs: the partial JSON Schema.
        ("fit: {epochs: 1, batch_sise: 8}\n", "'batch_sise' was unexpected"),
        ("data: {source: mnist, limits: {train: 5}}\n", "'limits' was unexpected"),
        ("distribute: {strategy: mirored}\n", "distribute.strategy: 'mirored' is not one of"),
        ("model:\n  layers:\n    - Dense: {units: ten}\n", "model.layers.0.Dense.units: 'ten'"),
        ("model:\n  layers:\n    - Dense: {unitz: 3}\n", "model.layers.0: {'Dense': {'unitz'"),
        ("- Dense: {units: 1}\n", "a mapping"),
    ],
)
def test_a_wrong_example_fails(text, message, tmp_path):
    with pytest.raises(AssertionError) as failure:
        check_example(text, tmp_path)
    assert message in str(failure.value)
