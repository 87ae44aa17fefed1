"""The kernel panel: edited kernels, presets, stride, padding, dilation and groups change the feature map as
they should (PyTorch's conv2d the referee for the last two)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.data.images import get_filter  # noqa: E402
from companion.np.conv import conv2d_naive  # noqa: E402
from companion.widgets import KernelExplorer  # noqa: E402
from companion.widgets.kernel_explorer import DEPTHWISE, FULL  # noqa: E402


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


def referee(x, kernel, groups, **kwargs):
    """conv2d of x (C, H, W) with the kernel on every channel, summed (groups=1) or apart (groups=C), by the
    loops of conv2d_naive rather than the vectorised path the panel uses (torch is absent from the ipywidgets 7
    environment; conv2d_naive is held to torch in tests/test_conv_surface.py)."""
    c = len(x)
    if groups == c > 1:
        return np.stack([conv2d_naive(channel[None, None], kernel[None, None], **kwargs)[0, 0] for channel in x])
    return conv2d_naive(x[None], np.repeat(kernel[None, None], c, axis=1), **kwargs)[0]


@pytest.mark.parametrize("dilation, padding, stride, expected",
                         [(2, 0, 1, "4×4"), (3, 0, 1, "2×2"), (2, 2, 1, "8×8"), (2, 1, 2, "3×3")])
def test_dilation_spreads_the_kernel(panel, dilation, padding, stride, expected):
    panel.dilation.value, panel.padding.value, panel.stride.value = dilation, padding, stride
    image = panel._images["digit"]
    np.testing.assert_allclose(panel.feature_map, referee(image[None], panel.kernel, 1, dilation=dilation,
                                                          padding=padding, stride=stride)[0])
    assert f"nnx-size'>{expected}<" in panel.size.value and "dilation" in panel.size.value


def test_groups_apply_only_to_colour_images(panel):
    assert panel.groups.disabled  # the digit has one channel
    panel.image_choice.value = "flower (colour)"
    assert not panel.groups.disabled and panel.feature_map.shape == (62, 62)
    photo = panel._images["flower (colour)"]
    full = panel.feature_map
    np.testing.assert_allclose(full, referee(photo, panel.kernel, 1)[0], atol=1e-12)
    panel.groups.value = DEPTHWISE
    assert panel.feature_map.shape == (3, 62, 62) and "3 maps" in panel.size.value
    np.testing.assert_allclose(panel.feature_map, referee(photo, panel.kernel, 3), atol=1e-12)
    np.testing.assert_allclose(panel.feature_map.sum(axis=0), full, atol=1e-12)  # full = the channels' maps summed
    panel.image_choice.value = "china"
    assert panel.groups.disabled and panel.feature_map.shape == (62, 62)
    panel.groups.value = FULL
