"""Optimizers for the PyTorch side: ``torch.optim``'s own, chosen by the NumPy twin's rule names."""

import numpy as np
import torch

from companion.torch.clip import clip_grad_norm_

_CLASSES = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
            "adamw": torch.optim.AdamW}
RULES = tuple(_CLASSES)


def Optimizer(rule, params, **hyper):  # noqa: N802  (mirrors companion.np.optim.Optimizer)
    """``torch.optim.<rule>`` over ``params``, with the same hyperparameter names as the NumPy rules."""
    if rule not in _CLASSES:
        raise ValueError(f"unknown optimizer {rule!r}; choose one of {sorted(_CLASSES)}")
    if "lr" in hyper and not hyper["lr"] > 0:
        raise ValueError(f"the learning rate must be positive, got {hyper['lr']}")
    return _CLASSES[rule](params, **hyper)


def adam_epochs(model, n, batch_loss, epochs, batch_size, lr, seed=0, clip=None):
    """Train ``model`` with Adam for ``epochs`` passes over ``n`` examples; returns each epoch's mean loss.

    Each epoch visits the examples in a fresh order from ``np.random.default_rng(seed)``, in batches of
    ``batch_size`` index tensors; ``batch_loss(idx)`` returns that batch's mean loss (a scalar tensor).
    ``clip`` clips the gradients' total norm before each step. The model is in training mode during the
    epochs and in eval mode after them.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    model.train()
    for _ in range(epochs):
        order = torch.as_tensor(rng.permutation(n))
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss = batch_loss(idx)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / n)
    model.eval()
    return losses
