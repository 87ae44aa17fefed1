"""companion's GPT (decoder-only transformer) in both backends: the torch model equal to one built from torch.nn
layers, values and gradients in float64; the NumPy model equal to the torch model with copied weights (logits
and every parameter's gradient); tied weights; the causal property; generation (greedy, seeded, cropped to
max_len); the parameter count of companion.counting.transformer_counts; the training path of
companion.language_model (schedule, validation record, time budget); errors."""

import numpy as np
import pytest
import torch

from companion import language_model as lm
from companion import torch as ct
from companion.counting import transformer_counts
from companion.torch.gpt import GPT

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
