"""Gradient clipping by norm (chapter: Losses and optimizers).

One large gradient (a steep cliff in the loss surface, an exploding recurrent net) can throw the
weights far away in one update. Clipping rescales all gradients together, keeping their direction,
so that their total norm is at most ``max_norm``. Follows ``torch.nn.utils.clip_grad_norm_`` in
every argument but ``foreach``, which picks a faster implementation in PyTorch, not a different result.
"""

import numpy as np

from companion._validate import NonFiniteError, check_clip_args, nonfinite_norm_message


def _as_list(grads):
    """(list of arrays, function putting a list back into the caller's container)."""
    if isinstance(grads, dict):
        return list(grads.values()), lambda values: dict(zip(grads, values))
    if isinstance(grads, (list, tuple)):
        return list(grads), type(grads)
    return [grads], lambda values: values[0]  # a single array


def total_norm(grads, norm_type=2.0):
    """The p-norm of all gradients viewed as one long vector: ||(||g_1||_p, …, ||g_k||_p)||_p.

    grads: a dict, list or tuple of arrays, or one array (None entries are skipped). norm_type: p, any
    number or 'inf' (largest absolute entry). 0.0 for no gradients.
    """
    p = check_clip_args(0.0, norm_type)
    arrays = [np.asarray(g) for g in _as_list(grads)[0] if g is not None]
    if not arrays:
        return 0.0
    norms = np.array([np.linalg.norm(g.ravel(), ord=p) for g in arrays])
    return float(np.linalg.norm(norms, ord=p))


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale every gradient by min(1, max_norm / (N + 1e-6)), N = total_norm(grads, norm_type).

    Returns (clipped gradients in the container given, N before clipping); the inputs are untouched.
    As in PyTorch, the 1e-6 keeps the division finite, so gradients whose norm is already at most
    max_norm are multiplied by a factor of (almost exactly) 1. error_if_nonfinite: raise a ValueError
    when N is NaN or infinite instead of scaling by it (which fills the gradients with NaN).
    """
    p = check_clip_args(max_norm, norm_type)
    arrays, rebuild = _as_list(grads)
    norm = total_norm(grads, p)
    if error_if_nonfinite and not np.isfinite(norm):
        raise NonFiniteError(nonfinite_norm_message(norm, p))
    with np.errstate(invalid="ignore", over="ignore"):  # a non-finite norm gives NaN, as in PyTorch
        scale = np.minimum(max_norm / (norm + 1e-6), 1.0)
        return rebuild([None if g is None else np.asarray(g) * scale for g in arrays]), norm
