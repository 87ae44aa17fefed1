"""The attention panel: NumPy maps of an encoder's layers and heads at a softmax temperature (torch-free; the
maps against the torch model's own are checked in tests/test_tagger.py)."""

import numpy as np
import pytest

from companion.np.transformer import TransformerEncoderLayer
from companion.widgets import AttentionExplorer
from companion.widgets.attention_explorer import encoder_attention

D, HEADS, L = 8, 2, 5


def make_state(rng=0, layers=2):
    rng = np.random.default_rng(rng)
    state = {"embed.weight": rng.normal(size=(10, D)), "positions.weight": rng.normal(size=(16, D))}
    for i in range(layers):
        layer = TransformerEncoderLayer(D, HEADS, 16, dropout=0.0, batch_first=True, rng=rng)
        state.update({f"layers.{i}.{name}": value for name, value in layer.state_dict().items()})
    return state


@pytest.fixture(scope="module")
def ids():
    return np.random.default_rng(1).integers(0, 10, size=(3, L))


def first_layer_by_hand(state, ids, temperature):
    h = state["embed.weight"][ids] + state["positions.weight"][:L]
    w, b = state["layers.0.self_attn.in_proj_weight"], state["layers.0.self_attn.in_proj_bias"]
    q, k = (h @ w[i * D:(i + 1) * D].T + b[i * D:(i + 1) * D] for i in (0, 1))
    q, k = (x.reshape(len(ids), L, HEADS, D // HEADS).transpose(0, 2, 1, 3) for x in (q, k))   # (N, H, L, d)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D // HEADS) / temperature
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("temperature", [1.0, 0.3, 4.0])
def test_maps_are_softmax_of_scaled_scores_divided_by_the_temperature(ids, temperature):
    state = make_state()
    maps = encoder_attention(state, ids, HEADS, temperature)
    assert maps.shape == (2, 3, HEADS, L, L)
    np.testing.assert_allclose(maps.sum(-1), 1.0)
    np.testing.assert_allclose(maps[0], first_layer_by_hand(state, ids, temperature), atol=1e-12)
    assert not np.allclose(maps[1], maps[0])


def test_lower_temperature_sharpens_and_higher_flattens(ids):
    state = make_state()
    peaks = [encoder_attention(state, ids, HEADS, t)[0].max(-1).mean() for t in (0.1, 1.0, 10.0)]
    assert peaks[0] > peaks[1] > peaks[2] > 1 / L
    assert encoder_attention(state, ids, HEADS, 100.0)[0].max() < 1.5 / L      # nearly uniform
    with pytest.raises(ValueError, match="temperature must be positive"):
        encoder_attention(state, ids, HEADS, 0.0)
    with pytest.raises(ValueError, match="ids must be 2-D"):
        encoder_attention(state, ids[0], HEADS)


def test_sliders_pick_layer_head_example_and_temperature(ids):
    state = make_state()
    panel = AttentionExplorer(state, ids, HEADS, draw=False)
    maps = encoder_attention(state, ids, HEADS)
    np.testing.assert_allclose(panel.weights, maps[0, 0, 0])
    panel.layer.value, panel.head.value, panel.example.value = 1, 1, 2
    np.testing.assert_allclose(panel.weights, maps[1, 2, 1])
    assert panel.layer.max == 1 and panel.head.max == HEADS - 1 and panel.example.max == 2
    panel.temperature.value = 0.1
    np.testing.assert_allclose(panel.weights, encoder_attention(state, ids, HEADS, 0.1)[1, 2, 1])
    assert f"{panel.weights.max(1).mean():.2f}" in panel.summary.value and "temperature 0.10" in panel.summary.value


def test_one_layer_and_labels_draw_without_error(ids, monkeypatch):
    import companion.viz.attention as viz

    drawn = []
    monkeypatch.setattr(viz, "plot_attention_map", lambda weights, **kw: drawn.append((weights, kw)))
    panel = AttentionExplorer(make_state(layers=1), ids, HEADS, labels=[list("abcde")] * 3)
    assert panel.layer.max == 0
    np.testing.assert_allclose(drawn[-1][0], panel.weights)
    assert drawn[-1][1]["keys"] == list("abcde")
