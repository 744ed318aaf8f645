"""Tests for kerascli.judge.frechet_distance against closed forms, with numpy samples only."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kerascli.evaluation.judge import frechet_distance


def gaussian(rng, n, mean, scale=1.0):
    mean = np.asarray(mean, np.float64)
    return mean + scale * rng.standard_normal((n, mean.size))


def test_identical_sets_are_at_distance_zero():
    rng = np.random.default_rng(0)
    a = gaussian(rng, 500, [1.0, -2.0, 0.5, 3.0])
    distance = frechet_distance(a, a.copy())
    assert distance >= 0
    assert distance == pytest.approx(0.0, abs=1e-8)


def test_a_mean_shift_costs_its_squared_length():
    rng = np.random.default_rng(1)
    shift = np.array([3.0, -4.0, 1.0])  # |d|^2 = 26
    a = gaussian(rng, 40_000, [0.0, 0.0, 0.0])
    b = gaussian(rng, 40_000, shift)
    # Same covariance (identity) on both sides: only the mean term is left.
    assert frechet_distance(a, b) == pytest.approx(float(shift @ shift), rel=0.02)


def test_a_mean_shift_of_the_same_sample_is_exactly_its_squared_length():
    rng = np.random.default_rng(2)
    a = gaussian(rng, 300, [0.0] * 5)
    shift = np.array([0.5, 1.0, -1.5, 2.0, 0.0])
    # Identical covariances, so the trace term cancels exactly (up to rounding).
    assert frechet_distance(a, a + shift) == pytest.approx(float(shift @ shift), rel=1e-6)


def test_a_change_of_scale_matches_the_closed_form():
    rng = np.random.default_rng(3)
    a = gaussian(rng, 40_000, [0.0] * 4, scale=1.0)
    b = gaussian(rng, 40_000, [0.0] * 4, scale=3.0)
    # N(0, s1^2 I) vs N(0, s2^2 I) in k dimensions: k (s1 - s2)^2 = 4 * 4 = 16.
    assert frechet_distance(a, b) == pytest.approx(16.0, rel=0.03)


def test_is_symmetric():
    rng = np.random.default_rng(4)
    a = gaussian(rng, 400, [0.0, 1.0, 2.0])
    b = gaussian(rng, 300, [1.0, 0.0, -1.0], scale=2.0) @ np.array(
        [[1.0, 0.3, 0.0], [0.0, 1.0, 0.5], [0.2, 0.0, 1.0]]
    )
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)


@pytest.mark.parametrize("shape", [(800,), (800, 1)])
def test_one_dimension_equals_the_closed_form(shape):
    rng = np.random.default_rng(5)
    a = (2.0 + 0.5 * rng.standard_normal(800)).reshape(shape)
    b = (-1.0 + 3.0 * rng.standard_normal(800)).reshape(shape)
    mu1, mu2 = a.mean(), b.mean()
    s1, s2 = a.std(ddof=1), b.std(ddof=1)  # np.cov's estimator
    expected = (mu1 - mu2) ** 2 + s1**2 + s2**2 - 2 * s1 * s2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_rank_deficient_features_give_a_finite_distance():
    # Fewer examples than features (a judge's 784 pixel features over 50 images): the covariance
    # is singular, and the distance must still be a finite, non-negative number.
    rng = np.random.default_rng(6)
    a = rng.standard_normal((20, 64))
    b = rng.standard_normal((30, 64)) + 0.5
    distance = frechet_distance(a, b)
    assert math.isfinite(distance) and distance > 0
