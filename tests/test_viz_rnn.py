"""The chapter-09 figures draw what they say: one curve per entry, Zipf's reference line, the gradient
norms as given, the cells' gates."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from companion.viz import rnn as figures  # noqa: E402


def test_zipf_plot_has_a_curve_and_a_one_over_rank_line_per_vocabulary():
    ax = figures.plot_zipf({"words": [100, 50, 30, 20], "characters": [9, 3]})
    lines = ax.get_lines()
    assert len(lines) == 4 and ax.get_xscale() == ax.get_yscale() == "log"
    np.testing.assert_allclose(lines[1].get_ydata(), [100, 50, 100 / 3, 25])   # count_1 / rank
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["words", "characters"]
    plt.close("all")


def test_gradient_norm_plot_draws_each_curve_against_its_time_step():
    norms = {"a": np.array([1e-6, 1e-3, 1.0]), "b": np.array([0.0, 2.0, 1.0])}
    ax = figures.plot_gradient_norms(norms)
    (a, b) = ax.get_lines()
    np.testing.assert_array_equal(a.get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(a.get_ydata(), norms["a"])
    assert b.get_ydata()[0] > 0 and ax.get_yscale() == "log"           # a zero norm stays drawable
    plt.close("all")


def test_training_curves_stop_at_non_finite_values():
    ax = figures.plot_training_curves({"run": [3.0, 2.0, np.inf, np.nan]})
    y = ax.get_lines()[0].get_ydata()
    assert y[:2].tolist() == [3.0, 2.0] and np.isnan(y[2:]).all()
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_lstm_diagram_has_the_four_gates_and_the_cell_state_operations():
    ax = figures.draw_lstm_cell()
    texts = _texts(ax)
    assert texts.count("σ") == 3 and texts.count("tanh") == 2 and texts.count("×") == 3 and texts.count("+") == 1
    assert {"forget f", "input i", "candidate g", "output o"} <= set(texts)
    plt.close("all")


def test_gru_diagram_has_reset_and_update_gates_and_the_mix():
    ax = figures.draw_gru_cell()
    texts = _texts(ax)
    assert texts.count("σ") == 2 and texts.count("tanh") == 1 and "1−" in texts and texts.count("+") == 1
    assert {"reset r", "update z"} <= set(texts)
    plt.close("all")


def test_samples_table_escapes_the_text():
    html = figures.show_samples({"T = 1": "a <b> & c"}, title="samples")
    assert "a &lt;b&gt; &amp; c" in html and "<caption>samples</caption>" in html
