"""The computational-graph figure: one box per node, one arrow per edge, the engine's numbers on them."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from companion.np.autodiff import Tensor, edge_gradients  # noqa: E402
from companion.viz.compgraph import GRADIENT, draw_computational_graph  # noqa: E402


def texts(ax, colour=None):
    found = [t for t in ax.texts if getattr(t, "arrow_patch", None) is None]
    if colour is not None:
        found = [t for t in found if matplotlib.colors.to_hex(t.get_color()) == colour]
    return [t.get_text() for t in found]


def example():
    x, y, z = Tensor(2.0), Tensor(-3.0), Tensor(4.0)
    a = x * y
    b = a + z
    f = b * b
    f.backward()
    return (x, y, z, a, b, f)


def test_boxes_arrows_values_and_gradients():
    x, y, z, a, b, f = example()
    ax = draw_computational_graph(f, {x: "x", y: "y", z: "z", a: "a", b: "b", f: "f"})
    boxes = [t for t in ax.texts if t.get_bbox_patch() is not None and "\n" in t.get_text()]
    assert sorted(t.get_text() for t in boxes) == ["a = ×\n-6", "b = +\n-2", "f = ×\n4", "x\n2", "y\n-3", "z\n4"]
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == len(edge_gradients(f)) == 5  # b * b is one arrow carrying both uses
    # red: the five edge gradients (x: 2b*y = 12, y: 2b*x = -8, a, z, b: 2b = -4) and the root's 1
    assert sorted(texts(ax, GRADIENT)) == sorted(["12", "-8", "-4", "-4", "-4", "1"])
    plt.close("all")


def test_arrays_are_shown_by_shape():
    w = Tensor(np.ones((2, 3)))
    s = (w * 2.0).sum()
    s.backward()
    ax = draw_computational_graph(s, {w: "w"})
    assert "w\nshape (2, 3)" in texts(ax)
    plt.close("all")


def test_clear_errors():
    with pytest.raises(ValueError, match="root must be a companion.np.autodiff.Tensor"):
        draw_computational_graph(3.0)
    with pytest.raises(ValueError, match=r"call root.backward\(\) before drawing"):
        draw_computational_graph(Tensor(2.0) * Tensor(3.0))
