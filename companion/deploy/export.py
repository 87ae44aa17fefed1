"""A trained model out of eager PyTorch: a ``torch.export`` program, and an ONNX file run by onnxruntime.

Both paths trace the model once on an example input and keep the graph of tensor operations (no Python
left, so no TorchScript): :func:`export_program` returns torch's ``ExportedProgram``; :func:`export_onnx`
translates the same graph to ONNX (``torch.onnx.export(dynamo=True)``, through onnxscript) and writes it
atomically; :func:`onnx_session` and :func:`run_onnx` run the file with onnxruntime on the CPU.

The batch dimension stays symbolic by default (``dynamic_batch=True``), so one file serves batch 1 and
batch 37 alike. A traced graph keeps no Python checks (the package's layers skip their finiteness check
while being traced), so :func:`run_onnx` checks its input's shape, dtype and values itself.
"""

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from companion._validate import check_finite
from companion.checkpoint import atomic_path

MAX_BATCH = 4096  # the largest batch an exported graph promises to accept (torch.export needs a bound)

# onnxruntime's names for input element types -> NumPy's
_ORT_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
               "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_}


def _check_example(model, example):
    """The example as a tensor of at least one dimension (the batch); a clear error otherwise."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not torch.is_tensor(example):
        raise ValueError(f"example must be a torch.Tensor (one input batch), got {type(example).__name__}")
    if example.ndim < 1 or example.shape[0] < 1:
        raise ValueError(f"example needs a batch dimension with at least one row, got shape {tuple(example.shape)}")
    return example


def _traceable(example, dynamic_batch):
    """(example, dynamic_shapes) for torch.export: the batch dimension made symbolic if asked.

    torch.export treats a size of 1 as a constant (it specializes 0 and 1), so a batch-1 example is
    repeated to two rows before tracing; the graph is the same.
    """
    if not dynamic_batch:
        return example, None
    if example.shape[0] == 1:
        example = example.expand(2, *example.shape[1:]).clone()
    return example, ({0: torch.export.Dim("batch", min=1, max=MAX_BATCH)},)


@contextlib.contextmanager
def _eval_mode(model):
    """The model in eval mode (dropout off, batch norm on running statistics), its old mode restored after."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@contextlib.contextmanager
