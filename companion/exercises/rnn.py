"""Exercises of the chapter *Recurrent neural networks*: the references are the package's cells, so they
do not share the reader's formulas."""

import numpy as np

from companion.exercises.core import Exercise, register
from companion.ngram import perplexity
from companion.np.recurrent import lstm_cell, rnn_cell_backward, rnn_cell_forward


def _step_args(rng, gates=1):
    n, i, h = (int(v) for v in rng.integers(1, 6, size=3))
    return (rng.normal(size=(n, i)), rng.normal(size=(n, h)), rng.normal(size=(gates * h, i)) * 0.7,
            rng.normal(size=(gates * h, h)) * 0.7)


def _rnn_step_cases(rng):
    yield np.ones((1, 1)), np.zeros((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.zeros(1)  # tanh(1)
    for _ in range(24):
        x, h, w_ih, w_hh = _step_args(rng)
        yield x, h, w_ih, w_hh, rng.normal(size=len(w_hh))


register(Exercise(
    id="rnn.rnn_step",
    prompt="Write rnn_step(x, h, weight_ih, weight_hh, bias): h' = tanh(x W_ih^T + h W_hh^T + b) for x (N, I), "
           "h (N, H), weight_ih (H, I), weight_hh (H, H), bias (H,).",
    reference=lambda x, h, w_ih, w_hh, b: rnn_cell_forward(x, h, w_ih, w_hh, b, np.zeros_like(b))[0],
    cases=_rnn_step_cases, arg_names=("x", "h", "weight_ih", "weight_hh", "bias"),
))


def _rnn_step_backward(dh_new, x, h, weight_ih, weight_hh, h_new):
    # the step's bias is not an argument: recover it from h_new (the same in every row), so that the package's
    # cell recomputes exactly the given h_new
    bias = (np.arctanh(h_new) - x @ weight_ih.T - h @ weight_hh.T).mean(axis=0)
    _, cache = rnn_cell_forward(x, h, weight_ih, weight_hh, bias, np.zeros_like(bias))
    dx, dh, dw_ih, dw_hh, db, _ = rnn_cell_backward(dh_new, cache)
    return dx, dh, dw_ih, dw_hh, db


def _rnn_backward_cases(rng):
    for _ in range(25):
        x, h, w_ih, w_hh = _step_args(rng)
        # a nonzero bias: an answer that recomputes tanh(x W_ih^T + h W_hh^T) instead of using h_new fails
        h_new = np.tanh(x @ w_ih.T + h @ w_hh.T + rng.normal(size=len(w_hh)))
        yield rng.normal(size=h.shape), x, h, w_ih, w_hh, h_new


register(Exercise(
    id="rnn.rnn_step_backward",
    prompt="Write rnn_step_backward(dh_new, x, h, weight_ih, weight_hh, h_new) for the step "
           "h_new = tanh(x W_ih^T + h W_hh^T + b): given dL/dh_new (N, H), return (dx, dh, dweight_ih, "
           "dweight_hh, dbias), the gradients of L with respect to x (N, I), h (N, H), weight_ih (H, I), "
           "weight_hh (H, H) and bias (H,).",
    reference=_rnn_step_backward, cases=_rnn_backward_cases,
    arg_names=("dh_new", "x", "h", "weight_ih", "weight_hh", "h_new"),
))


def _lstm_step_cases(rng):
    for _ in range(25):
        x, h, w_ih, w_hh = _step_args(rng, gates=4)
        yield x, h, rng.normal(size=h.shape), w_ih, w_hh, rng.normal(size=len(w_hh))


register(Exercise(
    id="rnn.lstm_step",
    prompt="Write lstm_step(x, h, c, weight_ih, weight_hh, bias) returning (h_new, c_new): with "
           "a = x W_ih^T + h W_hh^T + bias split into four blocks of H columns (gates i, f, g, o, PyTorch's "
           "order), i, f, o = sigmoid of their blocks, g = tanh of its block, c_new = f * c + i * g and "
           "h_new = o * tanh(c_new). Shapes: x (N, I), h and c (N, H), weight_ih (4H, I), weight_hh (4H, H), "
           "bias (4H,).",
    reference=lambda x, h, c, w_ih, w_hh, b: tuple(lstm_cell(x, (h, c), w_ih, w_hh, b, np.zeros_like(b))),
    cases=_lstm_step_cases, arg_names=("x", "h", "c", "weight_ih", "weight_hh", "bias"),
))


def _perplexity_cases(rng):
    yield (np.full(7, -np.log(50.0)),)                    # uniform over 50 tokens: perplexity 50
    yield (np.zeros(3),)                                  # certain and right: perplexity 1
    for _ in range(23):
        yield (np.log(rng.uniform(0.01, 1.0, size=int(rng.integers(1, 40)))),)


register(Exercise(
    id="rnn.perplexity",
    prompt="Write perplexity(log_probs): exp of the mean negative log-likelihood, for a 1-D array of the "
           "natural-log probabilities a model gave each token of a held-out text.",
    reference=perplexity, cases=_perplexity_cases, arg_names=("log_probs",),
))
