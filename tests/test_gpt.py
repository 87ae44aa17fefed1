"""companion's GPT (decoder-only transformer) in both backends: the torch model equal to one built from torch.nn
layers, values and gradients in float64; the NumPy model equal to the torch model with copied weights (logits
and every parameter's gradient); tied weights; the causal property; generation (greedy, seeded, cropped to
max_len); the parameter count of companion.counting.transformer_counts; the training path of
companion.language_model (schedule, validation record, time budget); errors."""

import numpy as np
import pytest
import torch

from companion import language_model as lm
from companion import np as cnp
from companion import torch as ct
from companion.counting import transformer_counts
from companion.torch.gpt import GPT
from tests.finite_differences import entrywise_rel_error, numerical_gradient

V, D, LAYERS, HEADS, FF, MAX_LEN = 11, 8, 2, 2, 12, 6


class Reference(torch.nn.Module):
    """The same model from torch.nn's own layers: nn.Embedding tables, nn.TransformerEncoderLayer blocks run with
    a causal mask, nn.LayerNorm, an nn.Linear head (its weight the token table when tied)."""

    def __init__(self, tied=True, dropout=0.0):
        super().__init__()
        kw = dict(dtype=torch.float64)
        self.tok_emb = torch.nn.Embedding(V, D, **kw)
        self.pos_emb = torch.nn.Embedding(MAX_LEN, D, **kw)
        self.blocks = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout, activation="gelu", batch_first=True,
                                             norm_first=True, **kw) for _ in range(LAYERS))
        self.norm = torch.nn.LayerNorm(D, **kw)
        self.head = torch.nn.Linear(D, V, bias=False, **kw)
        if tied:
            self.head.weight = self.tok_emb.weight

    def forward(self, ids):
        T = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb(torch.arange(T))
        mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.norm(h))


def torch_gpt(tied=True, seed=0, **options):
    sizes = dict(d_model=D, n_layers=LAYERS, n_heads=HEADS, d_ff=FF, max_len=MAX_LEN, tied=tied)
    return GPT(V, **{**sizes, **options}, rng=np.random.default_rng(seed), dtype=torch.float64, device="cpu")


def ids_batch(N=3, T=MAX_LEN, seed=1):
    return torch.as_tensor(np.random.default_rng(seed).integers(0, V, (N, T)))


