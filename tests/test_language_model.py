"""companion.language_model: the recurrent language model's layers, truncated BPTT with clipping, its
scores (log-probabilities equal to the cross-entropy it trains on) and generation."""

import numpy as np
import pytest
import torch

from companion import language_model as lm
from companion import torch as ct

STREAM = np.tile(np.arange(5), 60)            # 0 1 2 3 4 0 1 …: the next token is determined


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_shapes_and_companion_layers(kind):
    torch.manual_seed(0)
    model = lm.RecurrentLM(7, kind, embed_size=4, hidden_size=6, rng=np.random.default_rng(0))
    assert isinstance(model.rnn, {"rnn": ct.RNN, "lstm": ct.LSTM, "gru": ct.GRU}[kind])
    logits, state = model(torch.zeros(3, 5, dtype=torch.int64))
    assert logits.shape == (3, 5, 7)
    h = state[0] if kind == "lstm" else state
    assert h.shape == (1, 3, 6)


def test_fused_and_step_by_step_models_agree():
    torch.manual_seed(0)
    fused = lm.RecurrentLM(6, "lstm", embed_size=4, hidden_size=5, dtype=torch.float64, rng=np.random.default_rng(1))
    torch.manual_seed(0)
    stepwise = lm.RecurrentLM(6, "lstm", embed_size=4, hidden_size=5, dtype=torch.float64, fused=False,
                              rng=np.random.default_rng(1))
    ids = torch.tensor([[1, 2, 3, 4, 5, 0]])
    torch.testing.assert_close(fused(ids)[0], stepwise(ids)[0])


def test_log_probs_are_the_negative_cross_entropy_per_token():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "gru", embed_size=3, hidden_size=4, dtype=torch.float64, rng=np.random.default_rng(0))
    ids = STREAM[:12]
    logp = lm.log_probs(model, ids)
    logits, _ = model(torch.tensor(ids[None, :-1]))
    ce = torch.nn.functional.cross_entropy(logits[0], torch.tensor(ids[1:]), reduction="none")
    np.testing.assert_allclose(logp, -ce.detach().numpy(), rtol=1e-12)
    probs = lm.next_token_probs(model, ids)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)


def test_an_sgd_step_with_clipping_moves_the_weights_by_lr_times_max_norm():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "gru", embed_size=3, hidden_size=4, dtype=torch.float64, rng=np.random.default_rng(0))
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    history = lm.train_lm(model, STREAM, batch_size=2, seq_len=5, lr=2.0, clip=1e-3, optimizer="sgd", max_updates=1)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert len(history.step_loss) == 1 and history.grad_norm[0] > 1e-2      # the norm before clipping
    assert torch.linalg.vector_norm(after - before).item() == pytest.approx(2.0 * 1e-3, rel=1e-3)


def test_training_learns_a_deterministic_sequence():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "lstm", embed_size=4, hidden_size=16, rng=np.random.default_rng(0))
    history = lm.train_lm(model, STREAM, epochs=15, batch_size=4, seq_len=8, lr=0.05, clip=0.5)
    assert history.step_loss[-1] < 0.1 * history.step_loss[0]
    assert np.exp(-lm.log_probs(model, STREAM[:40]).mean()) < 1.5
    greedy = lm.generate(model, [0, 1, 2], 7, np.argmax)
    assert greedy.tolist() == [3, 4, 0, 1, 2, 3, 4]


def test_truncation_stops_the_gradient_at_the_chunk_but_carries_the_state():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "rnn", embed_size=3, hidden_size=4, dtype=torch.float64, rng=np.random.default_rng(0))
    seen = []
    original = model.rnn.forward

    def spy(x, hx=None, lengths=None):
        seen.append(None if hx is None else (hx.requires_grad, hx.grad_fn))
        return original(x, hx, lengths)

    model.rnn.forward = spy
    lm.train_lm(model, STREAM, epochs=1, batch_size=2, seq_len=5, lr=0.01, max_updates=3)
    assert seen[0] is None and all(s == (False, None) for s in seen[1:])   # a detached state after the first
    seen.clear()
    lm.train_lm(model, STREAM, epochs=1, batch_size=2, seq_len=5, lr=0.01, max_updates=3, carry_state=False)
    assert seen == [None, None, None]


def test_a_diverging_run_stops():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "rnn", embed_size=3, hidden_size=4, rng=np.random.default_rng(0))
    with torch.no_grad():
        model.out.weight.fill_(float("nan"))
    history = lm.train_lm(model, STREAM, epochs=3, batch_size=2, seq_len=5)
    assert len(history.step_loss) == 1 and not np.isfinite(history.step_loss[0])


def test_forget_gates_are_those_of_the_lstm_stepping_through_the_text():
    torch.manual_seed(0)
    model = lm.RecurrentLM(6, "lstm", embed_size=3, hidden_size=4, dtype=torch.float64, rng=np.random.default_rng(2))
    ids = np.array([1, 5, 2, 2, 0, 3])
    p = {k: t.detach() for k, t in model.rnn.state_dict().items()}
    cell = torch.nn.LSTMCell(3, 4, dtype=torch.float64)
    cell.load_state_dict({k[:-3]: v for k, v in p.items()})              # weight_ih_l0 -> weight_ih
    h = c = torch.zeros(1, 4, dtype=torch.float64)
    want = []
    with torch.no_grad():
        for e in model.embedding(torch.tensor(ids)):
            a = e[None] @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
            want.append(torch.sigmoid(a[0, 4:8]).numpy())                 # gate order i, f, g, o
            h, c = cell(e[None], (h, c))
    np.testing.assert_allclose(lm.forget_gates(model, ids), np.array(want), rtol=1e-12)
    with pytest.raises(ValueError, match="LSTM"):
        lm.forget_gates(lm.RecurrentLM(6, "gru", embed_size=3, hidden_size=4), ids)


def test_generating_a_batch_equals_generating_each_prompt_alone():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "gru", embed_size=3, hidden_size=4, dtype=torch.float64, rng=np.random.default_rng(0))
    prompts = np.array([[0, 1, 2], [4, 4, 3]])
    batch = lm.generate(model, prompts, 6, lambda logits: logits.argmax(axis=-1))
    assert batch.shape == (2, 6)
    for row, prompt in zip(batch, prompts):
        np.testing.assert_array_equal(row, lm.generate(model, prompt, 6, np.argmax))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_every_parameter_lives_on_the_models_device(kind, monkeypatch):
    """Embedding, recurrent layer and output layer on one device: the one given, else companion.device()
    (CUDA when present). The meta device stands in for a GPU: a layer left on the CPU would show here."""
    given = lm.RecurrentLM(11, kind, embed_size=4, hidden_size=6, rng=np.random.default_rng(0),
                                       device="meta")
    monkeypatch.setattr(lm, "default_device", lambda: torch.device("meta"))
    default = lm.RecurrentLM(11, kind, embed_size=4, hidden_size=6, rng=np.random.default_rng(0))
    for model in (given, default):
        assert {p.device.type for p in model.parameters()} == {"meta"}


def test_numpy_ids_are_moved_to_the_model_and_a_bad_kind_is_named():
    model = lm.RecurrentLM(11, "gru", embed_size=4, hidden_size=6, rng=np.random.default_rng(0),
                                       device="cpu")
    ids = np.arange(10).reshape(2, 5)
    torch.testing.assert_close(model(ids)[0], model(torch.as_tensor(ids))[0])
    with pytest.raises(ValueError, match="cell must be one of"):
        lm.RecurrentLM(11, "transformer")
