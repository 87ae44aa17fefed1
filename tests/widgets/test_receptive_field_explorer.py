"""The receptive-field panel: its numbers are receptive_field's, and its drawing shades the pixels read."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.np.conv import conv2d, conv2d_input_grad  # noqa: E402
from companion.widgets import ReceptiveFieldExplorer  # noqa: E402


@pytest.fixture
def panel():
    return ReceptiveFieldExplorer(draw=False)


def measured_reads(layers, k, s, d, side):
    """The input pixels output (0, 0) of the stack depends on: a one-hot gradient carried back through the
    stack by the NumPy reference's input gradient (held equal to torch's autograd in tests/test_conv_surface.py;
    no torch here, so that this runs in the ipywidgets 7 environment too)."""
    ones, shapes, out = np.ones((1, 1, k, k)), [], np.zeros((1, 1, side, side))
    for _ in range(layers):
        shapes.append(out.shape)
        out = conv2d(out, ones, stride=s, dilation=d)
    grad = np.zeros(out.shape)
    grad[0, 0, 0, 0] = 1.0
    for shape in reversed(shapes):
        grad = conv2d_input_grad(grad, ones, shape, stride=s, dilation=d)
    return grad[0, 0] != 0


def test_starting_state_is_two_plain_3x3_layers(panel):
    assert panel.field.r == (5, 5) and panel.mask.shape == (5, 5) and panel.mask.all()
    assert "nnx-field'>5×5<" in panel.report.value and "nnx-read'>25<" in panel.report.value
    assert panel.report.value.endswith("1 pixel apart")
    panel.stride.value = 2
    assert panel.field.jump == (4, 4) and panel.report.value.endswith("4 pixels apart")


@pytest.mark.parametrize("layers, k, s, d", [(3, 3, 1, 1), (2, 3, 1, 2), (3, 3, 1, 2), (2, 3, 2, 1), (2, 2, 2, 3),
                                             (3, 5, 2, 2), (1, 1, 3, 4), (4, 3, 1, 4)])
def test_field_and_shaded_pixels_match_the_gradient(panel, layers, k, s, d):
    panel.layers.value, panel.kernel_size.value, panel.stride.value, panel.dilation.value = layers, k, s, d
    r = panel.field.r[0]
    expected = measured_reads(layers, k, s, d, side=r)  # an input exactly one field wide
    np.testing.assert_array_equal(panel.mask, expected)
    rows, cols = np.nonzero(expected)
    assert rows.max() - rows.min() + 1 == r == cols.max() - cols.min() + 1  # the field spans what is read
    assert f"nnx-field'>{r}×{r}<" in panel.report.value and f"nnx-read'>{expected.sum()}<" in panel.report.value


def test_equal_dilations_leave_holes_and_the_largest_stack_still_draws(panel):
    panel.layers.value, panel.dilation.value = 2, 2
    assert panel.field.r == (9, 9) and panel.mask.sum() < 81  # dilation 2 twice: odd offsets never read
    for slider in (panel.layers, panel.kernel_size, panel.stride, panel.dilation):
        slider.value = slider.max
    assert panel.mask.shape == panel.field.r and panel.mask[0, 0] and panel.mask[-1, -1]
