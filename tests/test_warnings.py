"""pyproject's pytest `filterwarnings`: a DeprecationWarning raised from kerascli's own code fails
the test that triggers it; one raised inside a third-party library stays silent."""

from __future__ import annotations

import types

import pytest


def _module_that_warns(name: str) -> types.ModuleType:
    """A module named `name` whose `call()` warns as a deprecated call made there would."""
    module = types.ModuleType(name)
    exec(  # a module object under another name: the warning is attributed to that name
        "import warnings\n"
        "def call():\n"
        "    warnings.warn('deprecated', DeprecationWarning, stacklevel=1)\n",
        module.__dict__,
    )
    return module


@pytest.mark.parametrize("name", ["kerascli", "kerascli.config.loading", "kerascli.cli.main"])
def test_a_deprecation_in_kerascli_is_an_error(name):
    with pytest.raises(DeprecationWarning):
        _module_that_warns(name).call()


@pytest.mark.parametrize("name", ["keras.src.models", "tensorflow.python.ops", "kerasclient"])
def test_a_deprecation_elsewhere_is_ignored(name):
    _module_that_warns(name).call()
