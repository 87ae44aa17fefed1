"""Exercises of the page *Transformers*."""

import numpy as np

from companion.counting import transformer_counts
from companion.exercises.core import Exercise, register
from companion.np.normalization import layer_norm


def _train_flops(vocab, d_model, n_layers, d_ff, seq_len):
    return transformer_counts(vocab, d_model, n_layers, 1, d_ff, seq_len).train_flops_per_token


def _size_cases(rng):
    yield 56, 64, 2, 256, 32          # the page's GPT
    yield 50257, 768, 12, 3072, 1024  # GPT-2's smallest
    for _ in range(10):
        yield (int(rng.integers(2, 500)), int(rng.integers(1, 100)), int(rng.integers(1, 6)),
               int(rng.integers(1, 400)), int(rng.integers(1, 300)))


register(Exercise(
    id="transformers.train_flops_per_token",
    prompt="Write train_flops_per_token(vocab, d_model, n_layers, d_ff, seq_len): the FLOPs of one training step "
           "per token of a GPT (tied output layer, learned positions), counting matrix products only: each weight "
           "used in a product costs 2 FLOPs per token in the forward pass (per block 4 d^2 attention weights and "
           "2 d d_ff feed-forward weights, plus the output layer's vocab d), attention's scores and weighted sum "
           "cost 2 seq_len d each per block and token, and training costs three forward passes.",
    reference=_train_flops, cases=_size_cases, arg_names=("vocab", "d_model", "n_layers", "d_ff", "seq_len"),
))


def _pre_norm_residual(x, weight, gamma, beta):
    return x + layer_norm(x, (x.shape[-1],), gamma, beta) @ weight.T


def _residual_cases(rng):
    for _ in range(12):
        t, d = int(rng.integers(1, 6)), int(rng.integers(2, 9))
        yield (rng.normal(2.0, 3.0, size=(t, d)), rng.normal(size=(d, d)), rng.uniform(0.5, 2.0, size=d),
               rng.normal(size=d))


register(Exercise(
    id="transformers.pre_norm_residual",
    prompt="Write pre_norm_residual(x, weight, gamma, beta) for x of shape (T, d): one pre-norm residual branch "
           "whose sub-layer is the linear map v -> weight @ v, that is x + LN(x) weight^T, where LN normalizes "
           "each row of x by its own mean and variance (the biased one, over the d features, with eps = 1e-5 "
           "added to the variance) and then multiplies by gamma and adds beta, per feature.",
    reference=_pre_norm_residual, cases=_residual_cases, arg_names=("x", "weight", "gamma", "beta"),
))


def _block_parameters(d_model, d_ff):
    attention = 4 * d_model * d_model + 4 * d_model        # in_proj (3d, d) + 3d biases, out_proj (d, d) + d
    feed_forward = 2 * d_model * d_ff + d_ff + d_model
    return attention + feed_forward + 4 * d_model          # two layer norms, a scale and a shift each


def _width_cases(rng):
    yield 512, 2048
    yield 64, 256
    for _ in range(10):
        yield int(rng.integers(1, 300)), int(rng.integers(1, 1200))


register(Exercise(
    id="transformers.block_parameters",
    prompt="Write block_parameters(d_model, d_ff): the number of parameters of torch.nn.TransformerEncoderLayer"
           "(d_model, nhead, d_ff) with biases: self-attention's query, key, value and output projections with "
           "their biases, the feed-forward block's two linear layers with biases, and two layer norms.",
    reference=_block_parameters, cases=_width_cases, arg_names=("d_model", "d_ff"),
))
