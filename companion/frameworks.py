"""PyTorch as practitioners write it, and the same network in Keras 3.

* :func:`seeded_loader`: a ``DataLoader`` whose batch order and worker random states repeat from a seed
  (a ``torch.Generator`` for the order, ``worker_init_fn`` seeding NumPy and ``random`` in each worker).
* :func:`autocast_step` / :func:`train_mixed_precision`: mixed precision with ``torch.autocast``
  (bfloat16 on the CPU; float16 plus a ``torch.amp.GradScaler`` on CUDA).
* :func:`keras_mlp`, :func:`torch_to_keras`, :func:`keras_to_torch`, :func:`train_side_by_side`: the
  same MLP in Keras 3 on its PyTorch backend and in ``companion.torch`` (in :mod:`companion.keras_bridge`,
  re-exported here).
* :func:`framework_table`: how TensorFlow/Keras, PyTorch and JAX differ, for a reader choosing one.

Keras is imported only inside companion.keras_bridge's functions, so ``import companion.frameworks`` stays cheap.
"""

import random
from collections import namedtuple

import numpy as np
import torch

# the Keras half lives in companion.keras_bridge; its names stay importable from here
from companion.keras_bridge import (  # noqa: F401
    import_keras, keras_mlp, keras_to_torch, max_weight_difference, torch_to_keras, train_side_by_side)


# ---------------------------------------------------------------------------------------------------
# Reproducible loading
# ---------------------------------------------------------------------------------------------------

def seed_worker(worker_id):
    """``worker_init_fn``: seed NumPy and ``random`` in a DataLoader worker from torch's per-worker seed.

    torch gives each worker the seed ``base_seed + worker_id`` (``base_seed`` drawn from the loader's
    generator). The worker loop also seeds ``random`` with it, and since PyTorch 1.9 NumPy's global
    generator from ``(base_seed, worker_id)``; before, a forked worker's NumPy started from the parent's
    state, so every worker drew the same "random" numbers. This function is the recipe of PyTorch's
    reproducibility notes: harmless on recent versions, needed on old ones, and the place to seed any
    other library a dataset draws from.
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


class NoisyDigits(torch.utils.data.Dataset):
    """A map-style ``Dataset``: image i of ``X`` (float32, flattened) plus Gaussian noise of standard
    deviation ``noise`` drawn from NumPy's global generator, and its label. ``len`` and ``[i]`` are all a
    DataLoader needs; the noise makes the workers' random states visible.

    Shapes: X (n, features), y (n,); item i is (x (features,) float32 tensor, label int64 tensor).
    """

    def __init__(self, X, y, noise=0.0):
        self.X = np.asarray(X, dtype=np.float32).reshape(len(X), -1)
        self.y = np.asarray(y, dtype=np.int64)
        if self.y.shape != (len(self.X),):
            raise ValueError(f"y must have shape ({len(self.X)},), got {self.y.shape}")
        if noise < 0:
            raise ValueError(f"noise must be non-negative, got {noise!r}")
        self.noise = float(noise)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i] + self.noise * np.random.standard_normal(self.X.shape[1]).astype(np.float32)
        return torch.from_numpy(x), torch.tensor(self.y[i])


def worker_noise(dataset, seed, batch_size=100, num_workers=2):
    """The noise a :class:`NoisyDigits` ``dataset`` added to each example as a :func:`seeded_loader` with
    ``num_workers`` worker processes delivered it: (loaded example - clean example), shape (n, features),
    in the loader's order.

    Which clean example each row is comes from a second, worker-free loader over the indices with the
    same ``seed``: the order is drawn from the loader's generator, not in the workers, so it is the same
    with or without them. With ``num_workers=k`` the batches are made round-robin: worker 0 makes
    batches 0, k, 2k, ..., worker 1 makes batches 1, k + 1, ...
    """
    loader = seeded_loader(dataset, batch_size, seed, num_workers=num_workers)
    order = seeded_loader(torch.utils.data.TensorDataset(torch.arange(len(dataset))), batch_size, seed)
    loaded = torch.cat([x for x, _ in loader])
    return loaded - torch.from_numpy(dataset.X)[torch.cat([i for (i,) in order])]


class DigitsNet(torch.nn.Module):
    """An MLP written the way PyTorch code usually is: layers made in ``__init__`` (registered as
    submodules, so ``parameters()``, ``state_dict()`` and ``.to(device)`` find them), the computation in
    ``forward``. Shapes: x (batch, n_in) -> logits (batch, n_out)."""

    def __init__(self, n_in=64, hidden=32, n_out=10, dropout=0.0):
        super().__init__()
        self.hidden = torch.nn.Linear(n_in, hidden)
        self.dropout = torch.nn.Dropout(dropout)
        self.out = torch.nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.out(self.dropout(torch.relu(self.hidden(x))))


def train_epochs(model, optimizer, loader, epochs, device="cpu"):
    """The usual loop: for each batch, forward, cross-entropy, ``zero_grad``, ``backward``, ``step``.
    Returns the loss of every step (Python floats)."""
    model.train()
    losses = []
    for _ in range(epochs):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def _resume_run(dataset, seed, batch_size, dropout):
    """A fresh (model, optimizer, loader, generator); the global generators seeded with ``seed`` too."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = DigitsNet(dataset.X.shape[1], 32, int(dataset.y.max()) + 1, dropout=dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loader = seeded_loader(dataset, batch_size, seed)
    return model, optimizer, loader, loader.generator


