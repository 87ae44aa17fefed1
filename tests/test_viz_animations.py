"""The scrubbable animations draw their axes once and change only what moves in each frame."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from companion.viz.optim import paths, paths_animation  # noqa: E402
from companion.viz.training import boundary_animation, grid  # noqa: E402

def _drawn(anim):
    """Tell matplotlib the animation was drawn (frame by frame here, never saved), which it otherwise
    warns about when the animation is garbage-collected, after the test has ended."""
    anim._draw_was_started = True
    return anim


def test_boundary_animation_frames_show_each_predictor_and_title():
    X = np.array([[-1.0, 0.5], [2.0, -1.0]])
    predictors = [lambda p, k=k: np.full(len(p), k / 4) for k in range(3)]
    anim = _drawn(boundary_animation(predictors, X, np.array([0, 1]), ["a", "b", "c"]))
    ax = anim._fig.axes[0]
    n_ticks = None
    for i in (2, 0, 1):
        anim._draw_frame(i)
        image, = ax.get_images()                                   # one heat map, updated in place
        np.testing.assert_array_equal(image.get_array(), np.full(grid((-3.5, 3.5, -3.5, 3.5), 50)[1].shape, i / 4))
        assert ax.get_title() == "abc"[i] and len(ax.collections) == 1   # the points, drawn once
        n_ticks = n_ticks or len(ax.get_xticks())
        assert len(ax.get_xticks()) == n_ticks


def test_paths_animation_frames_show_the_first_points_of_every_path():
    path_dict = paths("ravine", steps=12)
    anim = _drawn(paths_animation(path_dict, "ravine", every=4))
    ax = anim._fig.axes[0]
    for i in (9, 1, 5):
        anim._draw_frame(i)
        lines = {line.get_label(): line for line in ax.get_lines()}
        for name, points in path_dict.items():
            np.testing.assert_array_equal(np.column_stack(lines[name].get_data()), points[:i])
        assert ax.get_title() == f"step {i - 1}"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(path_dict)
