"""The single-neuron figure writes the numbers the package computes, and refuses mismatched shapes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion.viz import draw_neuron  # noqa: E402


def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "gelu", "leaky_relu"])
def test_figure_shows_every_input_weight_and_the_computed_sum_and_output(activation):
    x, w, b = np.array([1.0, -2.0, 0.5]), np.array([0.4, -0.6, 1.2]), -0.3
    ax = draw_neuron(x, w, b, activation)
    texts = _texts(ax)
    z = float(cnp.dense(x, w[None, :], np.array([b]))[0])
    a = float(cnp.get_activation(activation)(np.array(z)))
    assert f"$z$ = {z:.2f}" in texts and f"{a:.2f}" in texts and f"$f$ = {activation}" in texts
    assert all(f"{v:.2f}" in texts for v in x)
    assert all(f"$w_{i + 1}$ = {v:.2f}" in texts for i, v in enumerate(w))
    assert "$b$ = -0.30" in texts
    plt.close("all")


def test_negative_input_to_relu_outputs_zero_on_the_figure():
    texts = _texts(draw_neuron([1.0], [-2.0], 0.5, "relu", decimals=3))
    assert "$z$ = -1.500" in texts and "0.000" in texts
    plt.close("all")


@pytest.mark.parametrize("x, w", [([1.0, 2.0], [1.0]), ([[1.0, 2.0]], [[1.0, 2.0]]), ([], [])])
def test_mismatched_shapes_are_named(x, w):
    with pytest.raises(ValueError, match="x and weight must be 1-D with one weight per input"):
        draw_neuron(x, w)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="unknown activation 'elu'"):
        draw_neuron([1.0], [1.0], 0.0, "elu")
