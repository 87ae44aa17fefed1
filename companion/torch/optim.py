"""Optimizers for the PyTorch side: ``torch.optim``'s own, chosen by the NumPy twin's rule names."""

import torch

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