def grads(model):
    return {name: p.grad.clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("T", [1, 4, MAX_LEN])
def test_torch_gpt_equals_a_model_built_from_torch_nn_layers(tied, T):
    model, ref = torch_gpt(tied), Reference(tied)
    ref.load_state_dict(model.state_dict())          # same names both ways
    model.load_state_dict(ref.state_dict())
    ids = ids_batch(T=T)
    out, expected = model(ids), ref(ids)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    weights = torch.as_tensor(np.random.default_rng(2).standard_normal(out.shape))
    (out * weights).sum().backward()
    (expected * weights).sum().backward()
    mine, theirs = grads(model), grads(ref)
    assert mine.keys() == theirs.keys() and len(mine) == 2 + 12 * LAYERS + 2 + (0 if tied else 1)
    for name in mine:
        torch.testing.assert_close(mine[name], theirs[name], rtol=1e-10, atol=1e-12, msg=name)


def test_the_blocks_are_companions_layers_and_fused_ones_are_torch_nns_with_the_same_parameters():
    model, fused = torch_gpt(), torch_gpt(fused=True)                    # the same rng: the same draws
    assert all(type(b) is ct.TransformerEncoderLayer for b in model.blocks)
    assert all(type(b) is torch.nn.TransformerEncoderLayer for b in fused.blocks)
    for (name, p), (other, q) in zip(model.state_dict().items(), fused.state_dict().items()):
        assert name == other and torch.equal(p, q)
    ids = ids_batch()
    out, expected = model(ids), fused(ids)
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    out.square().sum().backward()
    expected.square().sum().backward()
    for name, g in grads(model).items():
        torch.testing.assert_close(g, grads(fused)[name], rtol=1e-10, atol=1e-12, msg=name)
    model.eval(), fused.eval()
    with torch.no_grad():                              # where torch.nn's layer may take its fast path
        torch.testing.assert_close(model(ids), fused(ids), rtol=1e-12, atol=1e-12)


def test_a_tied_head_shares_the_token_table_and_its_gradient_sums_both_uses():
    model = torch_gpt(tied=True)
    assert model.head.weight is model.tok_emb.weight
    assert "head.weight" in model.state_dict() and "head.weight" not in dict(model.named_parameters())
    untied = torch_gpt(tied=False)
    untied.load_state_dict({**model.state_dict(), "head.weight": model.tok_emb.weight.detach().clone()})
    ids = ids_batch()
    model(ids).square().sum().backward()
    untied(ids).square().sum().backward()
    lookup, head = untied.tok_emb.weight.grad, untied.head.weight.grad
    assert lookup.abs().sum() > 0 and head.abs().sum() > 0                      # both uses carry a gradient
    torch.testing.assert_close(model.tok_emb.weight.grad, lookup + head, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("sizes", [dict(), dict(d_model=12, n_layers=3, n_heads=3, d_ff=None, max_len=9)])
def test_the_parameter_count_is_transformer_counts(tied, sizes):
    model = torch_gpt(tied, **sizes)
    counts = transformer_counts(V, model.d_model, model.n_layers, model.n_heads, model.d_ff, model.max_len, tied)
    assert sum(p.numel() for p in model.parameters()) == counts.params
    assert model.d_ff == sizes.get("d_ff", FF) or (sizes["d_ff"] is None and model.d_ff == 4 * model.d_model)


def test_logits_at_t_do_not_depend_on_tokens_after_t():
    model = torch_gpt()
    ids = ids_batch(N=2)
    base = model(ids).detach()
    for t in range(MAX_LEN - 1):
        changed = ids.clone()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1 + torch.arange(MAX_LEN - t - 1)) % V
        out = model(changed).detach()
        torch.testing.assert_close(out[:, :t + 1], base[:, :t + 1], rtol=1e-12, atol=1e-12)
        assert (out[:, t + 1:] - base[:, t + 1:]).abs().max() > 1e-6            # the later ones do change


def test_greedy_generation_is_deterministic_and_picks_the_argmax():
    model = torch_gpt(dropout=0.5)                    # dropout in training mode would make it random
    prompt = ids_batch(N=2, T=3)
    first = model.generate(prompt, 5, temperature=0)
    assert model.training                             # the mode found is restored
    assert torch.equal(first, model.generate(prompt, 5, temperature=0))
    assert first.shape == (2, 8) and torch.equal(first[:, :3], prompt)
    model.eval()
    for t in range(3, 8):                             # each new token is the argmax given the ones before
        context = first[:, max(0, t - MAX_LEN):t]
        assert torch.equal(first[:, t], model(context)[:, -1].argmax(-1))


def test_sampling_repeats_with_a_seeded_generator_and_top_k_one_is_greedy():
    model = torch_gpt()
    prompt = ids_batch(N=4, T=2)
    draw = [model.generate(prompt, 6, temperature=1.5, generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert torch.equal(draw[0], draw[1])
    other = model.generate(prompt, 6, temperature=1.5, generator=torch.Generator().manual_seed(8))
    assert not torch.equal(draw[0], other)
    torch.testing.assert_close(model.generate(prompt, 6, top_k=1), model.generate(prompt, 6, temperature=0))
    one = model.generate(prompt[0], 3, temperature=0)                           # a 1-D prompt gives 1-D
    assert one.shape == (5,) and torch.equal(one, model.generate(prompt[:1], 3, temperature=0)[0])


def test_generation_crops_the_context_to_max_len():
    model = torch_gpt()
    long = ids_batch(N=2, T=MAX_LEN + 4)
    out = model.generate(long, 5, temperature=0)
    assert out.shape == (2, MAX_LEN + 9)
    cropped = model.generate(long[:, -MAX_LEN:], 5, temperature=0)             # only the last max_len count
    assert torch.equal(out[:, -5:], cropped[:, -5:])
    assert model.generate(long, 0).shape == long.shape


@pytest.mark.parametrize("build, match", [
    (lambda: torch_gpt(n_heads=3), "n_heads"),
    (lambda: torch_gpt(max_len=0), "max_len"),
    (lambda: torch_gpt(dropout=1.0), "dropout"),
    (lambda: torch_gpt(d_ff=0), "d_ff"),
    (lambda: GPT(0), "vocab_size"),
])
def test_bad_sizes_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("ids, match", [
    (torch.zeros(3, dtype=torch.long), "shape"),
    (torch.zeros(1, MAX_LEN + 1, dtype=torch.long), "max_len"),
    (torch.full((1, 2), V), "token ids"),
    (torch.full((1, 2), -1), "token ids"),
])
def test_bad_ids_are_named(ids, match):
    with pytest.raises(ValueError, match=match):
        torch_gpt()(ids)
    with pytest.raises(ValueError, match="max_new_tokens"):
        torch_gpt().generate(ids_batch(T=2), -1)


STREAM = np.tile(np.arange(5), 80)               # 0 1 2 3 4 0 1 …: the next token is determined


def test_train_lm_trains_a_gpt_with_a_warm_up_and_cosine_schedule_and_records_validation():
    torch.manual_seed(0)
    model = GPT(5, d_model=16, n_layers=1, n_heads=2, max_len=8, rng=np.random.default_rng(0), device="cpu")
    schedule = lm.warmup_cosine(5, 40)
    history = lm.train_lm(model, STREAM, epochs=20, batch_size=4, seq_len=8, lr=0.03, schedule=schedule,
                          valid_ids=STREAM[:100], eval_every=10, max_updates=40)
    assert len(history.step_loss) == 40
    np.testing.assert_allclose(history.lr, [schedule.lr(0.03, t) for t in range(40)])
    assert history.lr[0] == pytest.approx(3e-4) and max(history.lr) == pytest.approx(0.03)
    updates = [u for _, u, _ in history.valid]
    assert updates == [0, 10, 20, 30, 40]
    seconds = [s for s, _, _ in history.valid]
    assert seconds == sorted(seconds) and seconds[-1] <= history.seconds
    assert history.valid[0][2] > 1.0 and history.valid[-1][2] < 0.1            # log 5 ≈ 1.6 at the start


def test_the_same_loop_still_trains_the_recurrent_model_and_scores_it_per_epoch():
    torch.manual_seed(0)
    model = lm.RecurrentLM(5, "lstm", embed_size=4, hidden_size=16, rng=np.random.default_rng(0), device="cpu")
    history = lm.train_lm(model, STREAM, epochs=3, batch_size=4, seq_len=8, lr=0.05, valid_ids=STREAM[:100],
                          schedule=lm.warmup_cosine(0, 40))
    assert [u for _, u, _ in history.valid] == [0, 12, 24, 36]              # 399 // 4 // 8 per epoch
    assert history.lr[0] == 0.05 and history.lr[-1] < history.lr[0]
    assert history.valid[-1][2] < history.valid[0][2]


def test_a_gpts_next_token_probabilities_are_its_softmax():
    model = torch_gpt()
    ids = ids_batch(N=1, T=MAX_LEN + 1).numpy()[0]
    probs = lm.next_token_probs(model, ids)
    expected = torch.softmax(model(torch.as_tensor(ids[None, :-1]))[0].double(), -1).detach().numpy()
    np.testing.assert_allclose(probs, expected, rtol=1e-12)
    assert model.training is False                                           # next_token_probs leaves eval on


def test_evaluate_lm_is_the_mean_cross_entropy_of_fresh_windows():
    model = torch_gpt()
    stream = np.random.default_rng(3).integers(0, V, 40)
    loss = lm.evaluate_lm(model, stream, seq_len=5, batch_size=3)              # 7 windows, in 3 batches
    x = torch.as_tensor(stream[:35].reshape(7, 5))
    y = torch.as_tensor(stream[1:36].reshape(7, 5))
    expected = torch.nn.functional.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    assert model.training                                                       # the mode found is restored


def test_a_time_budget_ends_training_and_a_bad_optimizer_is_named():
    model = GPT(5, d_model=8, n_layers=1, n_heads=2, max_len=8, rng=np.random.default_rng(0), device="cpu")
    history = lm.train_lm(model, STREAM, epochs=50, batch_size=4, seq_len=8, max_seconds=0.0)
    assert len(history.step_loss) == 1
    with pytest.raises(ValueError, match="optimizer"):
        lm.train_lm(model, STREAM, optimizer="rmsprop")
    with pytest.raises(ValueError, match="warmup"):
        lm.warmup_cosine(10, 10)


# -- the NumPy GPT: forward and backward by hand, equal to the torch model --------------------------------------

def numpy_gpt(tied=True, seed=0, **options):
    sizes = dict(d_model=D, n_layers=LAYERS, n_heads=HEADS, d_ff=FF, max_len=MAX_LEN, tied=tied)
    return cnp.GPT(V, **{**sizes, **options}, rng=np.random.default_rng(seed))


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("N, T", [(3, MAX_LEN), (1, 1), (2, 4)])
def test_numpy_gpt_equals_the_torch_gpt_logits_and_every_gradient(tied, N, T):
    mine, twin = numpy_gpt(tied, seed=5), torch_gpt(tied, seed=9)           # different draws, then copied
    twin.load_state_dict({k: torch.as_tensor(v) for k, v in mine.state_dict().items()})
    ids = ids_batch(N, T, seed=T).numpy()
    logits, expected = mine(ids), twin(torch.as_tensor(ids))
    np.testing.assert_allclose(logits, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    dlogits = np.random.default_rng(2).standard_normal(logits.shape)
    assert mine.backward(dlogits) is None
    (expected * torch.as_tensor(dlogits)).sum().backward()
    theirs = grads(twin)
    assert list(mine.grads) == list(theirs) == list(mine.parameters())
    for name, g in theirs.items():
        np.testing.assert_allclose(mine.grads[name], g.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_both_backends_draw_the_same_initial_parameters_from_equal_generators():
    mine, twin = numpy_gpt(seed=3), torch_gpt(seed=3)
    assert list(mine.state_dict()) == list(twin.state_dict())
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(mine.state_dict()[name], value.numpy(), err_msg=name)
    assert mine.tok_emb.weight.std() == pytest.approx(0.02, rel=0.3)         # GPT-2's N(0, 0.02^2) tables


def test_state_dicts_copy_both_ways_and_a_tied_head_stays_tied():
    mine, twin = numpy_gpt(seed=1), torch_gpt(seed=2)
    mine.load_state_dict(twin.state_dict())                                  # tensors in
    assert mine.head.weight is mine.tok_emb.weight
    np.testing.assert_array_equal(mine.tok_emb.weight, twin.tok_emb.weight.detach().numpy())
    back = torch_gpt(seed=4)
    back.load_state_dict({k: torch.as_tensor(v) for k, v in mine.state_dict().items()})   # arrays out
    ids = ids_batch()
    np.testing.assert_allclose(mine(ids.numpy()), back(ids).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="missing"):
        mine.load_state_dict({k: v for k, v in mine.state_dict().items() if k != "norm.bias"})


def test_numpy_gradients_match_finite_differences():
    model = cnp.GPT(5, d_model=4, n_layers=1, n_heads=2, d_ff=6, max_len=3, tied=True,
                    rng=np.random.default_rng(0))
    ids = np.array([[1, 4, 2], [0, 3, 3]])
    weights = np.random.default_rng(1).standard_normal((2, 3, 5))
    model.forward(ids)
    model.backward(weights)
    for name, value in model.parameters().items():
        numeric = numerical_gradient(lambda: float((model.forward(ids) * weights).sum()), value)
        # the key bias has zero gradient (softmax ignores a shift shared by a row), where differences leave 1e-11
        assert np.all(np.abs(model.grads[name] - numeric) <= 1e-6 * np.abs(numeric) + 1e-9), name
        big = np.abs(numeric) > 1e-6
        assert entrywise_rel_error(model.grads[name][big], numeric[big]) < 1e-6, name


def test_numpy_logits_at_t_do_not_depend_on_tokens_after_t():
    model = numpy_gpt()
    ids = ids_batch(N=2).numpy()
    base = model(ids)
    for t in range(MAX_LEN - 1):
        changed = ids.copy()
        changed[:, t + 1:] = (changed[:, t + 1:] + 1) % V
        out = model(changed)
        np.testing.assert_allclose(out[:, :t + 1], base[:, :t + 1], rtol=1e-12, atol=1e-14)
        assert np.abs(out[:, t + 1:] - base[:, t + 1:]).max() > 1e-6


def test_numpy_generation_is_greedy_like_the_torch_twin_and_repeats_with_a_seeded_rng():
    mine = numpy_gpt(dropout=0.3)
    twin = torch_gpt(dropout=0.3)
    prompt = ids_batch(N=2, T=MAX_LEN + 2)                                   # longer than max_len: cropped
    greedy = mine.generate(prompt.numpy(), 5, temperature=0)
    assert mine.training and greedy.shape == (2, MAX_LEN + 7)
    np.testing.assert_array_equal(greedy, twin.generate(prompt, 5, temperature=0).numpy())
    draws = [mine.generate(prompt.numpy(), 6, temperature=1.2, top_k=4, rng=np.random.default_rng(11))
             for _ in range(2)]
    np.testing.assert_array_equal(draws[0], draws[1])
    one = mine.generate(prompt[0, :3].numpy(), 2, temperature=0)
    np.testing.assert_array_equal(one, mine.generate(prompt[:1, :3].numpy(), 2, temperature=0)[0])


def test_numpy_dropout_acts_in_training_mode_only():
    model = numpy_gpt(dropout=0.5)
    ids = ids_batch().numpy()
    assert np.abs(model(ids) - model(ids)).max() > 1e-6                      # fresh masks each call
    model.eval()
    np.testing.assert_array_equal(model(ids), model(ids))
    model.train()
    assert all(block.training for block in model.blocks)


def test_numpy_errors_are_named():
    model = numpy_gpt()
    with pytest.raises(ValueError, match="max_len"):
        model(np.zeros((1, MAX_LEN + 1), dtype=int))
    with pytest.raises(ValueError, match="token ids"):
        model(np.full((1, 2), V))
    with pytest.raises(ValueError, match="integers"):
        model(np.zeros((1, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        numpy_gpt().backward(np.zeros((1, 1, V)))
    with pytest.raises(ValueError, match="n_heads"):
        numpy_gpt(n_heads=3)


def test_float32_stays_float32_and_agrees_with_the_torch_twin():
    mine = numpy_gpt(dtype=np.float32)
    twin = GPT(V, D, LAYERS, HEADS, FF, MAX_LEN, rng=np.random.default_rng(0), dtype=torch.float32, device="cpu")
    ids = ids_batch()
    logits, expected = mine(ids.numpy()), twin(ids)
    assert logits.dtype == np.float32
    np.testing.assert_allclose(logits, expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    dlogits = np.random.default_rng(2).standard_normal(logits.shape).astype(np.float32)
    mine.backward(dlogits)
    (expected * torch.as_tensor(dlogits)).sum().backward()
    for name, g in grads(twin).items():
        assert mine.grads[name].dtype == np.float32, name
        np.testing.assert_allclose(mine.grads[name], g.numpy(), rtol=1e-3, atol=1e-4, err_msg=name)
