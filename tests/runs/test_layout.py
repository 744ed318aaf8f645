"""Tests for the run directory's file names."""

from __future__ import annotations

import pytest

from kerascli.runs.layout import checkpoint_file, epoch_of, network_file, sample_grid_file


@pytest.mark.parametrize(
    "name, epoch",
    [
        (checkpoint_file(3), 3),
        (checkpoint_file(12, "generator"), 12),
        (sample_grid_file(7), 7),
        ("state.json", None),
        ("epoch_x.keras", None),
        ("model.keras", None),
    ],
)
def test_epoch_of_reads_back_what_the_names_say(name, epoch):
    assert epoch_of(name) == epoch


def test_network_files():
    assert [network_file(n) for n in ("model", "generator", "discriminator")] == [
        "model.keras",
        "generator.keras",
        "discriminator.keras",
    ]
    assert checkpoint_file(2) == "epoch_0002.keras"
    assert checkpoint_file(2, "discriminator") == "epoch_0002.discriminator.keras"