def resume_experiment(dataset, path, epochs=4, split=2, batch_size=32, dropout=0.2, seed=0):
    """Train ``epochs`` epochs straight, and again stopping after ``split`` epochs, saving a checkpoint,
    loading it into a freshly made model, optimizer and loader (made from another seed, so that only the
    checkpoint can make them agree) and training the remaining epochs. Three random sources are live:
    the loader's shuffling generator, dropout (torch's global generator) and the dataset's noise (NumPy's).

    Returns a dict: ``resumed_difference``, the largest |difference| between the two runs' final weights
    (0.0 when resuming is exact); ``without_generator_difference``, the same when the checkpoint leaves out
    the loader's generator; ``keys``, the top-level keys of the checkpoint file; ``path``.
    """
    from companion.checkpoint import load_checkpoint, save_checkpoint

    if not 0 < split < epochs:
        raise ValueError(f"split must be between 0 and epochs={epochs} exclusive, got {split!r}")

    def final_weights(generators):
        model, optimizer, loader, generator = _resume_run(dataset, seed, batch_size, dropout)
        train_epochs(model, optimizer, loader, split)
        save_checkpoint(path, model, optimizer, epoch=split,
                        generators={"loader": generator} if generators else None)
        model, optimizer, loader, generator = _resume_run(dataset, seed + 1, batch_size, dropout)
        info = load_checkpoint(path, model, optimizer, generators={"loader": generator} if generators else None)
        train_epochs(model, optimizer, loader, epochs - info["epoch"])
        return model.state_dict()

    model, optimizer, loader, _ = _resume_run(dataset, seed, batch_size, dropout)
    train_epochs(model, optimizer, loader, epochs)
    straight = model.state_dict()

    def gap(other):
        return float(max((straight[k] - other[k]).abs().max().item() for k in straight))

    without = gap(final_weights(generators=False))
    resumed = gap(final_weights(generators=True))
    keys = sorted(torch.load(path, weights_only=True))
    return {"resumed_difference": resumed, "without_generator_difference": without, "keys": keys, "path": path}


class LoadSideEffect:
    """An object whose pickle calls a function while it is loaded: ``__reduce__`` tells pickle to rebuild it
    by calling ``print(message)``. Harmless here; a real attack names ``os.system`` instead."""

    def __init__(self, message="this ran while the checkpoint was loading"):
        self.message = message

    def __reduce__(self):
        return (print, (self.message,))


def weights_only_demo(path):
    """Save a state dict with a :class:`LoadSideEffect` hidden in it to ``path``, then load it both ways.

    Returns a dict: ``refused`` (the exception type name raised by ``torch.load(weights_only=True)``, or
    None if it loaded), ``refusal`` (the sentence of its message naming the refused global), ``ran`` (what
    ``weights_only=False`` put in the object's place: ``print``'s None, so the call happened) and
    ``printed`` (what the call printed).
    """
    import contextlib
    import io

    torch.save({"weight": torch.zeros(2), "surprise": LoadSideEffect()}, path)
    refused = refusal = None
    try:
        torch.load(path, weights_only=True)
    except Exception as error:  # torch raises pickle.UnpicklingError, naming the refused global
        lines = [line.strip() for line in str(error).splitlines() if "Unsupported global" in line]
        refused, refusal = type(error).__name__, (lines[0].split(". ")[0] + ".") if lines else str(error)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        loaded = torch.load(path, weights_only=False)
    return {"refused": refused, "refusal": refusal, "ran": loaded["surprise"], "printed": printed.getvalue().strip()}


def compile_matches_eager(model, x, backend="inductor"):
    """``torch.compile(model, backend=backend)`` run on ``x`` next to ``model(x)``: returns
    (compiled output, eager output, largest |difference|). The first call compiles; later calls with the
    same shapes reuse the compiled code."""
    compiled = torch.compile(model, backend=backend)
    with torch.no_grad():
        out = compiled(x)
        ref = model(x)
    return out, ref, float((out - ref).abs().max().item())


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
# Choosing a framework
# ---------------------------------------------------------------------------------------------------

FRAMEWORKS = ("TensorFlow/Keras", "PyTorch", "JAX")

_TABLE = (
    ("Execution model",
     "Eager by default since TensorFlow 2; tf.function traces Python into a graph; Keras 3 trains on "
     "a TensorFlow, JAX or PyTorch backend",
     "Eager (define-by-run); torch.compile captures graphs when asked",
     "Eager NumPy-like calls; jax.jit traces pure functions and compiles them with XLA"),
    ("Automatic differentiation",
     "tf.GradientTape records operations; Keras's fit() hides it",
     "autograd: a tape built as the code runs, loss.backward() fills .grad",
     "Function transformations: jax.grad(f) returns the gradient function; jax.vmap vectorizes, jax.jit "
     "compiles"),
    ("State",
     "Variables inside layers and models (objects)",
     "Parameters inside nn.Module objects; optimizers update them in place",
     "Transformed functions must be pure: parameters are explicit arrays (pytrees) passed in and returned; "
     "Flax's Linen API keeps them apart from the module, its newer NNX API stores them in Python objects"),
    ("Deployment paths",
     "SavedModel, TensorFlow Serving, TensorFlow Lite (LiteRT) for mobile, TensorFlow.js",
     "torch.export, ONNX (torch.onnx), ExecuTorch for mobile and edge devices",
     "jax.export (StableHLO), or conversion to TensorFlow (jax2tf)"),
    ("Ecosystem",
     "Keras, TFX pipelines, TensorFlow Datasets, TensorFlow Hub / Kaggle Models",
     "torchvision, Hugging Face transformers, PyTorch Lightning, PyTorch Geometric",
     "Flax, Optax, Orbax; XLA compiles the same code for CPUs, GPUs and TPUs"),
)


def framework_table():
    """Rows of (aspect, TensorFlow/Keras, PyTorch, JAX), for a reader choosing a framework."""
    return [dict(zip(("aspect",) + FRAMEWORKS, row)) for row in _TABLE]
