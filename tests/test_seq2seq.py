"""The encoder-decoder and the recurrent forecaster: shapes, packing, teacher forcing, greedy decoding."""

import numpy as np
import pytest
import torch

from companion.data import dates
from companion.forecasting import LastStepRegressor
from companion import seq2seq
from companion.seq2seq import Seq2Seq, Seq2SeqConfig, exact_match, train_seq2seq
from companion.torch.clip import clip_grad_norm_


def small(cell="gru", fused=True, rng=0):
    return Seq2Seq(Seq2SeqConfig(12, 9, embed=5, hidden=7, cell=cell, fused=fused), rng=rng, device="cpu")


def batch():
    src = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0], [9, 0, 0, 0]])  # padded after each source's end
    return src, torch.tensor([4, 2, 1]), torch.tensor([[3, 4, 2], [5, 2, 0], [6, 7, 2]])


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_shapes_and_the_same_seed_gives_the_same_model(cell):
    src, lengths, tgt = batch()
    model = small(cell)
    assert model(src, lengths, tgt).shape == (3, 3, 9)
    assert model.greedy(src, lengths, max_len=5).shape == (3, 5)
    outputs, _ = model.encoder(src, lengths)
    assert outputs.shape == (3, 4, 7)
    torch.testing.assert_close(small(cell)(src, lengths, tgt), model(src, lengths, tgt))


def test_the_encoder_reads_only_each_sources_valid_steps():
    src, lengths, _ = batch()
    model = small()
    outputs, state = model.encoder(src, lengths)
    alone_out, alone_state = model.encoder(src[1:2, :2], torch.tensor([2]))   # the second source, unpadded
    torch.testing.assert_close(state[:, 1], alone_state[:, 0])
    torch.testing.assert_close(outputs[1, :2], alone_out[0])
    assert torch.all(outputs[1, 2:] == 0) and torch.all(outputs[2, 1:] == 0)


def test_fused_and_step_by_step_give_the_same_logits():
    src, lengths, tgt = batch()
    torch.testing.assert_close(small(fused=True)(src, lengths, tgt), small(fused=False)(src, lengths, tgt))


def test_teacher_forcing_inputs_are_the_shifted_targets_and_logits_never_see_the_current_target():
    src, lengths, tgt = batch()
    model = small()
    np.testing.assert_array_equal(model.decoder_inputs(tgt).numpy(), dates.shift_right(tgt.numpy(), 1))
    logits = model(src, lengths, tgt)
    for t in range(tgt.shape[1]):
        changed = tgt.clone()
        changed[:, t:] = 8                                           # the target at t and after
        torch.testing.assert_close(model(src, lengths, changed)[:, :t + 1], logits[:, :t + 1])


def test_greedy_decoding_is_the_argmax_of_teacher_forcing_on_its_own_outputs():
    src, lengths, _ = batch()
    model = small(rng=4)
    greedy = model.greedy(src, lengths, max_len=6)
    with torch.no_grad():
        forced = model(src, lengths, greedy).argmax(-1)
    torch.testing.assert_close(forced, greedy)


def test_clipping_bounds_the_gradient_norm_and_training_learns_a_copy_task():
    src, lengths, tgt = batch()
    model = small()
    model(src, lengths, tgt).pow(2).sum().mul(100).backward()
    before = float(clip_grad_norm_(model.parameters(), 0.5))
    after = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters() if p.grad is not None]))
    assert before > 0.5 and float(after) <= 0.5 + 1e-6
    rng = np.random.default_rng(0)
    digits = rng.integers(3, 9, size=(256, 3))                       # copy three digits, then <eos>
    targets = np.concatenate([digits, np.full((256, 1), 2)], axis=1)
    model = Seq2Seq(Seq2SeqConfig(12, 9, embed=8, hidden=32), rng=0, device="cpu")
    losses = train_seq2seq(model, digits, np.full(256, 3), targets, epochs=15, batch_size=32, lr=0.02)
    assert losses[-1] < 0.3 * losses[0]
    decoded = model.greedy(torch.as_tensor(digits), torch.full((256,), 3), max_len=4).numpy()
    assert exact_match([tuple(r) for r in decoded], [tuple(r) for r in targets]) > 0.5


def test_exact_match_and_bad_arguments():
    assert exact_match(["a", "b", "c", "d"], ["a", "x", "c", "y"]) == 0.5
    with pytest.raises(ValueError, match="2 predictions for 1 targets"):
        exact_match(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="cell must be one of"):
        small(cell="transformer")
    with pytest.raises(ValueError, match="cell must be one of"):
        LastStepRegressor("cnn")


