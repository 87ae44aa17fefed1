"""Scaling-out figures: each ring state drawn as a worker-by-chunk grid labelled with whose numbers each
copy holds, the just-received cells framed; measured all-reduce times against the fitted cost model."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.parallelism import ring_all_reduce_cost, ring_contributions  # noqa: E402
from companion.viz.distributed import draw_ring_state, plot_allreduce_times, plot_ring_log, step_title  # noqa: E402


def _labels(ax):
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}


def test_ring_state_labels_contributors_and_frames_what_was_received():
    held, log = ring_contributions(3)
    _, ax = plt.subplots()
    draw_ring_state(held, log, 0, ax)
    assert _labels(ax) == {(i, c): str(i) for i in range(3) for c in range(3)} and not ax.patches
    _, ax = plt.subplots()
    draw_ring_state(held, log, 1, ax)                      # reduce-scatter 1: worker i sent chunk i
    labels = _labels(ax)
    assert labels[(1, 0)] == "01" and labels[(2, 1)] == "12" and labels[(0, 2)] == "02" and labels[(0, 0)] == "0"
    framed = {(round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax.patches}
    assert framed == {(1, 0), (2, 1), (0, 2)}
    assert ax.get_title() == "reduce-scatter 1"
    _, ax = plt.subplots()
    draw_ring_state(held, log, 4, ax)
    assert set(_labels(ax).values()) == {"all"} and ax.get_title() == "all-gather 2"
    plt.close("all")


def test_ring_log_draws_every_state():
    held, log = ring_contributions(4)
    fig = plot_ring_log(held, log, ncols=4)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:7] == [step_title(log, t) for t in range(7)] and titles[0] == "start"
    assert len(fig.axes) == 8 and not fig.axes[7].axison          # 7 states in a 2 x 4 grid
    plt.close("all")


def test_ring_state_rejects_mismatched_input():
    held, log = ring_contributions(3)
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="shape"):
        draw_ring_state(held[0], log, 0, ax)
    with pytest.raises(ValueError, match="log needs 4 steps"):
        draw_ring_state(held, log[:-1], 0, ax)
    with pytest.raises(ValueError, match="t must be from 0 to 4"):
        draw_ring_state(held, log, 5, ax)
    plt.close("all")


def test_allreduce_times_against_the_model():
    rows = [{"bytes": 1024, "seconds": 1e-4}, {"bytes": 2**20, "seconds": 2e-3}]
    ax = plot_allreduce_times(rows, 2, bandwidth=1e9, latency=5e-5)
    model, measured = ax.lines
    np.testing.assert_array_equal(measured.get_xdata(), [1024, 2**20])
    np.testing.assert_array_equal(measured.get_ydata(), [1e-4, 2e-3])
    x, y = model.get_xdata(), model.get_ydata()
    assert x.min() < 1024 and x.max() > 2**20
    np.testing.assert_allclose(y, [ring_all_reduce_cost(b, 2, 1e9, 5e-5) for b in x])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="nothing measured"):
        plot_allreduce_times([], 2, 1e9, 0.0)
    plt.close("all")
