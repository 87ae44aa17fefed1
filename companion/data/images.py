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


def _sample_images():
    """The arrays of ``sklearn.datasets.load_sample_images().images`` (china.jpg, flower.jpg: (427, 640, 3)
    uint8), read with PIL from scikit-learn's package data as that function reads them, but without
    importing scikit-learn, which costs a page a second or two (find_spec locates a package unimported)."""
    from importlib.util import find_spec
    from pathlib import Path

    from PIL import Image

    folder = Path(find_spec("sklearn").submodule_search_locations[0]) / "datasets" / "images"
    images = []
    for name in ("china.jpg", "flower.jpg"):
        with Image.open(folder / name) as image:
            images.append(np.asarray(image))
    return images


def sample_photos(size=128, colour=False):
    """scikit-learn's two sample photos (a temple in China, a flower), cropped to a square and shrunk by
    block averaging to (size, size), values in [0, 1]: grayscale, or with ``colour=True`` the red, green
    and blue channels first, (3, size, size), as a convolution takes them.

    They ship inside scikit-learn, so nothing is downloaded.
    """
    photos = {}
    for name, image in zip(("china", "flower"), _sample_images()):
        side = min(image.shape[:2])
        factor = side // size
        rgb = image[: size * factor, : size * factor].reshape(size, factor, size, factor, 3).mean(axis=(1, 3)) / 255.0
        photos[name] = rgb.transpose(2, 0, 1) if colour else rgb.mean(axis=2)  # (3, size, size) or (size, size)
    return photos
