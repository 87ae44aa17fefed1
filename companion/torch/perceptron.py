"""Rosenblatt's perceptron in PyTorch tensors, the same rule and record as the NumPy twin."""

import torch

from companion._rules import perceptron_epochs, perceptron_error, perceptron_update  # noqa: F401  (public here)


def perceptron_predict(X, w, b):
    """0/1 predictions for X (N, d) with weights w (d,) and bias b."""
    return (X @ w + b > 0).long()


def perceptron_train(X, t, epochs=20, lr=1.0, w=None, b=0.0):
    """See :func:`companion.np.perceptron.perceptron_train`; X and t are tensors."""
    if X.ndim != 2 or len(X) != len(t):
        raise ValueError(f"X must be (N, d) with one label per row; got X {tuple(X.shape)} and t {tuple(t.shape)}")
    if not set(torch.unique(t).tolist()) <= {0, 1}:
        raise ValueError(f"perceptron labels must be 0 or 1, got {sorted(set(torch.unique(t).tolist()))}")
    w = torch.zeros(X.shape[1], dtype=X.dtype, device=X.device) if w is None else w.clone()
    return perceptron_epochs(X, t, w, torch.as_tensor(b, dtype=X.dtype, device=X.device), epochs, lr,
                             copy=torch.clone)