def _quiet_exporter():
    """torch.onnx's log records below ERROR and FutureWarnings silenced, both restored after."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        logger.setLevel(level)


def export_program(model, example, dynamic_batch=True):
    """``torch.export.export`` of ``model`` in eval mode, traced on ``example``.

    Shapes: example (batch, ...) — e.g. (n, 64) for the digits MLP, (n, 1, 8, 8) for LeNet. With
    ``dynamic_batch`` the program accepts any batch from 1 to MAX_BATCH; otherwise only example's.
    Returns a ``torch.export.ExportedProgram``; ``program.module()(x)`` runs it like the model.
    """
    example, dynamic = _traceable(_check_example(model, example), dynamic_batch)
    with _eval_mode(model):
        return torch.export.export(model, (example,), dynamic_shapes=dynamic)


_PLAIN_ACTIVATIONS = {"relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh,
                      "linear": torch.nn.Identity}


def plain_torch(net):
    """The same network built from torch.nn's own layers, with copies of the same weights.

    companion.torch's ``Dense`` checks its input, weight and bias for NaN on every call (three checks a
    layer, each a small tensor operation and a read back into Python); at batch 1 those checks cost a small
    model more than its arithmetic. This copy (``Dense`` -> ``torch.nn.Linear``, ``Activation`` ->
    ``torch.nn.ReLU`` / ``Sigmoid`` / ``Tanh`` / ``Identity``, ``Dropout`` -> ``torch.nn.Dropout``) computes
    the same outputs (the same ``torch.nn.functional.linear`` calls) without them: what plain eager PyTorch
    costs. Shapes as the network's. Raises ValueError for any other layer.
    """
    from companion.torch.activations import Activation
    from companion.torch.dense import Dense
    from companion.torch.regularization import Dropout

    if not isinstance(net, torch.nn.Sequential):
        raise ValueError(f"net must be a Sequential of Dense and Activation layers, got {type(net).__name__}")
    layers = []
    for index, layer in enumerate(net):
        if isinstance(layer, Dense):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                                     dtype=layer.weight.dtype, device=layer.weight.device)
            with torch.no_grad():
                linear.weight.copy_(layer.weight)
                if layer.bias is not None:
                    linear.bias.copy_(layer.bias)
            layers.append(linear)
        elif isinstance(layer, Activation) and layer.name in _PLAIN_ACTIVATIONS:
            layers.append(_PLAIN_ACTIVATIONS[layer.name]())
        elif isinstance(layer, Dropout):
            layers.append(torch.nn.Dropout(layer.p))
        else:
            raise ValueError(f"layer {index} ({layer!r}) has no plain torch.nn counterpart here "
                             f"(Dense, Activation {sorted(_PLAIN_ACTIVATIONS)} and Dropout do)")
    plain = torch.nn.Sequential(*layers)
    plain.train(net.training)
    return plain


def export_onnx(model, example, path, dynamic_batch=True, input_name="x", output_name="logits"):
    """Write ``model`` (eval mode, traced on ``example``) to the ONNX file ``path``; returns the Path.

    Uses ``torch.onnx.export(..., dynamo=True)``: torch.export's graph translated by onnxscript. The
    file is written atomically: a failed export or save leaves no file, and an older file at ``path``
    untouched. Shapes as :func:`export_program`; the ONNX input is named ``input_name``, the output
    ``output_name``, and the batch dimension "batch" when dynamic.
    """
    example, dynamic = _traceable(_check_example(model, example), dynamic_batch)
    path = Path(path)
    if not path.parent.is_dir():  # before the seconds of tracing, not after
        raise ValueError(f"cannot write {path}: folder {path.parent} does not exist")
    # the exporter prints its progress ("[torch.onnx] ... ✅") even with verbose=False, logs a warning for each
    # torchvision operator it cannot register when torchvision is absent, and passes on torch's deprecation
    # warnings: none of it is about this model, so cells stay quiet (errors still raise)
    with _eval_mode(model), contextlib.redirect_stdout(io.StringIO()), _quiet_exporter():
        program = torch.onnx.export(model, (example,), dynamo=True, dynamic_shapes=dynamic, verbose=False,
                                    input_names=[input_name], output_names=[output_name])
    with atomic_path(path) as tmp:
        program.save(tmp, external_data=False)
    return path


def onnx_session(path, threads=None):
    """An onnxruntime ``InferenceSession`` for the ONNX file ``path``, on the CPU.

    ``threads`` sets onnxruntime's intra-op threads (None: its default, one per core).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _check_input(session, x):
    """x as a NumPy array matching the session's one input in rank, fixed sizes and dtype."""
    spec = session.get_inputs()[0]
    try:
        x = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{spec.name} is not a rectangular array: {error}") from None
    want = _ORT_DTYPES.get(spec.type)
    if want is not None and x.dtype != want:
        raise ValueError(f"{spec.name} has dtype {x.dtype}, the model expects {np.dtype(want).name} "
                         f"(convert with .astype(np.{np.dtype(want).name}))")
    shape = [d if isinstance(d, (int, str)) else "?" for d in spec.shape]  # a symbolic size has a name or None
    wrong = len(shape) != x.ndim or any(isinstance(d, int) and d != n for d, n in zip(shape, x.shape))
    if wrong:
        raise ValueError(f"{spec.name} has shape {x.shape}, the model expects ({', '.join(map(str, shape))})")
    if x.ndim and x.shape[0] == 0:
        raise ValueError(f"{spec.name} is an empty batch (shape {x.shape}); send at least one row")
    check_finite(x, spec.name)
    return spec.name, x


def run_onnx(session, x):
    """The model's output for ``x`` (NumPy array or tensor, (batch, ...)) as a NumPy array (batch, ...).

    Raises ValueError naming the problem for a wrong dtype, wrong rank or size, an empty batch, or
    NaN/inf values (the graph itself checks none of these).
    """
    name, x = _check_input(session, x)
    return session.run(None, {name: x})[0]


def best_latency_us(call, number=20, repeats=5, clock=None):
    """The best time of one ``call()`` in microseconds: ``repeats`` rounds of ``number`` calls each, the
    round's mean taken, the fastest round kept (the least disturbed by other work on the machine).

    One warm-up call comes first (a first call allocates and, for an exported program, may specialize).
    ``clock`` is ``time.perf_counter`` (wall-clock) by default; ``time.process_time`` counts this process's
    CPU time instead, which leaves out waiting for a core on a shared machine (for one-thread calls).
    """
    if number < 1 or repeats < 1:
        raise ValueError(f"number and repeats must be positive, got {number} and {repeats}")
    import time

    clock = time.perf_counter if clock is None else clock
    call()
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        for _ in range(number):
            call()
        best = min(best, (clock() - start) / number)
    return best * 1e6
