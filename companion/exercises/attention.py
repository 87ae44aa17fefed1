"""Exercises of the chapter *Attention*: the references are the package's functions."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.np.attention import causal_mask, masked_softmax, scaled_dot_product_attention


def _masked_softmax_cases(rng):
    yield np.array([[1.0, 2.0, 3.0]]), np.array([[True, True, False]])    # the masked score is the largest
    yield np.array([[1.0, 2.0]]), np.array([[False, False]])               # nothing takes part: zeros
    for _ in range(23):
        rows, cols = (int(v) for v in rng.integers(1, 7, size=2))
        scores = rng.normal(size=(rows, cols)) * 4 + 800 * rng.integers(0, 2)  # sometimes large: e^800 overflows
        yield scores, rng.random((rows, cols)) < 0.7


register(Exercise(
    id="attention.masked_softmax",
    prompt="Write masked_softmax(scores, mask) for scores (L, S) and a boolean mask (L, S), True where a key "
           "takes part: the softmax of each row over its allowed entries, 0 where the mask is False, and a "
           "row of zeros where nothing is allowed. Subtract each row's largest allowed score first: some "
           "scores are large.",
    reference=masked_softmax, cases=_masked_softmax_cases, arg_names=("scores", "mask"),
    errstate={"over": "raise", "invalid": "raise"},
))


def _head_cases(rng):
    for _ in range(25):
        L, D, d_k, d_v = (int(v) for v in rng.integers(1, 7, size=4))
        yield (rng.normal(size=(L, D)), rng.normal(size=(d_k, D)), rng.normal(size=(d_k, D)),
               rng.normal(size=(d_v, D)))


def _head(x, w_q, w_k, w_v):
    return scaled_dot_product_attention(x @ w_q.T, x @ w_k.T, x @ w_v.T)


register(Exercise(
    id="attention.attention_head",
    prompt="Write attention_head(x, w_q, w_k, w_v), one head of self-attention over x (L, D): queries "
           "Q = x w_q^T, keys K = x w_k^T, values V = x w_v^T, with w_q and w_k (d_k, D) and w_v (d_v, D); "
           "return softmax(Q K^T / sqrt(d_k)) V, shape (L, d_v), the softmax over each row.",
    reference=_head, cases=_head_cases, arg_names=("x", "w_q", "w_k", "w_v"),
))


def _causal_cases(rng):
    yield 3, 3
    yield 2, 4                                          # more keys than queries
    yield 4, 2
    for _ in range(10):
        yield int(rng.integers(1, 8)), int(rng.integers(1, 8))


register(Exercise(
    id="attention.causal_mask",
    prompt="Write causal_mask(L, S), a boolean array (L, S), True where query i may attend to key j: "
           "j <= i (aligned at the top left, as torch's is_causal is, also when L != S).",
    reference=causal_mask, cases=_causal_cases, arg_names=("L", "S"),
))
