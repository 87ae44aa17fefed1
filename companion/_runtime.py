"""Reproducibility and device choice, shared by every chapter."""

import os
import random
import socket

import numpy as np

_DEVICE_ENV = "COMPANION_DEVICE"


def seed(n):
    """Seed Python's ``random``, NumPy's global generator and torch (every device) with ``n``.

    One call at the top of a notebook makes its numbers repeat on both backends.
    Returns a fresh ``numpy.random.Generator`` seeded with ``n`` for code that wants one.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(n).__name__} {n!r}")
    if not 0 <= n < 2**32:
        raise ValueError(f"seed must lie in [0, 2**32), got {n}")
    random.seed(int(n))
    np.random.seed(int(n))
    try:
        import torch
    except ImportError:  # the NumPy half of the package works without torch
        pass
    else:
        torch.manual_seed(int(n))  # seeds CUDA and MPS generators as well
    return np.random.default_rng(int(n))


def device():
    """The torch device to compute on: CUDA if present, then Apple's MPS, else the CPU.

    Setting the environment variable ``COMPANION_DEVICE`` (``cpu``, ``cuda``, ``mps``) overrides
    the choice, for example to compare a GPU run with a CPU one.
    """
    import torch

    wanted = os.environ.get(_DEVICE_ENV)
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def free_port(host="127.0.0.1"):
    """A TCP port on ``host`` that was free a moment ago (the OS picks it; a tiny race remains until the
    caller binds it). Shared by the torchrun launcher, the service's load test and the browser tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