def test_last_step_regressor_is_a_linear_layer_on_the_last_output():
    torch.manual_seed(0)
    x = torch.randn(5, 8, dtype=torch.float64)
    net = LastStepRegressor("gru", hidden_size=6, rng=1, dtype=torch.float64, device="cpu")
    out = net(x)
    assert out.shape == (5, 1)
    torch.testing.assert_close(net(x.unsqueeze(-1)), out)
    hidden, _ = net.rnn(x.unsqueeze(-1))
    torch.testing.assert_close(out, hidden[:, -1] @ net.head.weight.T + net.head.bias)
    same = LastStepRegressor("gru", hidden_size=6, rng=1, dtype=torch.float64, device="cpu")
    torch.testing.assert_close(same(x), out)
    assert not torch.equal(LastStepRegressor("gru", hidden_size=6, rng=2, dtype=torch.float64)(x), out)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_every_parameter_lives_on_the_models_device(cell, monkeypatch):
    """The embeddings, recurrent layers and output layer on one device: the one given, else companion.device()
    (CUDA when present). The meta device stands in for a GPU: a layer left on the CPU would show here."""
    config = Seq2SeqConfig(12, 9, embed=5, hidden=7, cell=cell)
    given = Seq2Seq(config, rng=0, device="meta")
    monkeypatch.setattr(seq2seq, "default_device", lambda: torch.device("meta"))
    default = Seq2Seq(config, rng=0)
    for model in (given, default):
        devices = {name: p.device.type for name, p in model.named_parameters()}
        assert set(devices.values()) == {"meta"}, devices
        assert model.device.type == "meta"
    cpu = Seq2Seq(config, rng=0, device="cpu")
    assert {p.device.type for p in cpu.parameters()} == {"cpu"}


def test_inputs_on_another_device_are_moved_to_the_models():
    src, lengths, tgt = batch()
    model = small()
    logits = model(src.numpy(), lengths.numpy(), tgt.numpy())     # arrays, not tensors: converted and moved
    assert logits.device == model.device
    torch.testing.assert_close(logits, model(src, lengths, tgt))


# --- Bahdanau attention (chapter: Attention) ---------------------------------------------------------------------


def attentive(fused=True, rng=0):
    return Seq2Seq(Seq2SeqConfig(12, 9, embed=5, hidden=7, fused=fused, attention=True, attention_hidden=6),
                   rng=rng, device="cpu")


def test_attention_is_drawn_after_the_other_layers_so_they_stay_the_same():
    plain, with_attention = small(), attentive()
    extra = {"decoder.attention.W_q", "decoder.attention.W_k", "decoder.attention.w_v"}
    assert set(with_attention.state_dict()) == set(plain.state_dict()) | extra
    for name, value in plain.state_dict().items():
        torch.testing.assert_close(with_attention.state_dict()[name], value)
    assert plain.decoder.attention is None and with_attention.decoder.attention.W_q.shape == (6, 7)


def test_attention_maps_are_distributions_over_the_valid_source_steps():
    src, lengths, tgt = batch()
    model = attentive()
    logits = model(src, lengths, tgt)
    weights = model.decoder.attention_map
    assert logits.shape == (3, 3, 9) and weights.shape == (3, 3, 4)                  # (N, T, S)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 3))
    padded = torch.arange(4) >= lengths[:, None]
    assert torch.all(weights[padded[:, None, :].expand(-1, 3, -1)] == 0)
    changed = src.clone()
    changed[padded] = 11                                          # other tokens where the padding was
    torch.testing.assert_close(model(changed, lengths, tgt), logits)


def test_the_context_is_the_attention_weighted_sum_of_the_encoder_outputs():
    src, lengths, tgt = batch()
    model = attentive()
    memory, state = model.encoder(src, lengths)
    seen = []
    model.decoder.attention.register_forward_hook(lambda module, args, out: seen.append(out))
    model(src, lengths, tgt)
    weights = model.decoder.attention_map
    for t, context in enumerate(seen):                            # (N, 1, H) at each step
        torch.testing.assert_close(context[:, 0], torch.einsum("ns,nsh->nh", weights[:, t], memory))


def test_attention_keeps_teacher_forcing_causal_and_greedy_its_argmax():
    src, lengths, tgt = batch()
    model = attentive(rng=3)
    logits = model(src, lengths, tgt)
    for t in range(tgt.shape[1]):
        changed = tgt.clone()
        changed[:, t:] = 8
        torch.testing.assert_close(model(src, lengths, changed)[:, :t + 1], logits[:, :t + 1])
    greedy = model.greedy(src, lengths, max_len=5)
    greedy_map = model.decoder.attention_map
    assert greedy_map.shape == (3, 5, 4)
    with torch.no_grad():
        forced = model(src, lengths, greedy).argmax(-1)
    torch.testing.assert_close(forced, greedy)
    torch.testing.assert_close(model.decoder.attention_map, greedy_map)   # the same reading, step by step


def test_attention_fused_and_step_by_step_agree():
    src, lengths, tgt = batch()
    torch.testing.assert_close(attentive(fused=True)(src, lengths, tgt), attentive(fused=False)(src, lengths, tgt))


def test_attention_learns_to_reverse_digits_and_gradients_reach_its_parameters():
    rng = np.random.default_rng(0)
    digits = rng.integers(3, 9, size=(128, 4))                    # write four digits backwards, then <eos>
    targets = np.concatenate([digits[:, ::-1], np.full((128, 1), 2)], axis=1)
    model = Seq2Seq(Seq2SeqConfig(12, 9, embed=8, hidden=32, attention=True), rng=0, device="cpu")
    model(digits, np.full(128, 4), targets).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.decoder.attention.parameters())
    losses = train_seq2seq(model, digits, np.full(128, 4), targets, epochs=12, batch_size=32, lr=0.02)
    assert losses[-1] < 0.3 * losses[0]
    decoded = model.greedy(torch.as_tensor(digits), torch.full((128,), 4), max_len=5).numpy()
    assert exact_match([tuple(r) for r in decoded], [tuple(r) for r in targets]) > 0.5


def test_attention_parameters_live_on_the_device_given():
    model = Seq2Seq(Seq2SeqConfig(12, 9, embed=5, hidden=7, attention=True), rng=0, device="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"} and model.device.type == "meta"
