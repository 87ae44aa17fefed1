"""The kernel panel: edited kernels, presets, stride and padding change the feature map as they should."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.data.images import get_filter  # noqa: E402
from companion.np.conv import conv2d_naive  # noqa: E402
from companion.widgets import KernelExplorer  # noqa: E402


@pytest.fixture
def panel():
    return KernelExplorer(draw=False)


def test_feature_map_is_the_convolution_with_the_shown_kernel(panel):
    image = panel._images["digit"]
    np.testing.assert_allclose(panel.kernel, get_filter("vertical edges (Sobel x)"))
    np.testing.assert_allclose(panel.feature_map, conv2d_naive(image[None, None], panel.kernel[None, None])[0, 0])
    panel.cells[4].value = 3.0  # edit the centre weight by hand
    assert panel.kernel[1, 1] == 3.0
    np.testing.assert_allclose(panel.feature_map, conv2d_naive(image[None, None], panel.kernel[None, None])[0, 0])


def test_identity_preset_returns_the_image(panel):
    panel.preset.value = "identity"
    panel.padding.value = 1
    np.testing.assert_allclose(panel.feature_map, panel._images["digit"])


@pytest.mark.parametrize("stride, padding, expected", [(1, 0, "6×6"), (1, 1, "8×8"), (2, 0, "3×3"), (3, 2, "4×4"),
                                                       (2, 1, "4×4")])
def test_output_size_follows_the_formula(panel, stride, padding, expected):
    panel.stride.value, panel.padding.value = stride, padding
    assert f"nnx-size'>{expected}<" in panel.size.value
    assert "×".join(map(str, panel.feature_map.shape)) == expected


def test_photos_are_available(panel):
    panel.image_choice.value = "china"
    assert panel.feature_map.shape == (62, 62)
