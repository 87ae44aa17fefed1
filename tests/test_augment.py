"""Shifted-image augmentation: scipy.ndimage.shift (nearest, zero fill) as referee, both layouts."""

import numpy as np
import pytest
from scipy import ndimage

from companion.data.augment import (augment_with_shifts, random_rotations, random_shifts, rotate_images,
                                   shift_images)


@pytest.mark.parametrize("shift", [(0, 0), (1, 0), (0, -1), (-2, 3), (3, 3), (-4, -1)])
def test_one_shift_matches_scipy(shift):
    images = np.random.default_rng(0).random((3, 5, 6))
    expected = np.stack([ndimage.shift(im, shift, order=0, mode="constant", cval=0.0) for im in images])
    np.testing.assert_array_equal(shift_images(images, shift), expected)


def test_each_image_gets_its_own_shift_in_both_layouts():
    rng = np.random.default_rng(1)
    images = rng.random((20, 8, 8))
    shifts = rng.integers(-2, 3, size=(20, 2))
    expected = np.stack([ndimage.shift(im, s, order=0, mode="constant", cval=0.0) for im, s in zip(images, shifts)])
    np.testing.assert_array_equal(shift_images(images, shifts), expected)
    flat = shift_images(images.reshape(20, 64), shifts)  # 8x8 digits come flattened
    assert flat.shape == (20, 64)
    np.testing.assert_array_equal(flat, expected.reshape(20, 64))
    wide = rng.random((4, 2 * 3))
    np.testing.assert_array_equal(shift_images(wide, (0, 1), image_shape=(2, 3)).reshape(4, 2, 3)[:, :, 0], 0)


def test_a_shift_moves_the_pixels_and_fills_with_zeros():
    image = np.arange(1, 10, dtype=float).reshape(1, 3, 3)
    np.testing.assert_array_equal(shift_images(image, (1, -1))[0], [[0, 0, 0], [2, 3, 0], [5, 6, 0]])
    assert shift_images(image.astype(np.float32), (0, 1)).dtype == np.float32


def test_random_shifts_stay_within_max_shift_and_vary():
    rng = np.random.default_rng(2)
    images = np.zeros((400, 9, 9))
    images[:, 4, 4] = 1.0  # one lit pixel in the centre: where it lands is the shift
    moved = random_shifts(images, max_shift=2, rng=rng)
    rows, cols = np.nonzero(moved.reshape(400, 9, 9).sum(axis=2))[1], np.nonzero(moved.sum(axis=1))[1]
    assert set(rows - 4) == set(cols - 4) == {-2, -1, 0, 1, 2}  # every offset occurs, none beyond 2
    np.testing.assert_array_equal(random_shifts(images, max_shift=0, rng=rng), images)


