"""A small Sequential network of layers (chapter: Neurons, layers and forward propagation).

``forward`` runs the layers in order, each keeping its cache; ``backward`` runs them in reverse and
leaves every parameter's gradient in ``gradients()``. Parameter names follow ``torch.nn.Sequential``
(``"0.weight"``, ``"0.bias"``, ``"2.weight"``…), so ``state_dict()`` loads into the PyTorch twin.
"""

import numpy as np

from companion._init import init_dense
from companion._validate import check_mlp_plan, sizes_from_params
from companion.np._state import checked_state
from companion.np.activations import Activation
from companion.np.dense import Dense
from companion.np.regularization import Dropout


class Sequential:
    """Layers applied one after another: out = layer_k(… layer_1(x))."""

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def trace(self, x):
        """Every layer's output in order: [layer_1(x), layer_2(layer_1(x)), …]."""
        outputs = []
        for layer in self.layers:
            x = layer.forward(x)
            outputs.append(x)
        return outputs

    def backward(self, dout):
        """Backpropagate dL/dout through every layer; returns dL/dx."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def train(self, mode=True):
        """Switch layers that behave differently in training (dropout) on or off; returns self."""
        for layer in self.layers:
            if hasattr(layer, "training"):
                layer.training = mode
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self):
        """Parameters and buffers (batch-norm statistics) by PyTorch's names, e.g. {"0.weight": (out, in)
        array, "0.bias": (out,) array}."""
        return {f"{i}.{name}": value for i, layer in enumerate(self.layers)
                for name, value in {**layer.parameters(), **getattr(layer, "buffers", dict)()}.items()}

    def load_state_dict(self, state):
        """Copy parameters in from a dict with the same names and shapes (arrays or tensors)."""
        for key, value in checked_state(state, self.state_dict()).items():
            index, name = key.split(".", 1)
            layer = self.layers[int(index)]
            if "." in name:  # a composite layer (a residual block) loads its own sublayers
                layer.load_state_dict({name: value}, strict=False)
            else:
                setattr(layer, name, value)

    def gradients(self):
        """dL/dparameter after :meth:`backward`, under the same names as :meth:`state_dict`."""
        return {f"{i}.{name}": g for i, layer in enumerate(self.layers)
                for name, g in getattr(layer, "grads", {}).items()}

    def __repr__(self):
        inner = ",\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


def build_mlp(sizes, activations, rng=None, dtype=np.float64, dropout=0.0, init="default"):
    """A multilayer perceptron: Dense(sizes[i] -> sizes[i+1]) then activations[i], for every i.

    ``rng`` (a ``numpy.random.Generator``, or None for NumPy's global one) draws the initialization:
    ``init="default"`` is PyTorch's ``nn.Linear`` default; "xavier_uniform", "xavier_normal",
    "kaiming_uniform" or "kaiming_normal" draw the weights so (see :mod:`companion.np.init`) with zero
    biases. The PyTorch ``build_mlp`` given an equally seeded ``rng`` builds the same network.
    ``dropout`` > 0 adds a Dropout layer after every hidden layer's activation.
    """
    check_mlp_plan(sizes, activations)
    layers = []
    for i, (n_in, n_out, act) in enumerate(zip(sizes[:-1], sizes[1:], activations)):
        weight, bias = init_dense(n_in, n_out, init, rng, dtype)
        layers += [Dense(n_in, n_out, weight=weight, bias_value=bias, dtype=dtype), Activation(act)]
        if dropout and i < len(activations) - 1:
            layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


def from_weights(params, activations):
    """A network with exactly these parameters: params = [(weight (out, in), bias (out,)), …]."""
    sizes = sizes_from_params(params)
    check_mlp_plan(sizes, activations)
    layers = []
    for (weight, bias), act in zip(params, activations):
        layers += [Dense.from_arrays(weight, bias), Activation(act)]
    return Sequential(*layers)
