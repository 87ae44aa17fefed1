"""Regularization in PyTorch: dropout and the L1/L2 penalties, with the NumPy twin's names."""

import torch

from companion._validate import check_threshold


class Dropout(torch.nn.Dropout):
    """``torch.nn.Dropout`` (inverted dropout; identity in eval mode), with the NumPy twin's checks."""

    def __init__(self, p=0.5):
        if not 0 <= p < 1:
            raise ValueError(f"the dropout rate must lie in [0, 1), got {p}")
        super().__init__(p)


def penalty(weights, kind, rate):
    """rate * sum|w| (L1) or rate/2 * sum w^2 (L2), differentiable by autograd."""
    if kind == "l1":
        return rate * sum(w.abs().sum() for w in weights)
    if kind == "l2":
        return rate / 2 * sum((w * w).sum() for w in weights)
    raise ValueError(f"unknown regularization {kind!r}; choose 'l1' or 'l2'")


def soft_threshold(w, threshold=0.5):
    """sign(w) * max(|w| - threshold, 0), elementwise: the proximal operator of threshold * ||w||_1.

    Written with torch operations so that autograd gives the gradient (1 where |w| > threshold, else
    0, as ``torch.nn.functional.softshrink`` does); the tests hold it to softshrink and to the NumPy twin.
    """
    check_threshold(threshold)
    return torch.where(w.abs() > threshold, w - threshold * torch.sign(w), w * 0)  # w * 0 keeps NaN
