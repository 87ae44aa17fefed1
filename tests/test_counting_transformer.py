"""transformer_counts against a decoder-only model built from torch.nn layers: its parameters (every option),
the FLOPs torch.utils.flop_counter.FlopCounterMode counts in its forward and backward passes, the bytes of
its weights, gradients and Adam's state after a step; GPT-2 small's published size; errors."""

import itertools

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from companion.counting import TransformerCounts, transformer_counts


class TinyGPT(torch.nn.Module):
    """Token (+ learned position) embeddings, pre-norm causal blocks from nn.TransformerEncoderLayer, a final
    norm, a head tied to the token table or not: the model transformer_counts describes."""

    def __init__(self, vocab, d_model, n_layers, n_heads, d_ff, seq_len, tied=True, bias=True, positions="learned",
                 final_norm=True, dtype=torch.float64):
        super().__init__()
        kw = dict(dtype=dtype)
        self.tokens = torch.nn.Embedding(vocab, d_model, **kw)
        self.positions = torch.nn.Embedding(seq_len, d_model, **kw) if positions == "learned" else None
        self.blocks = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0.0, activation="gelu", batch_first=True,
                                             norm_first=True, bias=bias, **kw) for _ in range(n_layers))
        self.norm = torch.nn.LayerNorm(d_model, bias=bias, **kw) if final_norm else torch.nn.Identity()
        self.head = torch.nn.Linear(d_model, vocab, bias=False, **kw)
        if tied:
            self.head.weight = self.tokens.weight

    def forward(self, ids):
        h = self.tokens(ids)
        if self.positions is not None:
            h = h + self.positions(torch.arange(ids.shape[1]))
        mask = torch.nn.Transformer.generate_square_subsequent_mask(ids.shape[1], dtype=h.dtype)
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.norm(h))


SIZES = dict(vocab=11, d_model=8, n_layers=2, n_heads=2, d_ff=12, seq_len=5)
OPTIONS = list(itertools.product([True, False], [True, False], ["learned", "sinusoidal", "rotary", "none"],
                                 [True, False]))


@pytest.mark.parametrize("tied, bias, positions, final_norm", OPTIONS)
def test_parameters_match_the_torch_model(tied, bias, positions, final_norm):
    options = dict(tied=tied, bias=bias, positions=positions, final_norm=final_norm)
    model = TinyGPT(**SIZES, **options)
    counts = transformer_counts(**SIZES, **options)
    assert counts.params == sum(p.numel() for p in model.parameters())  # a tied weight is listed once
    table = model.tokens.weight.numel() + (0 if model.positions is None else model.positions.weight.numel())
    assert counts.embedding_params == table and counts.non_embedding_params == counts.params - table
    matmul = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear)) + sum(
        m.in_proj_weight.numel() for m in model.modules() if isinstance(m, torch.nn.MultiheadAttention))
    assert counts.matmul_params == matmul  # out_proj is an nn.Linear; the fused in_proj is not


@pytest.mark.parametrize("sizes", [SIZES, dict(vocab=7, d_model=12, n_layers=3, n_heads=3, d_ff=20, seq_len=9),
                                   dict(vocab=30, d_model=4, n_layers=1, n_heads=1, d_ff=4, seq_len=16)])
@pytest.mark.parametrize("tied", [True, False])
def test_flops_match_flop_counter_mode_forward_and_training(sizes, tied):
    model = TinyGPT(**sizes, tied=tied)
    counts = transformer_counts(**sizes, tied=tied)
    ids = torch.randint(0, sizes["vocab"], (3, sizes["seq_len"]))
    tokens = ids.numel()
    # the math backend spells attention out as two batched products, which FlopCounterMode counts; in torch
    # 2.13 the CPU's fused attention kernel has no FLOP formula there and counts as zero (and in eval mode
    # under no_grad, TransformerEncoderLayer's fused fast path hides the whole block). Training mode here.
    with sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as forward:
            model(ids)
        with FlopCounterMode(display=False) as training:
            model(ids).square().sum().backward()
    assert forward.get_total_flops() == tokens * counts.forward_flops_per_token
    assert training.get_total_flops() == tokens * counts.train_flops_per_token


@pytest.mark.parametrize("dtype, name", [(torch.float64, "float64"), (torch.float32, torch.float32),
                                         (torch.float32, np.float32)])
def test_bytes_of_weights_gradients_and_adam_state(dtype, name):
    model = TinyGPT(**SIZES, tied=False, dtype=dtype)
    counts = transformer_counts(**SIZES, tied=False, dtype=name)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randint(0, SIZES["vocab"], (2, SIZES["seq_len"]))).sum().backward()
    optimizer.step()
    nbytes = lambda tensors: sum(t.numel() * t.element_size() for t in tensors)  # noqa: E731
    assert counts.weight_bytes == nbytes(model.parameters())
    assert counts.grad_bytes == nbytes(p.grad for p in model.parameters())
    moments = [s[key] for s in optimizer.state.values() for key in ("exp_avg", "exp_avg_sq")]
    assert counts.adam_bytes == nbytes(moments)
    assert counts.training_bytes == counts.weight_bytes + counts.grad_bytes + counts.adam_bytes


def test_bfloat16_and_float16_take_two_bytes():
    base = transformer_counts(**SIZES)
    for name in ("bfloat16", torch.bfloat16, "float16", np.float16):
        assert transformer_counts(**SIZES, dtype=name).weight_bytes * 2 == base.weight_bytes


def test_gpt2_small_has_its_published_size():
    """GPT-2 small (Radford et al. 2019): vocabulary 50257, 12 layers of width 768, 12 heads, d_ff 3072,
    1024 positions, tied head; Hugging Face's GPT2LMHeadModel for "gpt2" has 124,439,808 parameters."""
    counts = transformer_counts(50257, 768, 12, 12, 3072, 1024)
    assert counts.params == 124_439_808
    assert counts.approx_train_flops_per_token == 6 * (counts.params - (50257 + 1024) * 768)
    # the rule of thumb leaves out the head's product and attention's context terms: it undercounts
    assert counts.approx_train_flops_per_token < counts.train_flops_per_token


def test_heads_change_no_count():
    one, many = (transformer_counts(**{**SIZES, "n_heads": h}) for h in (1, 8))
    assert one == many and isinstance(one, TransformerCounts)


@pytest.mark.parametrize("change, message", [
    (dict(n_heads=3), "divisible by n_heads"), (dict(vocab=0), "vocab"), (dict(d_ff=2.5), "d_ff"),
    (dict(seq_len=True), "seq_len"), (dict(positions="alibi"), "unknown positions"),
    (dict(dtype="int8"), "dtype must be one of")])
def test_bad_arguments(change, message):
    with pytest.raises(ValueError, match=message):
        transformer_counts(**{**SIZES, **change})
