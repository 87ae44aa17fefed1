"""The graph figures draw what they are given (positions, colours, numbers, frames) and refuse shapes that
do not fit."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.viz import graphs as viz_graphs  # noqa: E402
from companion.viz.graphs import (draw_attention, draw_graph, embedding_animation, graph_layout,  # noqa: E402
                                  plot_embeddings, plot_graph_and_matrices, plot_matrix, plot_smoothing)

PATH = np.array([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])      # 0 - 1 - 2 - 3, both directions


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_layout_is_deterministic_and_follows_path_distances():
    pos = graph_layout(PATH)
    cached = graph_layout(PATH)
    np.testing.assert_array_equal(pos, cached)
    cached[0] = 99.0                                             # the caller gets a copy: the cache keeps its own
    np.testing.assert_array_equal(graph_layout(PATH), pos)
    viz_graphs._LAYOUTS.clear()
    np.testing.assert_array_equal(graph_layout(PATH), pos)       # deterministic: computed afresh, the same
    assert pos.shape == (4, 2)
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    assert dist[0, 3] > dist[0, 2] > dist[0, 1]                  # the ends of the path lie farthest apart
    assert graph_layout(PATH, num_nodes=5).shape == (5, 2)       # an isolated node still gets a place


def test_draw_graph_places_nodes_colours_classes_and_rings_marked():
    pos = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]])
    ax = draw_graph(PATH, pos=pos, labels=[0, 0, 1, 1], marked=[True, False, False, False], title="t")
    nodes = ax.collections[-1]
    np.testing.assert_allclose(nodes.get_offsets(), pos)
    faces = nodes.get_facecolors()
    assert np.allclose(faces[0], faces[1]) and not np.allclose(faces[1], faces[2])
    widths = nodes.get_linewidths()
    assert widths[0] > widths[1]
    assert sorted(t.get_text() for t in ax.texts) == ["0", "1", "2", "3"] and ax.get_title() == "t"
    ax = draw_graph(PATH, pos=pos, values=[-1.0, 0.0, 0.5, 1.0], node_text="abcd")
    assert sorted(t.get_text() for t in ax.texts) == list("abcd")
    np.testing.assert_allclose(ax.collections[-1].get_array(), [-1.0, 0.0, 0.5, 1.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"labels": [0, 1]}, r"labels must have shape \(4,\)"),
    ({"values": [0.0] * 5}, r"values must have shape \(4,\)"),
    ({"labels": [0] * 4, "values": [0.0] * 4}, "not both"),
    ({"pos": np.zeros((3, 2))}, r"pos must have shape \(4, 2\)"),
])
def test_draw_graph_rejects_misfits(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw_graph(PATH, **kwargs)
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, E\)"):
        draw_graph(PATH.T)


def test_matrix_shows_its_nonzero_numbers():
    m = np.array([[0.0, 0.5], [1.0 / 3, 0.0]])
    ax = plot_matrix(m, title="Â")
    np.testing.assert_array_equal(ax.images[0].get_array(), m)
    assert sorted(t.get_text() for t in ax.texts) == ["0.33", "0.50"]
    assert sorted(t.get_text() for t in plot_matrix(np.array([[0, 2], [1, 0]])).texts) == ["1", "2"]
    fig = plot_graph_and_matrices(PATH, [np.eye(4), np.ones((4, 4))], titles=["I", "J"])
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "J"
    with pytest.raises(ValueError, match="1 titles for 2 matrices"):
        plot_graph_and_matrices(PATH, [np.eye(4), np.eye(4)], titles=["I"])
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        plot_graph_and_matrices(PATH, [np.eye(3)])
    with pytest.raises(ValueError, match="must be 2-D"):
        plot_matrix(np.ones(3))


def test_embeddings_and_their_animation_keep_fixed_axes():
    frames = np.random.default_rng(0).normal(size=(3, 4, 2))
    ax = plot_embeddings(frames[0], [0, 1, 1, 0], marked=[True, False, False, False], classes=("a", "b"))
    np.testing.assert_allclose(np.concatenate([c.get_offsets() for c in ax.collections]),
                               frames[0][[0, 3, 1, 2]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "labelled"]
    assert not ax.lines                                                  # no diagonal unless asked
    ax = plot_embeddings(frames[0], [0, 1, 1, 0], diagonal=True)
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), line.get_ydata())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    anim = embedding_animation(frames, [0, 1, 1, 0], steps=[0, 5, 10], accuracies=[0.5, 0.75, 1.0], diagonal=True)
    anim._init_draw()
    ax = anim._fig.axes[0]
    anim._func(2)
    assert ax.get_title() == "update 10: 100% of unlabelled nodes right"
    np.testing.assert_allclose(np.concatenate([c.get_offsets() for c in ax.collections]),  # the points moved
                               frames[2][[0, 3, 1, 2]])
    lim = ax.get_xlim()
    anim._func(0)
    assert ax.get_xlim() == lim and lim[0] < frames[..., 0].min() and lim[1] > frames[..., 0].max()
    with pytest.raises(ValueError, match=r"frames must have shape \(T, N, 2\)"):
        embedding_animation(frames[..., :1], [0, 1, 1, 0])
    with pytest.raises(ValueError, match="2 accuracies for 3 frames"):
        embedding_animation(frames, [0, 1, 1, 0], accuracies=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        plot_embeddings(frames[0], [0, 1])


def test_smoothing_curves_against_depth():
    ax = plot_smoothing([1, 2, 4], {"a": [1.0, 0.5, 0.1], "b": [1.0, 0.9, 0.8]}, title="s")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [1.0, 0.5, 0.1])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "number of layers"
    ax = plot_smoothing([1, 2, 4], {"m": [1.0, 0.0, 0.0]})
    low = ax.get_ylim()[0]
    assert low > 1e-3                                                   # the zeros do not drag the axis down
    with pytest.raises(ValueError, match="curve 'a' has"):
        plot_smoothing([1, 2], {"a": [1.0]})


def test_attention_arrows_skip_self_loops_and_scale_with_alpha():
    edge_index = np.array([[0, 1, 2, 1, 0], [1, 0, 1, 2, 0]])          # the last is a self-loop
    alpha = np.array([1.0, 0.5, 0.5, 1.0, 1.0])
    ax = draw_attention(edge_index, alpha, labels=[0, 1, 0])
    arrows = [p for p in ax.patches]
    assert len(arrows) == 4                                             # the self-loop is left out
    widths = sorted(a.get_linewidth() for a in arrows)
    assert widths[0] < widths[-1]
    assert len(draw_attention(edge_index, alpha, threshold=0.6).patches) == 2
    # relative to an even share: 0 -> 1 has 1.0 of node 1's two edges (2x), the others exactly their share
    assert len(draw_attention(edge_index, alpha, threshold=1.5, relative=True).patches) == 1
    assert len(draw_attention(edge_index, alpha, threshold=0.9, relative=True).patches) == 4
    with pytest.raises(ValueError, match=r"alpha must have shape \(5,\)"):
        draw_attention(edge_index, alpha[:3])


def test_the_drawn_graph_has_the_edges_given():
    ax = draw_graph(PATH)
    segments = ax.collections[0].get_segments()
    assert len(segments) == nx.Graph(list(map(tuple, PATH.T.tolist()))).number_of_edges() == 3
