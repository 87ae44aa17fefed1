"""PyTorch as practitioners write it, and the same network in Keras 3.

* :func:`seeded_loader`: a ``DataLoader`` whose batch order and worker random states repeat from a seed
  (a ``torch.Generator`` for the order, ``worker_init_fn`` seeding NumPy and ``random`` in each worker).
* :func:`autocast_step` / :func:`train_mixed_precision`: mixed precision with ``torch.autocast``
  (bfloat16 on the CPU; float16 plus a ``torch.amp.GradScaler`` on CUDA).
* :func:`keras_mlp`, :func:`torch_to_keras`, :func:`keras_to_torch`, :func:`train_side_by_side`: the
  same MLP in Keras 3 on its PyTorch backend (``KERAS_BACKEND=torch``, no TensorFlow) and in
  ``companion.torch``, trained with plain SGD on the same batches.
* :func:`framework_table`: how TensorFlow/Keras, PyTorch and JAX differ, for a reader choosing one.

Keras is imported inside the functions that need it, so ``import companion.frameworks`` stays cheap.
"""

import os
import random
import sys
from collections import namedtuple

import numpy as np
import torch

from companion.torch import build_mlp

# companion.torch activation names -> Keras names (only those both have under the same formula).
_KERAS_ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "linear",
                      "softmax": "softmax", "silu": "silu"}


# ---------------------------------------------------------------------------------------------------
# Reproducible loading
# ---------------------------------------------------------------------------------------------------

def seed_worker(worker_id):
    """``worker_init_fn``: seed NumPy and ``random`` in a DataLoader worker from torch's per-worker seed.

    torch gives each worker the seed ``base_seed + worker_id`` (``base_seed`` drawn from the loader's
    generator), but NumPy and ``random`` would otherwise start from the state the worker inherited.
    """
    seed = torch.initial_seed() % 2 ** 32
    np.random.seed(seed)
    random.seed(seed)


def seeded_loader(dataset, batch_size, seed, num_workers=0, shuffle=True, **kwargs):
    """A ``torch.utils.data.DataLoader`` whose batches repeat from ``seed``.

    The order comes from a ``torch.Generator`` seeded with ``seed`` (each epoch draws the next
    permutation from it, so epochs differ but runs repeat); with ``num_workers > 0`` each worker's
    NumPy and ``random`` states are seeded by :func:`seed_worker`. With ``num_workers=0`` the dataset runs
    in the main process and draws from the global generators (seed those with ``companion.seed``); the
    order still comes from ``seed``. Other keyword arguments go to
    ``DataLoader`` (``drop_last``, ``collate_fn``, ...).
    """
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(num_workers, (int, np.integer)) or isinstance(num_workers, bool) or num_workers < 0:
        raise ValueError(f"num_workers must be a non-negative integer, got {num_workers!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return torch.utils.data.DataLoader(dataset, batch_size=int(batch_size), shuffle=shuffle,
                                       num_workers=int(num_workers), worker_init_fn=seed_worker,
                                       generator=generator, **kwargs)


# ---------------------------------------------------------------------------------------------------
# Mixed precision
# ---------------------------------------------------------------------------------------------------

def autocast_dtype(device):
    """The dtype autocast computes in: bfloat16 on the CPU, float16 on CUDA."""
    kind = torch.device(device).type
    if kind == "cpu":
        return torch.bfloat16
    if kind == "cuda":
        return torch.float16
    raise ValueError(f"mixed precision here supports 'cpu' and 'cuda' devices, got {kind!r}")


StepResult = namedtuple("StepResult", ["loss", "output_dtype", "loss_dtype"])


def autocast_step(model, x, y, optimizer, loss_fn=torch.nn.functional.cross_entropy, scaler=None):
    """One training step with the forward pass under ``torch.autocast``; returns a :class:`StepResult`.

    The device is the one ``x`` is on. Inside the autocast region matrix products run in
    :func:`autocast_dtype` (the parameters, the "master weights", stay float32); the backward pass and
    the update happen outside it. On CUDA pass a ``torch.amp.GradScaler("cuda")``: float16 gradients
    underflow, so the loss is scaled up before ``backward`` and the gradients scaled down before the step.

    Shapes: x (batch, ...), y whatever ``loss_fn(output, y)`` takes. Returns (loss as a Python float,
    dtype of the model's output inside the region, dtype of the loss). On the CPU the output (logits) is
    bfloat16, while autocast's op list runs losses such as ``cross_entropy`` and ``mse_loss`` in float32.
    """
    device_type = x.device.type
    with torch.autocast(device_type=device_type, dtype=autocast_dtype(device_type)):
        out = model(x)
        loss = loss_fn(out, y)
    optimizer.zero_grad()
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return StepResult(loss.item(), out.dtype, loss.dtype)


def train_mixed_precision(model, loader, epochs=1, lr=0.1, device=None,
                          loss_fn=torch.nn.functional.cross_entropy):
    """Train ``model`` with plain SGD and :func:`autocast_step`; returns the loss of every step.

    ``device`` defaults to where the model's parameters are. On CUDA a ``torch.amp.GradScaler`` is made
    and used (this branch is not exercised by the tests, which run on the CPU).
    """
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    device = next(model.parameters()).device if device is None else torch.device(device)
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cuda") if device.type == "cuda" else None
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            step = autocast_step(model, x.to(device), y.to(device), optimizer, loss_fn, scaler)
            losses.append(step.loss)
    return losses


# ---------------------------------------------------------------------------------------------------
# Keras 3 on its PyTorch backend
# ---------------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------------
# Choosing a framework
# ---------------------------------------------------------------------------------------------------

FRAMEWORKS = ("TensorFlow/Keras", "PyTorch", "JAX")

_TABLE = (
    ("Execution model",
     "Eager by default since TensorFlow 2; tf.function traces Python into a graph; Keras 3 runs on "
     "TensorFlow, JAX or PyTorch",
     "Eager (define-by-run); torch.compile captures graphs when asked",
     "Eager NumPy-like calls; jax.jit traces pure functions and compiles them with XLA"),
    ("Automatic differentiation",
     "tf.GradientTape records operations; Keras's fit() hides it",
     "autograd: a tape built as the code runs, loss.backward() fills .grad",
     "Function transformations: jax.grad(f) returns the gradient function; also vmap, jit, pmap"),
    ("State",
     "Variables inside layers and models (objects)",
     "Parameters inside nn.Module objects; optimizers update them in place",
     "Pure functions: parameters are explicit arrays (pytrees) passed in and returned (Flax, Optax)"),
    ("Deployment paths",
     "SavedModel, TensorFlow Serving, TensorFlow Lite (LiteRT) for mobile, TensorFlow.js",
     "torch.export, ONNX (torch.onnx), ExecuTorch for mobile and edge devices",
     "jax.export (StableHLO), or conversion to TensorFlow (jax2tf)"),
    ("Ecosystem",
     "Keras, TFX pipelines, TensorFlow Datasets, TensorFlow Hub / Kaggle Models",
     "torchvision, torchaudio, Hugging Face transformers, PyTorch Lightning, PyTorch Geometric",
     "Flax, Optax, Orbax; XLA compiles the same code for CPUs, GPUs and TPUs"),
)


def framework_table():
    """Rows of (aspect, TensorFlow/Keras, PyTorch, JAX), for a reader choosing a framework."""
    return [dict(zip(("aspect",) + FRAMEWORKS, row)) for row in _TABLE]
