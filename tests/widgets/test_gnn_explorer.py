"""The graph panel: each control retrains the NumPy GraphSAGE model on the karate club, and the summary and
the drawing show that run (torch-free)."""

import numpy as np
import pytest

from companion.data.karate import karate_club
from companion.node_classification import run_numpy
from companion.widgets import GNNExplorer
from companion.widgets.gnn_explorer import karate_run


def test_run_is_a_sage_stack_on_the_labelled_club():
    data, result = karate_run(layers=3, aggr="max", labelled=2, epochs=5)
    assert data.train_mask.sum() == 4 and data.train_mask[[0, 33]].all()
    expected = run_numpy(karate_club(2, rng=0), num_layers=3, layer="sage", aggr="max", epochs=5, lr=0.05)
    np.testing.assert_allclose(result.logits, expected.logits)
    assert result.accuracy == expected.accuracy


def test_controls_retrain_and_the_summary_follows():
    panel = GNNExplorer(draw=False)
    data, result = karate_run()
    np.testing.assert_allclose(panel.result.logits, result.logits)
    assert f"<b class='nnx-right'>{round(result.accuracy * 32)}</b> of 32" in panel.summary.value
    panel.aggr.value = "sum"
    np.testing.assert_allclose(panel.result.logits, karate_run(aggr="sum")[1].logits)
    assert "sum aggregation" in panel.summary.value
    panel.labelled.value = 3
    assert panel.data.train_mask.sum() == 6 and "of 28 unlabelled" in panel.summary.value
    panel.layers.value = 1
    assert panel.result.hidden.shape == (34, 34)                        # one layer reads the features
    assert f"{panel.result.spread:.3f}" in panel.summary.value
    assert panel.layers.max == 12 and tuple(panel.aggr.options) == ("mean", "sum", "max")


def test_deep_stacks_smooth_the_last_hidden_layer():
    shallow, deep = (karate_run(layers=layers, aggr="mean")[1] for layers in (2, 10))
    assert deep.spread < shallow.spread


def test_redraw_colours_predicted_sides_and_rings_labelled(monkeypatch):
    import companion.viz.graphs as viz

    drawn = []
    monkeypatch.setattr(viz, "draw_graph", lambda edge_index, **kw: drawn.append(kw))
    panel = GNNExplorer(labelled=2)
    np.testing.assert_array_equal(drawn[-1]["labels"], panel.result.logits.argmax(1))
    np.testing.assert_array_equal(drawn[-1]["marked"], panel.data.train_mask)
    pos = drawn[-1]["pos"]
    panel.layers.value = 3
    assert len(drawn) == 2 and drawn[-1]["pos"] is pos                  # the layout is computed once


@pytest.mark.parametrize("bad", [0, 20])
def test_labelled_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="labelled_per_class"):
        karate_run(labelled=bad)
