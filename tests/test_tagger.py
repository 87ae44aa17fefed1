"""The encoder tagger of the chapter *Attention*: the reversal task, the model against torch.nn's layers, its
attention maps against the NumPy panel's, training, devices."""

import numpy as np
import torch

from companion import tagger


def test_reversal_task_writes_each_sequence_backwards():
    x, y = tagger.reversal_task(50, length=6, symbols=4, rng=0)
    assert x.shape == y.shape == (50, 6) and set(np.unique(x)) <= set(range(4))
    np.testing.assert_array_equal(y, x[:, ::-1])
    np.testing.assert_array_equal(tagger.reversal_task(50, 6, 4, rng=0)[0], x)


def test_encoder_tagger_is_its_layers_in_order_and_its_maps_match_the_numpy_panel():
    from companion.widgets.attention_explorer import encoder_attention

    model = tagger.EncoderTagger(7, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, max_len=6, rng=0,
                                  dtype=torch.float64, device="cpu")
    ids = torch.tensor([[1, 2, 3, 4, 5], [6, 0, 1, 2, 3]])
    logits = model(ids)
    assert logits.shape == (2, 5, 7)
    reference = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, dtype=torch.float64)
    h = model.embed.weight[ids] + model.positions.weight[:5]
    for layer in model.layers:                                    # torch.nn's layer with the same weights
        reference.load_state_dict(layer.state_dict())
        h = reference(h)
    torch.testing.assert_close(logits, model.head(h))
    maps = model.attention_maps()
    assert maps.shape == (2, 2, 2, 5, 5)
    state = {name: value.detach().numpy() for name, value in model.state_dict().items()}
    np.testing.assert_allclose(encoder_attention(state, ids.numpy(), 2), maps.numpy(), atol=1e-12)


def test_encoder_tagger_learns_reversal():
    x, y = tagger.reversal_task(512, length=5, symbols=6, rng=0)
    model = tagger.EncoderTagger(6, d_model=16, nhead=2, num_layers=1, dim_feedforward=32, rng=0, device="cpu")
    losses = tagger.train_tagger(model, x, y, epochs=6, batch_size=64, lr=1e-2)
    assert losses[-1] < 0.2 * losses[0]
    with torch.no_grad():
        assert (model(x).argmax(-1).numpy() == y).mean() > 0.9


def test_tagger_parameters_live_on_the_device_given():
    model = tagger.EncoderTagger(7, d_model=8, nhead=2, num_layers=1, dim_feedforward=16, rng=0, device="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"} and model.device.type == "meta"
