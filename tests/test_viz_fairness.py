"""Fairness and attribution figures: the bars and maps hold the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion import fairness  # noqa: E402
from companion.viz.explain import plot_attribution_maps, plot_top_features  # noqa: E402
from companion.viz.fairness import plot_group_rates  # noqa: E402


@pytest.fixture()
def tables():
    y = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    return {"before": fairness.group_metrics(y, np.array([0, 1, 1, 1, 0, 0, 0, 1]), g),
            "after": fairness.group_metrics(y, np.array([0, 1, 0, 0, 1, 1, 0, 1]), g)}


def test_group_rates_draw_one_bar_per_model_and_group(tables):
    axes = plot_group_rates(tables, group_names={0: "A", 1: "B"})
    assert len(axes) == 3 and [ax.get_title() for ax in axes][0] == "selection rate"
    heights = [p.get_height() for p in axes[0].patches]            # group A's bars, then group B's
    expected = [t.by_group["selection_rate"][i] for i in (0, 1) for t in tables.values()]
    np.testing.assert_allclose(heights, expected)
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["A", "B"]
    assert axes[1].lines[0].get_ydata()[0] == pytest.approx(tables["before"].overall["false_positive_rate"])
    plt.close("all")


def test_group_rates_refuse_bad_input(tables):
    with pytest.raises(ValueError, match="unknown metric"):
        plot_group_rates(tables, metrics=("precision",))
    with pytest.raises(ValueError, match="tables is empty"):
        plot_group_rates({})
    other = fairness.group_metrics(np.array([0, 1, 0]), np.array([0, 1, 1]), np.array([0, 2, 2]))
    with pytest.raises(ValueError, match="has groups"):
        plot_group_rates({**tables, "other": other})
    plt.close("all")


def test_attribution_maps_are_centred_at_zero():
    images = np.random.default_rng(0).random((2, 4, 4))
    maps = {"saliency": images - 0.5, "occlusion": -images}
    axes = plot_attribution_maps(images, maps, titles=["a", "b"])
    assert axes.shape == (2, 3) and axes[0, 1].get_title() == "saliency"
    low, high = axes[1, 2].get_images()[0].get_clim()
    assert low == -high == -np.abs(maps["occlusion"][1]).max()
    with pytest.raises(ValueError, match="has shape"):
        plot_attribution_maps(images, {"bad": images[:1]})
    plt.close("all")


def test_top_features_are_the_largest_first():
    ax = plot_top_features(np.array([0.1, 3.0, 2.0, 0.5]), ["a", "b", "c", "d"], k=2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c"]
    assert sorted(p.get_width() for p in ax.patches) == [2.0, 3.0]
    with pytest.raises(ValueError, match="k must be"):
        plot_top_features(np.ones(3), ["a", "b", "c"], k=4)
    plt.close("all")
