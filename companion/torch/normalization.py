"""Batch normalization in PyTorch: ``torch.nn.BatchNorm1d`` under the NumPy twin's name."""

import torch

from companion._runtime import device as default_device


class BatchNorm1d(torch.nn.BatchNorm1d):
    """``torch.nn.BatchNorm1d`` placed on :func:`companion.device` unless told otherwise."""

    def __init__(self, num_features, momentum=0.1, eps=1e-5, dtype=None, device=None):
        super().__init__(num_features, eps=eps, momentum=momentum, dtype=dtype,
                         device=default_device() if device is None else device)
