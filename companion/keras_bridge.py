"""The same network in Keras 3 on its PyTorch backend (``KERAS_BACKEND=torch``, no TensorFlow) and in
``companion.torch``: :func:`import_keras`, :func:`keras_mlp`, :func:`torch_to_keras`,
:func:`keras_to_torch`, :func:`max_weight_difference` and :func:`train_side_by_side` (plain SGD on the same
batches, from the same weights).

Keras is imported inside the functions that need it, so importing this module stays cheap;
:mod:`companion.frameworks` re-exports these names.
"""

import os
import sys

import numpy as np
import torch

from companion.torch import build_mlp

# companion.torch activation names -> Keras names (only those both have under the same formula).
_KERAS_ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "linear",
                      "softmax": "softmax", "silu": "silu"}


def import_keras():
    """``import keras`` on its PyTorch backend (sets ``KERAS_BACKEND=torch`` first if unset).

    Raises a ``RuntimeError`` if Keras was already imported with another backend (the backend is
    fixed at import time; restart the kernel and set ``KERAS_BACKEND=torch`` before importing it).
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    if keras.backend.backend() != "torch":
        raise RuntimeError(f"keras was imported with the {keras.backend.backend()!r} backend; restart "
                           "Python and set os.environ['KERAS_BACKEND'] = 'torch' before importing keras")
    return keras


def _keras_activation(name):
    if name not in _KERAS_ACTIVATIONS:
        raise ValueError(f"activation {name!r} has no Keras twin here; choose from "
                         f"{sorted(_KERAS_ACTIVATIONS)}")
    return _KERAS_ACTIVATIONS[name]


def keras_mlp(sizes, activations=None, seed=0):
    """A ``keras.Sequential`` of Dense layers sizes[0] -> sizes[1] -> ... -> sizes[-1].

    ``activations`` (one per layer) defaults to ReLU on hidden layers and a linear output (logits).
    Keras keeps each Dense ``kernel`` as (in, out), so y = x K + b; torch keeps weight as (out, in).
    """
    keras = import_keras()
    activations = _default_activations(sizes, activations)
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, activation=_keras_activation(a)) for n, a in zip(sizes[1:], activations)]
    return keras.Sequential(layers)


def _default_activations(sizes, activations):
    if len(sizes) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise ValueError(f"sizes must be at least two positive integers, got {sizes!r}")
    if activations is None:
        activations = ["relu"] * (len(sizes) - 2) + ["linear"]
    if len(activations) != len(sizes) - 1:
        raise ValueError(f"need {len(sizes) - 1} activations for sizes {list(sizes)}, got {len(activations)}")
    return list(activations)


def _dense_pairs(torch_model, keras_model):
    """(torch linear layer, Keras Dense layer) pairs, checked to have the same shapes."""
    torch_layers = [m for m in torch_model.modules() if hasattr(m, "weight") and getattr(m, "weight") is not None
                    and m.weight.dim() == 2]
    keras_layers = [layer for layer in keras_model.layers if hasattr(layer, "kernel")]
    if len(torch_layers) != len(keras_layers):
        raise ValueError(f"the torch model has {len(torch_layers)} dense layers, the Keras model {len(keras_layers)}")
    for i, (t, k) in enumerate(zip(torch_layers, keras_layers)):
        if tuple(t.weight.shape[::-1]) != tuple(k.kernel.shape):
            raise ValueError(f"layer {i}: torch weight {tuple(t.weight.shape)} does not match Keras kernel "
                             f"{tuple(k.kernel.shape)} (expected its transpose)")
    return list(zip(torch_layers, keras_layers))


def _array(variable):
    """A Keras variable as a NumPy array (on the torch backend its value is a torch Parameter)."""
    return variable.value.detach().cpu().numpy()


def torch_to_keras(torch_model, keras_model):
    """Copy every dense layer's parameters from torch to Keras: kernel = weight.T (in, out), bias = bias."""
    for t, k in _dense_pairs(torch_model, keras_model):
        k.kernel.assign(t.weight.detach().cpu().T.numpy())
        k.bias.assign(t.bias.detach().cpu().numpy())
    return keras_model


def keras_to_torch(keras_model, torch_model):
    """Copy every Dense layer's parameters from Keras to torch: weight = kernel.T (out, in), bias = bias."""
    with torch.no_grad():
        for t, k in _dense_pairs(torch_model, keras_model):
            t.weight.copy_(torch.as_tensor(_array(k.kernel).T, dtype=t.weight.dtype))
            t.bias.copy_(torch.as_tensor(_array(k.bias), dtype=t.bias.dtype))
    return torch_model


def max_weight_difference(torch_model, keras_model):
    """max |torch weight - Keras kernel^T| and |bias difference| over every dense layer."""
    gaps = []
    for t, k in _dense_pairs(torch_model, keras_model):
        gaps.append(np.abs(t.weight.detach().cpu().numpy() - _array(k.kernel).T).max())
        gaps.append(np.abs(t.bias.detach().cpu().numpy() - _array(k.bias)).max())
    return float(max(gaps))


def train_side_by_side(x, y, sizes, activations=None, epochs=5, batch_size=32, lr=0.1, seed=0):
    """Train the same MLP in ``companion.torch`` and in Keras with plain SGD on the same batches.

    The torch network is built (float32, on the CPU) and its weights copied into the Keras one, so both
    start equal; both then take the batches x[i:i+batch_size] in order (no shuffling) for ``epochs``
    epochs, minimizing the mean cross-entropy of the logits against integer labels ``y``.

    Shapes: x (n, sizes[0]), y (n,) integers in [0, sizes[-1]).
    Returns a dict: ``torch_loss`` and ``keras_loss`` (one loss per step, before that step's update),
    ``max_weight_difference`` at the end, ``torch_model``, ``keras_model``.
    """
    keras = import_keras()
    activations = _default_activations(sizes, activations)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != sizes[0]:
        raise ValueError(f"x must have shape (n, {sizes[0]}), got {x.shape}")
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},), got {y.shape}")
    torch_model = build_mlp(sizes, activations, rng=np.random.default_rng(seed), dtype=torch.float32, device="cpu")
    keras_model = torch_to_keras(torch_model, keras_mlp(sizes, activations, seed=seed))
    keras_model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr),
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    optimizer = torch.optim.SGD(torch_model.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    torch_loss, keras_loss = [], []
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            batch = slice(start, start + batch_size)
            loss = torch.nn.functional.cross_entropy(torch_model(xt[batch]), yt[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            torch_loss.append(loss.item())
            keras_loss.append(float(keras_model.train_on_batch(x[batch], y[batch])))
    return {"torch_loss": np.array(torch_loss), "keras_loss": np.array(keras_loss),
            "max_weight_difference": max_weight_difference(torch_model, keras_model),
            "torch_model": torch_model, "keras_model": keras_model}
