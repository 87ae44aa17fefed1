"""The chapter-08 figures draw what they say: panel counts, the multi-channel sum, the receptive fields'
sizes (those of companion.counting.receptive_field), a shifted digit's maps."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion.counting import receptive_field  # noqa: E402
from companion.viz.cnn import (draw_receptive_field, field_box, plot_channel_sum, plot_filter_grid,  # noqa: E402
                               plot_learned_filters, plot_receptive_fields, plot_shift, plot_stack_field,
                               stack_support)


def test_filter_grid_has_a_row_per_image_and_a_column_per_filter_plus_the_original():
    images = {"a": np.eye(6), "b": np.ones((5, 5))}
    fig = plot_filter_grid(images, ["blur", "vertical edges (Sobel x)"])
    assert len(fig.axes) == 2 * 3
    assert fig.axes[1].images[0].get_array().shape == (6, 6)  # padding 1 keeps the size
    assert [fig.axes[i].get_title() for i in range(3)] == ["a (original)", "blur", "vertical edges (Sobel x)"]
    plt.close("all")


def test_channel_sum_shows_each_channel_and_the_summed_output():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 6, 6)), rng.normal(size=(3, 3, 3))
    fig = plot_channel_sum(x, w, bias=0.5)
    assert len(fig.axes) == 3 * 3 + 1
    out = fig.axes[-1].images[0].get_array()
    bias = torch.tensor([0.5], dtype=torch.float64)
    expected = torch.nn.functional.conv2d(torch.tensor(x)[None], torch.tensor(w)[None], bias)[0, 0]
    np.testing.assert_allclose(out, expected.numpy(), atol=1e-12)
    maps = [fig.axes[3 * c + 2].images[0].get_array() for c in range(3)]
    np.testing.assert_allclose(sum(maps) + 0.5, out, atol=1e-12)
    with pytest.raises(ValueError, match="same C"):
        plot_channel_sum(x, w[:2])
    plt.close("all")


def test_receptive_field_panels_highlight_exactly_the_field_inside_the_image():
    lenet = cnp.build_lenet(rng=np.random.default_rng(0))
    fields = receptive_field(lenet)
    units = [(3, 3), (3, 3), (1, 1), (1, 1), (0, 0)]
    fig = plot_receptive_fields(fields, (8, 8), units)
    assert len(fig.axes) == len(fields) == 5
    for ax, field, unit in zip(fig.axes, fields, units):
        mask = ax.images[0].get_array()
        top, left, h, w = field_box(field, unit)
        dashed = [p for p in ax.patches if p.get_linestyle() == "--"][0]
        assert (dashed.get_height(), dashed.get_width()) == field.r  # the box is receptive_field's size
        rows, cols = np.nonzero(mask)
        inside = (max(0, top), min(8, top + h))
        assert rows.min() == inside[0] and rows.max() + 1 == inside[1]  # shaded = the box clipped to the image
        assert str(field.r[0]) in ax.get_title()
    assert fig.axes[0].images[0].get_array().sum() == 9 and fig.axes[-1].images[0].get_array().all()
    with pytest.raises(ValueError, match="one unit per field"):
        plot_receptive_fields(fields, (8, 8), units[:2])
    plt.close("all")


def test_a_field_drawn_on_its_own_axes_is_centred_on_its_unit():
    field = receptive_field([dict(kernel_size=3, stride=2)])[0]  # unit i sees 2i .. 2i + 2
    _, ax = plt.subplots()
    mask = draw_receptive_field(ax, field, (7, 7), unit=(1, 2))
    np.testing.assert_array_equal(np.nonzero(mask.any(axis=1))[0], [2, 3, 4])
    np.testing.assert_array_equal(np.nonzero(mask.any(axis=0))[0], [4, 5, 6])
    plt.close("all")


def test_stack_support_has_holes_under_equal_dilations_and_none_without():
    np.testing.assert_array_equal(stack_support(2, 3, dilation=2), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(stack_support(2, 3), np.arange(5))
    np.testing.assert_array_equal(stack_support(2, 2, stride=2), [0, 1, 2, 3])
    fig, mask = plot_stack_field(2, 3, 1, 2)
    assert mask.shape == (9, 9) and mask.sum() == 25 and "field 9×9" in fig.axes[0].get_title()
    plt.close("all")


def test_shift_figure_shows_both_rows_of_each_pair():
    a, b = np.arange(16.0).reshape(4, 4), np.ones((4, 4))
    fig = plot_shift((a, b), (a, b), (a[:2, :2], b[:2, :2]))
    assert len(fig.axes) == 6
    np.testing.assert_array_equal(fig.axes[4].images[0].get_array(), b)
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), a[:2, :2])
    plt.close("all")


def test_learned_filters_figure_has_three_rows_of_filters_and_maps():
    rng = np.random.default_rng(0)
    fig = plot_learned_filters(rng.normal(size=(4, 3, 3)), rng.normal(size=(4, 3, 3)), np.eye(8), rng.random((4, 8, 8)))
    assert len(fig.axes) == 3 * 5
    assert [fig.axes[1 + 5 * r].get_ylabel() for r in range(3)] == ["initial", "trained", "map"]
    assert all(fig.axes[11 + i].images[0].norm.vmin == 0 for i in range(4))  # black is zero, not a map's minimum
    plt.close("all")
