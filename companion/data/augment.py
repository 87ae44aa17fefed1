"""Data augmentation (chapters: Overfitting and regularization; Data augmentation and the 98% goal): images
shifted by a few pixels or rotated by a few degrees.

A digit moved one pixel to the left is still the same digit, so shifted copies of the training
images are new examples for free: the network is asked to give the same answer for all of them,
which is a form of regularization. Images come as (N, H, W) or flattened as (N, H*W), such as the
8x8 digits (N, 64); the pixels that a shift or a rotation uncovers are filled with zeros (the digits'
background).
"""

import numpy as np

from companion._validate import check_nonnegative_int, check_rank


def _as_images(X, image_shape):
    """(images (N, H, W), how to give them back in X's layout)."""
    X = np.asarray(X)
    check_rank(X, "X", (2, 3))
    if X.ndim == 3:
        return X, lambda images: images
    if image_shape is None:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, not a square number: pass image_shape=(H, W)")
        image_shape = (side, side)
    height, width = image_shape
    if height * width != X.shape[1]:
        raise ValueError(f"image_shape {tuple(image_shape)} has {height * width} pixels but X has "
                         f"{X.shape[1]} features")
    return X.reshape(len(X), height, width), lambda images: images.reshape(len(images), -1)


def shift_images(X, shifts, image_shape=None):
    """Move each image by whole pixels, (dy, dx) = (down, right); uncovered pixels become 0.

        out[n, i, j] = X[n, i - dy_n, j - dx_n]   (0 where that falls outside the image)

    X: (N, H, W), or (N, H*W) with ``image_shape=(H, W)`` (square images need none). shifts: one
    (dy, dx) pair for every image, or (N, 2), one pair each; |dy| < H and |dx| < W. Returns an array
    with X's shape and dtype.
    """
    images, restore = _as_images(X, image_shape)
    n, height, width = images.shape
    shifts = np.broadcast_to(np.asarray(shifts), (n, 2)) if np.ndim(shifts) == 1 else np.asarray(shifts)
    if shifts.shape != (n, 2) or not np.issubdtype(shifts.dtype, np.integer):
        raise ValueError(f"shifts must be integer (dy, dx) pairs, one pair or one per image ({n}, 2), "
                         f"got shape {shifts.shape} and dtype {shifts.dtype}")
    k = int(np.abs(shifts).max(initial=0))
    if k >= min(height, width):
        raise ValueError(f"a shift of {k} pixels moves a {height}x{width} image entirely out of view")
    padded = np.pad(images, ((0, 0), (k, k), (k, k)))  # zeros all round, so every window is in range
    rows = np.arange(height)[None, :] - shifts[:, :1] + k  # (N, H): source row of each output row
    cols = np.arange(width)[None, :] - shifts[:, 1:] + k  # (N, W)
    return restore(padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]])


def random_shifts(X, max_shift=1, rng=None, image_shape=None):
    """Each image moved by its own (dy, dx), drawn uniformly from the integers in [-max_shift, max_shift]."""
    check_nonnegative_int(max_shift, "max_shift")
    rng = np.random.default_rng() if rng is None else rng
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(X), 2))
    return shift_images(X, shifts, image_shape)


def rotate_images(X, degrees, image_shape=None):
    """Turn each image about its centre by ``degrees`` (anticlockwise as displayed, rows downwards),
    with bilinear interpolation; what comes from outside the image is 0.

        out[n, i, j] = bilinear(X_n padded with zeros, R(-theta_n) [(i, j) - c] + c),  c = ((H-1)/2, (W-1)/2)

    where R(-theta) turns the output pixel back to the point it came from. X: (N, H, W), or (N, H*W)
    with ``image_shape``. degrees: one angle for every image, or (N,), one each. Returns an array with
    X's shape and a floating dtype (X's own if floating). The same as ``scipy.ndimage.rotate(image,
    angle, reshape=False, order=1, mode="grid-constant")``.
    """
    images, restore = _as_images(X, image_shape)
    n, height, width = images.shape
    degrees = np.broadcast_to(np.asarray(degrees, dtype=float), (n,)) if np.ndim(degrees) == 0 else np.asarray(degrees)
    if degrees.shape != (n,) or not np.issubdtype(degrees.dtype, np.number) or not np.isfinite(degrees).all():
        raise ValueError(f"degrees must be one finite angle or one per image ({n},), got shape {degrees.shape}")
    dtype = images.dtype if np.issubdtype(images.dtype, np.floating) else np.float64
    theta = -np.deg2rad(degrees)[:, None, None]  # (N, 1, 1); minus: the output pixel turned back
    rows, cols = np.meshgrid(np.arange(height) - (height - 1) / 2, np.arange(width) - (width - 1) / 2, indexing="ij")
    src_r = np.cos(theta) * rows - np.sin(theta) * cols + (height - 1) / 2  # (N, H, W): where each comes from
    src_c = np.sin(theta) * rows + np.cos(theta) * cols + (width - 1) / 2
    padded = np.pad(images.astype(dtype), ((0, 0), (1, 1), (1, 1)))  # a ring of zeros to interpolate into
    r0 = np.clip(np.floor(src_r), -1, height - 1)
    c0 = np.clip(np.floor(src_c), -1, width - 1)
    fr, fc = np.clip(src_r - r0, 0, 1), np.clip(src_c - c0, 0, 1)  # beyond the ring the weights meet zeros
    r0, c0, idx = r0.astype(int) + 1, c0.astype(int) + 1, np.arange(n)[:, None, None]
    out = ((1 - fr) * (1 - fc) * padded[idx, r0, c0] + (1 - fr) * fc * padded[idx, r0, c0 + 1]
           + fr * (1 - fc) * padded[idx, r0 + 1, c0] + fr * fc * padded[idx, r0 + 1, c0 + 1])
    return restore(out.astype(dtype))


def random_rotations(X, max_degrees=10.0, rng=None, image_shape=None):
    """Each image turned by its own angle, drawn uniformly from [-max_degrees, max_degrees]."""
    if isinstance(max_degrees, bool) or not np.isscalar(max_degrees) or not 0 <= max_degrees <= 180:
        raise ValueError(f"max_degrees must be a number from 0 to 180, got {max_degrees!r}")
    rng = np.random.default_rng() if rng is None else rng
    return rotate_images(X, rng.uniform(-max_degrees, max_degrees, size=len(X)), image_shape)


def augment_with_shifts(X, y, copies=4, max_shift=1, rng=None, image_shape=None, max_degrees=0.0):
    """The training set with ``copies`` randomly shifted versions of every image appended.

    ``max_degrees`` > 0 also turns every copy by a random angle up to that (after its shift; integer
    images then come back as floats). Returns
    (X_aug, y_aug) with (copies + 1) * N rows: the originals first, then each round of copies in the
    original order, every copy keeping its image's label.
    """
    check_nonnegative_int(copies, "copies")
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} images but y has {len(y)} labels")
    rng = np.random.default_rng() if rng is None else rng
    shifted = [random_shifts(X, max_shift, rng, image_shape) for _ in range(copies)]
    if max_degrees:  # drawn only then, so that shifts alone repeat the same draws as before
        shifted = [random_rotations(copy, max_degrees, rng, image_shape) for copy in shifted]
    return np.concatenate([X, *shifted]), np.concatenate([y] * (copies + 1))
