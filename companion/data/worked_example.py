"""The forward-pass worked example of the chapter *Neurons, layers and forward propagation*.

Two inputs, two hidden ReLU neurons, one sigmoid output. Parameters are named as in the chapter:
w1 (x1 -> h1), w2 (x1 -> h2), w3 (x2 -> h1), w4 (x2 -> h2), biases b1, b2; output weights w5 (h1),
w6 (h2) and bias b3.
"""

import numpy as np

from companion.np.network import from_weights

DEFAULTS = {"x1": 0.5, "x2": 0.8, "w1": 0.4, "w2": -0.3, "w3": 0.6, "w4": 0.9, "b1": 0.1, "b2": -0.2,
            "w5": 0.7, "w6": 0.5, "b3": 0.05}
ACTIVATIONS = ("relu", "sigmoid")


def parameters(**overrides):
    """The example's numbers, with any of them replaced: ``parameters(w5=0.2)``."""
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown worked-example parameter(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    return {**DEFAULTS, **overrides}


def layer_arrays(p):
    """[(hidden weight (2, 2), hidden bias (2,)), (output weight (1, 2), output bias (1,))] in PyTorch layout."""
    hidden = (np.array([[p["w1"], p["w3"]], [p["w2"], p["w4"]]]), np.array([p["b1"], p["b2"]]))
    output = (np.array([[p["w5"], p["w6"]]]), np.array([p["b3"]]))
    return [hidden, output]


def inputs(p):
    """x (2,)."""
    return np.array([p["x1"], p["x2"]])


def forward_steps(**overrides):
    """Every intermediate value of the forward pass, computed by the NumPy reference network.

    Returns {"z1", "z2", "h1", "h2", "z_out", "output"} as floats.
    """
    p = parameters(**overrides)
    z_hidden, h, z_out, out = from_weights(layer_arrays(p), ACTIVATIONS).trace(inputs(p))
    return {"z1": float(z_hidden[0]), "z2": float(z_hidden[1]), "h1": float(h[0]), "h2": float(h[1]),
            "z_out": float(z_out[0]), "output": float(out[0])}
