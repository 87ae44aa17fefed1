"""Hebbian learning in PyTorch tensors: the NumPy twin's rules and names."""

import torch


def hebb_update(w, x, lr=0.01):
    """One step of Hebb's rule for y = w . x: w + lr * y * x."""
    y = w @ x
    return w + lr * y * x


def oja_update(w, x, lr=0.01):
    """One step of Oja's rule: w + lr * y * (x - y * w)."""
    y = w @ x
    return w + lr * y * (x - y * w)


def run_rule(rule, w, X, lr=0.01, epochs=1):
    """Weights after every step of ``rule`` ("hebb" or "oja") over the rows of X; (epochs * N + 1, d)."""
    update = {"hebb": hebb_update, "oja": oja_update}.get(rule)
    if update is None:
        raise ValueError(f"unknown rule {rule!r}; choose 'hebb' or 'oja'")
    history = [w.clone()]
    for _ in range(epochs):
        for x in X:
            history.append(update(history[-1], x, lr))
    return torch.stack(history)


def associative_store(keys, values):
    """W = sum_i value_i key_i^T, from keys (P, d_in) and values (P, d_out)."""
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} keys but {len(values)} values")
    return values.T @ keys


def associative_recall(W, key):
    return W @ key
