"""The Sequential network in PyTorch: ``torch.nn.Sequential`` plus the NumPy twin's helpers."""

import numpy as np
import torch

from companion._init import init_dense
from companion._validate import check_mlp_plan, sizes_from_params
from companion.torch.activations import Activation
from companion.torch.dense import Dense, as_tensor
from companion.torch.regularization import Dropout


class Sequential(torch.nn.Sequential):
    """``torch.nn.Sequential`` with :meth:`trace`, :meth:`gradients` and array-friendly loading."""

    def trace(self, x):
        """Every layer's output in order: [layer_1(x), layer_2(layer_1(x)), …]."""
        outputs = []
        for layer in self:
            x = layer(x)
            outputs.append(x)
        return outputs

    def gradients(self):
        """dL/dparameter after ``loss.backward()``, by the names of ``state_dict()``."""
        return {name: p.grad for name, p in self.named_parameters() if p.grad is not None}

    def load_state_dict(self, state, strict=True, assign=False):
        """Like torch's, but NumPy arrays are accepted and converted to each parameter's dtype and device."""
        own = super().state_dict()
        converted = {k: (torch.as_tensor(v, dtype=own[k].dtype, device=own[k].device) if k in own else v)
                     if isinstance(v, np.ndarray) else v for k, v in state.items()}
        return super().load_state_dict(converted, strict=strict, assign=assign)


def build_mlp(sizes, activations, rng=None, dtype=None, device=None, dropout=0.0, init="default"):
    """Dense(sizes[i] -> sizes[i+1]) then activations[i] for every i; same draws as the NumPy twin.

    ``init`` chooses the initialization as in the twin ("default" is ``nn.Linear``'s; "xavier_uniform",
    "xavier_normal", "kaiming_uniform", "kaiming_normal" with zero biases); ``dtype`` defaults to
    torch's default dtype. ``dropout`` > 0 adds a Dropout layer after every hidden layer's activation.
    """
    check_mlp_plan(sizes, activations)
    dtype = torch.get_default_dtype() if dtype is None else dtype
    layers = []
    for i, (n_in, n_out, act) in enumerate(zip(sizes[:-1], sizes[1:], activations)):
        weight, bias = init_dense(n_in, n_out, init, rng)
        layers += [Dense(n_in, n_out, weight=weight, bias_value=bias, dtype=dtype, device=device),
                   Activation(act)]
        if dropout and i < len(activations) - 1:
            layers.append(Dropout(dropout))
    return Sequential(*layers)


def from_weights(params, activations, device=None):
    """A network with exactly these parameters: params = [(weight (out, in), bias (out,)), …]."""
    sizes = sizes_from_params(params)
    check_mlp_plan(sizes, activations)
    layers = []
    for (weight, bias), act in zip(params, activations):
        layers += [Dense.from_arrays(weight, bias, device=device), Activation(act)]
    return Sequential(*layers)
