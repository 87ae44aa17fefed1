"""Checks and initial values shared by the NumPy and PyTorch GPT (companion.np.gpt, companion.torch.gpt)."""

import numpy as np

from companion._validate import check_positive_int

EMBEDDING_STD = 0.02  # GPT-2's initialization of the token and position tables (Radford et al. 2019; nanoGPT)


def check_gpt_args(vocab_size, d_model, n_layers, n_heads, d_ff, max_len, dropout):
    """The sizes as ints (d_ff defaulting to 4 d_model); a ValueError naming the first bad one."""
    for value, name in ((vocab_size, "vocab_size"), (d_model, "d_model"), (n_layers, "n_layers"),
                        (n_heads, "n_heads"), (max_len, "max_len")):
        check_positive_int(value, name)
    if d_model % n_heads:
        raise ValueError(f"n_heads ({n_heads}) must divide d_model ({d_model}): each head gets d_model / n_heads "
                         "features")
    d_ff = 4 * d_model if d_ff is None else d_ff
    check_positive_int(d_ff, "d_ff")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
    return d_ff


def embedding_tables(vocab_size, d_model, max_len, rng=None):
    """(token table (V, D), position table (max_len, D)), float64, N(0, 0.02^2) entries drawn from ``rng``
    (NumPy's global generator when None), tokens first: both backends start from the same numbers."""
    draw = np.random.standard_normal if rng is None else rng.standard_normal
    return EMBEDDING_STD * draw((vocab_size, d_model)), EMBEDDING_STD * draw((max_len, d_model))


def check_ids(shape, ndim, vocab_size, max_len, low, high):
    """ids must be (N, T) integers in [0, vocab_size) with 1 <= T <= max_len (low/high: their min and max)."""
    if ndim != 2:
        raise ValueError(f"ids must be a (N, T) batch of token indices, got shape {tuple(shape)}")
    if not 1 <= shape[1] <= max_len:
        raise ValueError(f"ids has {shape[1]} positions; the model has learned positions for 1 to max_len = "
                         f"{max_len} (generate crops the context to the last max_len tokens)")
    if shape[0] and (low < 0 or high >= vocab_size):
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got values from {low} to {high}")


def check_generate_args(max_new_tokens):
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")


def causal_float_mask(T, dtype=np.float64):
    """(T, T) additive mask: 0 where query i may read key j <= i, -inf above the diagonal (torch's
    nn.Transformer.generate_square_subsequent_mask)."""
    return np.triu(np.full((T, T), -np.inf, dtype=dtype), k=1)
