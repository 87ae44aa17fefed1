"""Training diagnostics (chapter: Training and evaluation): how far one update moves each parameter."""

import numpy as np

from companion._validate import check_same_shape
from companion.np.losses import softmax_cross_entropy_grad


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
