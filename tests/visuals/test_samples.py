"""Tests for kerascli.samples: grid geometry, pixel mapping, the progress GIF, fixed noise."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kerascli.config.schema import PreprocessConfig
from kerascli.visuals.samples import fixed_noise, save_grid, save_progress_gif, tile

GAP, BORDER = 2, 40  # the gap between tiles and its grey level


def grid_size(count: int, side: int, columns: int | None = None) -> tuple[int, int]:
    """(height, width) of a grid of `count` tiles of `side` pixels (after scaling)."""
    import math

    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    return rows * (side + GAP) + GAP, columns * (side + GAP) + GAP


@pytest.mark.parametrize(
    "count, columns, rows", [(1, 1, 1), (4, 2, 2), (5, 3, 2), (9, 3, 3), (10, 4, 3), (64, 8, 8)]
)
def test_square_ish_grids(count, columns, rows):
    pixels = np.zeros((count, 28, 28), np.uint8)
    grid = tile(pixels)
    # 28x28 digits are scaled up 2x to 56x56.
    assert grid.shape == (rows * 58 + GAP, columns * 58 + GAP, 1)
    assert grid.dtype == np.uint8


def test_explicit_columns():
    grid = tile(np.zeros((5, 28, 28, 1), np.uint8), columns=5)
    assert grid.shape == (*grid_size(5, 56, columns=5), 1)
    grid = tile(np.zeros((5, 28, 28, 1), np.uint8), columns=1)
    assert grid.shape == (5 * 58 + GAP, 58 + GAP, 1)


def test_tiles_sit_in_order_with_gaps_between_them():
    count = 5
    pixels = np.stack([np.full((28, 28), 100 + 20 * i, np.uint8) for i in range(count)])
    grid = tile(pixels)[..., 0]
    assert grid.shape == grid_size(count, 56)
    for index in range(count):
        top, left = GAP + (index // 3) * 58, GAP + (index % 3) * 58
        block = grid[top : top + 56, left : left + 56]
        assert (block == 100 + 20 * index).all(), index
        # The gap left of and above every tile is the border colour.
        assert (grid[top : top + 56, left - GAP : left] == BORDER).all()
        assert (grid[top - GAP : top, left : left + 56] == BORDER).all()
    # The sixth cell of the 3x2 grid is empty: border colour only.
    assert (grid[GAP + 58 : GAP + 58 + 56, GAP + 2 * 58 : GAP + 2 * 58 + 56] == BORDER).all()


def test_small_images_are_scaled_up_by_a_whole_factor_without_smoothing():
    image = np.arange(16, dtype=np.uint8).reshape(1, 4, 4) * 10
    grid = tile(image)[..., 0]
    factor = 14  # ceil(56 / 4)
    assert grid.shape == (4 * factor + 2 * GAP, 4 * factor + 2 * GAP)
    inner = grid[GAP:-GAP, GAP:-GAP]
    np.testing.assert_array_equal(inner, image[0].repeat(factor, 0).repeat(factor, 1))


def test_large_and_colour_images_keep_their_size_and_channels():
    pixels = np.random.default_rng(0).integers(0, 256, (2, 64, 60, 3), dtype=np.uint8)
    grid = tile(pixels)
    assert grid.shape == (64 + 2 * GAP, 2 * 60 + 3 * GAP, 3)
    np.testing.assert_array_equal(grid[GAP : GAP + 64, GAP : GAP + 60], pixels[0])
    np.testing.assert_array_equal(grid[GAP : GAP + 64, 2 * GAP + 60 : 2 * GAP + 120], pixels[1])


def test_fixed_noise_is_the_same_for_a_seed_and_differs_between_seeds():
    a = fixed_noise(16, 8, seed=7)
    assert a.shape == (16, 8) and a.dtype == np.float32
    np.testing.assert_array_equal(a, fixed_noise(16, 8, seed=7))
    assert not np.array_equal(a, fixed_noise(16, 8, seed=8))
    # The first rows do not depend on how many are drawn (a bigger grid starts the same).
    np.testing.assert_array_equal(fixed_noise(4, 8, seed=7), a[:4])
    assert abs(float(fixed_noise(4000, 8, seed=1).std()) - 1.0) < 0.05


def read_pixels(path):
    with Image.open(path) as image:
        return image.format, image.mode, np.asarray(image)


def tile_centre(grid, index, columns, side=56):
    top, left = GAP + (index // columns) * (side + GAP), GAP + (index % columns) * (side + GAP)
    return grid[top + side // 2, left + side // 2]


def test_save_grid_maps_minus_one_one_to_black_white(tmp_path):
    values = [-1.0, 0.0, 1.0, 5.0, -3.0, 0.5]  # the last-but-one pair is clipped
    images = np.stack([np.full((28, 28, 1), v, np.float32) for v in values])
    path = save_grid(
        images, PreprocessConfig(reshape=[28, 28, 1], range=[-1, 1]), tmp_path / "deep" / "grid.png"
    )
    image_format, mode, grid = read_pixels(path)
    assert image_format == "PNG" and mode == "L"
    assert grid.shape == grid_size(len(values), 56)
    centres = [int(tile_centre(grid, i, columns=3)) for i in range(len(values))]
    assert centres == [0, 128, 255, 255, 0, 191]
    assert not list(tmp_path.rglob("*.tmp"))


def test_save_grid_maps_the_scale_range_and_keeps_colour(tmp_path):
    images = np.stack([np.full((32, 32, 3), v, np.float32) for v in (0.0, 1.0)])
    images[1, ..., 0] = 0.5
    path = save_grid(images, PreprocessConfig(scale=255), tmp_path / "grid.jpg", "JPEG")
    image_format, mode, grid = read_pixels(path)
    assert image_format == "JPEG" and mode == "RGB"
    assert np.abs(tile_centre(grid, 0, columns=2, side=64).astype(int) - [0, 0, 0]).max() <= 3
    assert np.abs(tile_centre(grid, 1, columns=2, side=64).astype(int) - [128, 255, 255]).max() <= 3


def test_progress_gif_has_one_frame_per_epoch_in_order(tmp_path):
    preprocess = PreprocessConfig(range=[-1, 1])
    levels = [-1.0, -0.2, 0.8]
    # Written out of order: the GIF follows the epoch numbers, not the file times.
    for epoch in (3, 1, 2):
        save_grid(
            np.full((4, 28, 28, 1), levels[epoch - 1], np.float32),
            preprocess,
            tmp_path / f"epoch_{epoch:03d}.png",
        )
    (tmp_path / "other.png").write_bytes(b"not one of ours")  # ignored
    path = save_progress_gif(tmp_path)
    assert path == tmp_path / "progress.gif"
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.is_animated and gif.n_frames == 3
        assert gif.info.get("loop") == 0
        firsts = []
        for frame in range(gif.n_frames):
            gif.seek(frame)
            firsts.append(int(np.asarray(gif.convert("L"))[GAP + 28, GAP + 28]))
    assert firsts == sorted(firsts) and firsts[0] < 20 < 200 < firsts[-1]
    assert not list(tmp_path.glob("*.tmp"))


def test_progress_gif_keeps_every_frame_whole_when_the_grid_size_changes(tmp_path):
    # A resume may change gan.samples: 4 samples (2x2) in epoch 1, 16 (4x4) in epoch 2.
    preprocess = PreprocessConfig(range=[-1, 1])
    save_grid(np.full((4, 28, 28, 1), -1.0, np.float32), preprocess, tmp_path / "epoch_001.png")
    save_grid(np.full((16, 28, 28, 1), 1.0, np.float32), preprocess, tmp_path / "epoch_002.png")
    with Image.open(save_progress_gif(tmp_path)) as gif:
        assert gif.n_frames == 2 and gif.size == grid_size(16, 56)[::-1]
        gif.seek(1)
        last = np.asarray(gif.convert("L"))
    assert last.shape == grid_size(16, 56)
    # The bottom-right tile of the bigger grid is drawn, not cut off.
    assert last[-GAP - 28, -GAP - 28] > 200


def test_progress_gif_of_an_empty_or_missing_directory_is_none(tmp_path):
    assert save_progress_gif(tmp_path) is None
    assert not (tmp_path / "progress.gif").exists()
    assert save_progress_gif(tmp_path / "missing") is None
