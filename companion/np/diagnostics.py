"""Training diagnostics (chapter: Training and evaluation): how far one update moves each parameter."""

import numpy as np

from companion._validate import check_same_shape
from companion.np.losses import softmax_cross_entropy_grad
from companion.np.normalization import LayerNorm
from companion.np.transformer import TransformerEncoderLayer


def update_ratios(before, after):
    """{name: ||after[name] - before[name]|| / ||before[name]||} for every parameter named in ``before``.

    before, after: name -> array, e.g. copies of ``state_dict()`` taken around one optimizer step;
    ``after`` may hold more names. The norms are Euclidean over all entries (Frobenius for a matrix).
    Karpathy's rule of thumb (CS231n notes) puts a healthy ratio for weights near 1e-3: far smaller and
    learning crawls, far larger and it is likely unstable. A parameter whose norm is 0 gives inf (nan
    if it did not move either).
    """
    missing = [name for name in before if name not in after]
    if missing:
        raise ValueError(f"after lacks the parameter(s) {missing} that before holds")
    ratios = {}
    for name, old in before.items():
        old, new = np.asarray(old, dtype=float), np.asarray(after[name], dtype=float)
        check_same_shape(old, new, f"before[{name!r}]", f"after[{name!r}]")
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero norm gives inf or nan, as in torch
            ratios[name] = float(np.linalg.norm(new - old) / np.linalg.norm(old))
    return ratios


def layer_gradient_norms(net, X, y):
    """{name: ||dL/dW||} for every weight matrix or kernel (2-D or more) of ``net``, in forward order.

    L is the mean softmax cross-entropy of the logits ``net(X)`` (N, C) against class labels ``y`` (N,),
    computed in training mode (batch norm uses the batch's statistics and updates its running ones); no
    weight changes. Names as in ``net.state_dict()`` ("0.weight", "3.conv1.weight", ...). A network whose
    first layers' norms are orders of magnitude below its last layers' has vanishing gradients.
    """
    net.train()
    net.backward(softmax_cross_entropy_grad(net.forward(np.asarray(X)), np.asarray(y)))
    return {name: float(np.linalg.norm(g)) for name, g in net.gradients().items() if g.ndim >= 2}


def _check_depth(n_layers):
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 1:
        raise ValueError(f"n_layers must be a positive integer, got {n_layers!r}")


def last_block_gradient(norm_first, n_layers, d_model=32, nhead=4, batch=4, seq_len=16, rng=0):
    """||dL/d linear2.weight|| of the last block of a freshly drawn transformer stack (Xiong et al., 2020).

    ``n_layers`` TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0, batch_first=True,
    norm_first=norm_first), followed by a final LayerNorm when ``norm_first`` (pre-norm, as GPT-2), run on an
    input x of shape (batch, seq_len, d_model) with entries from N(0, 1); the loss is mean((out - target)^2)
    for a target from N(0, 1). ``rng`` (a seed or ``numpy.random.Generator``) draws the layers in order, then
    x, then the target, so the torch twin given the same seed computes the same number. Xiong et al.'s
    Theorem 1: at initialization this norm does not depend on ``n_layers`` for post-norm, and shrinks like
    1/sqrt(n_layers) for pre-norm.
    """
    _check_depth(n_layers)
    rng = np.random.default_rng(rng)
    blocks = [TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0, batch_first=True,
                                      norm_first=norm_first, rng=rng) for _ in range(n_layers)]
    final = LayerNorm(d_model) if norm_first else None
    h = rng.standard_normal((batch, seq_len, d_model))
    target = rng.standard_normal(h.shape)
    for block in blocks:
        h = block.forward(h)
    out = final.forward(h) if final is not None else h
    dout = 2 * (out - target) / out.size                       # d mean((out - target)^2) / d out
    if final is not None:
        dout = final.backward(dout)
    for block in reversed(blocks):
        dout = block.backward(dout)
    return float(np.linalg.norm(blocks[-1].grads["linear2.weight"]))
