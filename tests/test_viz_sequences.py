"""The forecasting figures draw the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz.sequences import plot_drift, plot_forecasts, plot_loss_curve, plot_mse_by_horizon  # noqa: E402


def test_forecasts_draw_history_actual_and_each_forecast():
    t = np.arange(5)
    ax = plot_forecasts(t, t * 2.0, {"a": t + 1.0, "b": t - 1.0}, history=([-2, -1], [0.5, 0.7]), title="x")
    ys = [line.get_ydata() for line in ax.lines]
    np.testing.assert_array_equal(ys[0], [0.5, 0.7])
    np.testing.assert_array_equal(ys[1], t * 2.0)
    np.testing.assert_array_equal(ys[3], t - 1.0)
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["before (training)", "actual", "a", "b"]
    with pytest.raises(ValueError, match="'a' has 4 values for 5 time points"):
        plot_forecasts(t, t, {"a": t[:4]})
    plt.close("all")


def test_drift_horizon_and_loss_plots():
    t = np.arange(4)
    ax = plot_drift(t, t * 1.0, t + 0.5, t * 0.0, start=1.5)
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), [0, 0, 0, 0])
    assert ax.lines[2].get_linestyle() == "--"
    assert ax.lines[3].get_xdata()[0] == 1.5  # the vertical line where feeding back starts
    ax = plot_mse_by_horizon([1, 2, 3], {"m": [0.1, 0.4, 0.9]})
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [0.1, 0.4, 0.9])
    with pytest.raises(ValueError, match="'m' has 2 values"):
        plot_mse_by_horizon([1, 2, 3], {"m": [0.1, 0.4]})
    ax = plot_loss_curve([3.0, 2.0, 1.5, 1.2], ylabel="cross-entropy")
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks) and ax.get_ylabel() == "cross-entropy"
    plt.close("all")


def test_seq2seq_diagram_has_a_box_per_step_and_teacher_forced_inputs():
    from companion.viz.sequences import draw_seq2seq

    ax = draw_seq2seq("28 Nov", list("2026") + ["<eos>"])
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("enc") == 6 and texts.count("dec") == 5 and "c" in texts and "␣" in texts
    for token in ["<bos>", "2", "0", "6", "<eos>"]:
        assert token in texts
    decoder_inputs = [t.get_text() for t in ax.texts if t.get_position()[1] == -1][6:]   # after the source row
    assert decoder_inputs == ["<bos>", "2", "0", "2", "6"]                               # the targets shifted right
    with pytest.raises(ValueError, match="at least one token"):
        draw_seq2seq("", "1")
    plt.close("all")
