"""The dense layer y = x W^T + b in PyTorch, with the NumPy twin's parameter layout and checks."""

import numpy as np
import torch

from companion._init import dense_init
from companion._runtime import device as default_device
from companion._validate import check_dense_shapes, check_finite, check_rank


def dense(x, weight, bias=None):
    """y = x W^T + b. Shapes: x (..., in) with any leading dimensions; weight (out, in); bias (out,) or None."""
    check_dense_shapes(x, weight, bias)
    for name, a in (("x", x), ("weight", weight), ("bias", bias)):
        if a is not None:
            check_finite(a, name)
    return torch.nn.functional.linear(x, weight, bias)


linear = dense  # torch's name (torch.nn.functional.linear) for the same function


def as_tensor(values, dtype=None, device=None):
    """A tensor on ``device`` (default :func:`companion.device`).

    Without ``dtype``, tensors keep theirs and arrays map NumPy's dtype across (float64 stays float64).
    """
    device = default_device() if device is None else device
    if not torch.is_tensor(values):
        values = torch.from_numpy(np.array(values))
    return values.to(device=device, dtype=dtype)


class Dense(torch.nn.Module):
    """A dense layer like ``torch.nn.Linear``, initialised from a NumPy ``rng`` as the NumPy twin is.

    ``weight=``/``bias_value=`` give exact parameters instead (arrays or tensors).
    """

    def __init__(self, in_features, out_features, bias=True, *, rng=None, weight=None, bias_value=None,
                 dtype=None, device=None):
        super().__init__()
        if weight is None:
            weight, drawn_bias = dense_init(in_features, out_features, rng)
            bias_value = drawn_bias if bias_value is None else bias_value
            dtype = torch.get_default_dtype() if dtype is None else dtype
        weight = as_tensor(weight, dtype, device)
        if tuple(weight.shape) != (out_features, in_features):
            raise ValueError(f"weight must have shape ({out_features}, {in_features}), got {tuple(weight.shape)}")
        self.weight = torch.nn.Parameter(weight)
        self.bias = torch.nn.Parameter(as_tensor(bias_value, weight.dtype, weight.device)) if bias else None
        check_dense_shapes(weight.new_zeros(1, in_features), self.weight, self.bias)

    @classmethod
    def from_arrays(cls, weight, bias=None, device=None):
        """A layer with exactly these parameters (weight (out, in), bias (out,) or None)."""
        weight = as_tensor(weight, device=device)
        check_rank(weight, "weight", (2,))
        out_features, in_features = weight.shape
        return cls(in_features, out_features, bias is not None, weight=weight, bias_value=bias,
                   device=weight.device)

    @property
    def in_features(self):
        return self.weight.shape[1]

    @property
    def out_features(self):
        return self.weight.shape[0]

    def forward(self, x):
        return dense(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
