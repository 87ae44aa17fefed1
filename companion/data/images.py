"""Images for the convolution chapter: scikit-learn's two shipped photos, and hand-made 3x3 filters."""

import numpy as np

FILTERS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur": [[1 / 9] * 3] * 3,
    "gaussian blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "outline (Laplacian)": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
}


def get_filter(name):
    if name not in FILTERS:
        raise ValueError(f"unknown filter {name!r}; choose one of {list(FILTERS)}")
    return np.array(FILTERS[name], dtype=float)


def sample_photos(size=128):
    """scikit-learn's two sample photos (a temple in China, a flower) as grayscale arrays (size, size) in [0, 1].

    They ship inside scikit-learn, so nothing is downloaded. Each is cropped to a square and
    shrunk by block averaging.
    """
    from sklearn.datasets import load_sample_images

    photos = {}
    for name, image in zip(("china", "flower"), load_sample_images().images):
        gray = image.mean(axis=2) / 255.0
        side = min(gray.shape)
        gray = gray[:side, :side]
        factor = side // size
        gray = gray[: size * factor, : size * factor].reshape(size, factor, size, factor).mean(axis=(1, 3))
        photos[name] = gray
    return photos
