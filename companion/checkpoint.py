"""Checkpoints that resume training to exactly the same numbers, and load with ``weights_only=True``.

A checkpoint is one ``torch.save`` of a dictionary of plain things: the model's and the optimizer's
``state_dict()``, the epoch, the random states of torch, NumPy and Python (and of any ``torch.Generator``
you name, such as the one a shuffling DataLoader draws from), and your own ``extra`` values. Because it
holds only tensors, numbers, strings, booleans, None and lists/tuples/dicts of them, it loads with
``torch.load(weights_only=True)``, which refuses to run code hidden in a pickle.

Files are written atomically (:func:`atomic_path`): to a temporary file beside the target, then
``os.replace`` onto it, so a crash mid-write leaves the previous checkpoint whole and no half-written file.
"""

import contextlib
import os
import random
import tempfile
from pathlib import Path

import numpy as np
import torch

FORMAT = "companion-checkpoint-1"
_PLAIN = (bool, int, float, str, type(None), torch.Tensor)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in ``path``'s folder; on success move it onto ``path`` with ``os.replace``.

    On an exception the temporary file is deleted and ``path`` is untouched (an older file there survives).
    ``os.replace`` is atomic on POSIX and Windows when both paths are on one file system, hence the same folder.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"cannot write {path}: folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:  # flush the bytes to disk before the rename makes them the checkpoint
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def atomic_save(obj, path):
    """``torch.save(obj)`` to ``path`` through :func:`atomic_path`: a reader never sees half a file, and a
    failed save leaves any older file as it was. Returns the Path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return path


def _check_plain(value, where):
    """Raise ValueError unless ``value`` holds only what ``torch.load(weights_only=True)`` reads back."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise ValueError(f"{where} has key {key!r} of type {type(key).__name__}; use str or int keys")
            _check_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
    elif not isinstance(value, _PLAIN):
        raise ValueError(f"{where} is a {type(value).__name__}; a checkpoint holds only tensors, numbers, "
                         "strings, booleans, None and lists/tuples/dicts of them (weights_only=True loads no more)")


def rng_state(generators=None):
    """The random states of torch (CPU, and every CUDA device), NumPy's global generator and Python's
    ``random``, plus each named ``torch.Generator`` in ``generators`` (name -> generator): plain values only."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "gauss": float(gauss)},
             "python": random.getstate(),
             "generators": {name: g.get_state() for name, g in (generators or {}).items()}}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state, generators=None):
    """Restore what :func:`rng_state` returned; ``generators`` (name -> torch.Generator) are set in place.

    The states are moved to the CPU first: a checkpoint loaded with ``map_location="cuda"`` has them on the
    GPU, and generators only accept a CPU byte tensor."""
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    saved = state["generators"]
    for name, generator in (generators or {}).items():
        if name not in saved:
            raise ValueError(f"the checkpoint has no generator {name!r}; it has {sorted(saved)}")
        generator.set_state(saved[name].cpu())


def save_checkpoint(path, model, optimizer=None, epoch=None, generators=None, extra=None):
    """Write model, optimizer, epoch, random states and ``extra`` to ``path`` atomically; returns the Path.

    ``generators`` names the ``torch.Generator`` objects whose state resuming needs (e.g.
    ``{"loader": g}`` for ``DataLoader(..., shuffle=True, generator=g)``). ``extra`` is a dict of plain
    values (tensors, numbers, strings, lists, dicts) such as a history or a model version.
    """
    extra = {} if extra is None else extra
    _check_plain(extra, "extra")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
        raise ValueError(f"epoch must be an int or None, got {epoch!r}")
    state = {"format": FORMAT, "epoch": epoch, "model": model.state_dict(),
             "optimizer": None if optimizer is None else optimizer.state_dict(),
             "rng": rng_state(generators), "extra": extra}
    _check_plain(state["optimizer"], "optimizer.state_dict()")
    return atomic_save(state, path)


def load_checkpoint(path, model, optimizer=None, generators=None, restore_rng=True, map_location=None):
    """Load ``path`` (with ``weights_only=True``) into ``model`` and ``optimizer`` in place.

    Restores the random states too (unless ``restore_rng=False``), and each named generator in
    ``generators``. Returns ``{"epoch": ..., "extra": ...}`` as saved.
    """
    state = torch.load(path, weights_only=True, map_location=map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint (no format {FORMAT!r})")
    model.load_state_dict(state["model"])
    if optimizer is not None:
        if state["optimizer"] is None:
            raise ValueError(f"{path} holds no optimizer state, but an optimizer was given")
        optimizer.load_state_dict(state["optimizer"])
    if restore_rng:
        set_rng_state(state["rng"], generators)
    return {"epoch": state["epoch"], "extra": state["extra"]}
