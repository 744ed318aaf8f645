"""Inline SVG curves for the report: themed by the page's text colour, ids unique per chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from kerascli.visuals.svg import curves_svg

SERIES = {"train": [1.0, 0.5, None, 0.25], "validation": [1.2, 0.7, 0.6, float("nan")]}


def test_curves_are_one_svg_element_coloured_by_the_page():
    svg = curves_svg(SERIES, title="loss", prefix="c0")
    root = ElementTree.fromstring(svg)  # well-formed, one element
    assert root.tag.endswith("svg") and root.get("style") == "width:100%;height:auto"
    assert root.get("width") is None and root.get("viewBox")
    assert "currentColor" in svg and "#010203" not in svg
    assert "<metadata" not in svg and "<!DOCTYPE" not in svg
    assert ">loss<" in svg and ">train<" in svg and ">validation<" in svg  # text, not paths


def test_ids_are_prefixed_and_every_reference_points_inside():
    first, second = (curves_svg(SERIES, title="loss", prefix=prefix) for prefix in ("a", "b"))
    ids = [set(re.findall(r'id="([^"]+)"', svg)) for svg in (first, second)]
    assert ids[0] and not ids[0] & ids[1]
    assert all(name.startswith("a-") for name in ids[0])
    for target in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', first):
        assert (target[0] or target[1]) in ids[0]


def test_many_epochs_get_whole_number_ticks_and_no_markers():
    svg = curves_svg({"train": [1 / (n + 1) for n in range(40)]}, title="loss", prefix="c")
    ticks = re.findall(r">(\d+(?:\.\d+)?)</text>", svg)
    assert ticks and all(float(tick).is_integer() for tick in ticks if float(tick) > 1)
    assert ">train<" not in svg  # one series: no legend


def test_every_point_names_its_value_on_hover():
    svg = curves_svg(SERIES, title="loss", prefix="c0")
    titles = re.findall(r"<use [^>]*><title>([^<]*)</title></use>", svg)
    assert titles == [
        "train, epoch 1: 1",
        "train, epoch 2: 0.5",
        "train, epoch 4: 0.25",
        "validation, epoch 1: 1.2",
        "validation, epoch 2: 0.7",
        "validation, epoch 3: 0.6",
    ]
    # A label is text, escaped, never markup.
    hostile = curves_svg({"<b>x</b>": [1.0]}, title="t", prefix="c1")
    assert "&lt;b&gt;x&lt;/b&gt;, epoch 1: 1" in hostile and "<b>" not in hostile