def test_augment_keeps_originals_first_and_labels_with_their_images():
    rng = np.random.default_rng(3)
    X, y = rng.random((10, 16)), np.arange(10)
    X_aug, y_aug = augment_with_shifts(X, y, copies=3, max_shift=1, rng=rng)
    assert X_aug.shape == (40, 16)
    np.testing.assert_array_equal(X_aug[:10], X)
    np.testing.assert_array_equal(y_aug, np.tile(y, 4))
    # every copy is its own image moved by at most one pixel
    for i, copy in enumerate(X_aug[10:]):
        candidates = [shift_images(X[i % 10][None], (dy, dx))[0] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        assert any(np.array_equal(copy, c) for c in candidates)
    assert not np.array_equal(X_aug[10:20], X_aug[20:30])  # the rounds draw fresh shifts


def test_clear_errors():
    with pytest.raises(ValueError, match="not a square number: pass image_shape"):
        shift_images(np.ones((2, 10)), (1, 0))
    with pytest.raises(ValueError, match=r"image_shape \(3, 3\) has 9 pixels but X has 10 features"):
        shift_images(np.ones((2, 10)), (1, 0), image_shape=(3, 3))
    with pytest.raises(ValueError, match="X must be 2-D or 3-D"):
        shift_images(np.ones(4), (1, 0))
    with pytest.raises(ValueError, match="moves a 4x4 image entirely out of view"):
        shift_images(np.ones((1, 4, 4)), (0, 4))
    with pytest.raises(ValueError, match=r"shifts must be integer \(dy, dx\) pairs"):
        shift_images(np.ones((2, 4, 4)), (0.5, 0))
    with pytest.raises(ValueError, match=r"one per image \(2, 2\), got shape \(3, 2\)"):
        shift_images(np.ones((2, 4, 4)), np.zeros((3, 2), dtype=int))
    with pytest.raises(ValueError, match="max_shift must be a non-negative integer, got -1"):
        random_shifts(np.ones((2, 4, 4)), -1)
    with pytest.raises(ValueError, match="copies must be a non-negative integer"):
        augment_with_shifts(np.ones((2, 4)), [0, 1], copies=1.5)
    with pytest.raises(ValueError, match="X has 2 images but y has 3 labels"):
        augment_with_shifts(np.ones((2, 4)), [0, 1, 2])


@pytest.mark.parametrize("angle", [0.0, 7.5, -10.0, 33.0, 90.0, 180.0])
def test_rotation_matches_scipy(angle):
    images = np.random.default_rng(4).random((3, 7, 9))
    expected = np.stack([ndimage.rotate(im, angle, reshape=False, order=1, mode="grid-constant") for im in images])
    np.testing.assert_allclose(rotate_images(images, angle), expected, atol=1e-12)


def test_each_image_gets_its_own_angle_in_both_layouts():
    rng = np.random.default_rng(5)
    images, angles = rng.random((6, 8, 8)), rng.uniform(-15, 15, size=6)
    expected = np.stack([ndimage.rotate(im, a, reshape=False, order=1, mode="grid-constant")
                         for im, a in zip(images, angles)])
    np.testing.assert_allclose(rotate_images(images.reshape(6, 64), angles), expected.reshape(6, 64), atol=1e-12)
    assert rotate_images(images.astype(np.float32), 5.0).dtype == np.float32
    assert rotate_images(np.ones((1, 3, 3), dtype=int), 5.0).dtype == np.float64


def test_a_quarter_turn_is_anticlockwise_and_exact():
    image = np.zeros((1, 5, 5))
    image[0, 0, 2] = 1.0  # top centre goes to the left centre
    np.testing.assert_allclose(rotate_images(image, 90.0)[0], np.rot90(image[0]), atol=1e-12)


def test_random_rotations_stay_within_max_degrees():
    rng = np.random.default_rng(6)
    images = np.zeros((50, 9, 9))
    images[:, 4, 7] = 1.0  # a lit pixel 3 to the right of the centre: how far it rises or falls shows the angle
    turned = random_rotations(images, max_degrees=10.0, rng=rng)
    rows = (turned * np.arange(9)[None, :, None]).sum(axis=(1, 2)) / turned.sum(axis=(1, 2))
    reach = 3 * np.sin(np.deg2rad(10.0))  # about 0.52 rows; a 20-degree turn would move it about 1.03
    assert np.all(np.abs(rows - 4) <= reach + 0.25) and np.ptp(rows) > reach
    np.testing.assert_array_equal(random_rotations(images, 0.0, rng=rng), images)


def test_augment_with_rotations_keeps_originals_and_shifts_alone_repeat():
    X, y = np.random.default_rng(7).random((10, 16)), np.arange(10)
    plain = augment_with_shifts(X, y, copies=2, rng=np.random.default_rng(8))
    assert np.array_equal(plain[0], augment_with_shifts(X, y, copies=2, rng=np.random.default_rng(8), max_degrees=0)[0])
    turned, labels = augment_with_shifts(X, y, copies=2, rng=np.random.default_rng(8), max_degrees=15.0)
    np.testing.assert_array_equal(turned[:10], X)
    np.testing.assert_array_equal(labels, np.tile(y, 3))
    assert not np.allclose(turned[10:], plain[0][10:])  # the copies were turned too


def test_rotation_errors():
    with pytest.raises(ValueError, match=r"degrees must be one finite angle or one per image \(2,\)"):
        rotate_images(np.ones((2, 4, 4)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="degrees must be one finite angle"):
        rotate_images(np.ones((2, 4, 4)), np.nan)
    with pytest.raises(ValueError, match="max_degrees must be a number from 0 to 180, got -1"):
        random_rotations(np.ones((2, 4, 4)), -1)
