"""The data sources' one list: the schema's types and the code's tuples name the same things."""

from __future__ import annotations

from typing import get_args

from kerascli.config import sources


def test_the_sources_are_the_builtin_datasets_and_the_file_formats():
    assert sources.SOURCES == (*sources.BUILTIN_DATASETS, *sources.FILE_SOURCES)
    assert set(get_args(sources.BuiltinName)) == set(sources.BUILTIN_DATASETS)


def test_every_color_mode_has_its_channels():
    assert set(get_args(sources.ColorMode)) == set(sources.COLOR_CHANNELS)
