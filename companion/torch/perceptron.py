"""Rosenblatt's perceptron in PyTorch tensors, the same rule and record as the NumPy twin."""

import torch


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
    b = torch.as_tensor(b, dtype=X.dtype, device=X.device)
    record = {"errors": [], "updates": 0, "converged": False, "boundaries": [(w.clone(), float(b))]}
    for _ in range(epochs):
        mistakes = 0
        for x, target in zip(X, t):
            error = int(target) - int(x @ w + b > 0)
            if error:
                w, b = w + lr * error * x, b + lr * error
                mistakes += 1
                record["boundaries"].append((w.clone(), float(b)))
        record["errors"].append(mistakes)
        record["updates"] += mistakes
        if mistakes == 0:
            record["converged"] = True
            break
    return w, b, record
