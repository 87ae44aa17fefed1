"""Gradient clipping by norm in PyTorch, with the NumPy twin's interface (a new container, not in place).

The arithmetic is ``torch.nn.utils.clip_grad_norm_``'s; the tests hold the two equal.
"""

import torch

from companion._validate import NonFiniteError, check_clip_args, nonfinite_norm_message


def _as_list(grads):
    if isinstance(grads, dict):
        return list(grads.values()), lambda values: dict(zip(grads, values))
    if isinstance(grads, (list, tuple)):
        return list(grads), type(grads)
    return [grads], lambda values: values[0]


def total_norm(grads, norm_type=2.0):
    """||(||g_1||_p, …, ||g_k||_p)||_p as a 0-d tensor; tensor(0.) for no gradients."""
    p = check_clip_args(0.0, norm_type)
    tensors = [g.detach() for g in _as_list(grads)[0] if g is not None]
    if not tensors:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g, p).to(tensors[0].device) for g in tensors])
    return torch.linalg.vector_norm(norms, p)


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """(gradients scaled by min(1, max_norm / (N + 1e-6)), N): N the total norm before clipping."""
    p = check_clip_args(max_norm, norm_type)
    tensors, rebuild = _as_list(grads)
    norm = total_norm(grads, p)
    if error_if_nonfinite and not bool(torch.isfinite(norm)):
        raise NonFiniteError(nonfinite_norm_message(norm, p))
    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
    return rebuild([None if g is None else g.detach() * scale.to(g.device) for g in tensors]), norm


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """``torch.nn.utils.clip_grad_norm_``'s in-place form, for training loops: each parameter's ``.grad``
    is scaled in place by :func:`clip_grad_norm`'s factor (parameters without a gradient are skipped);
    returns the total norm before clipping, a 0-d tensor. PyTorch only: NumPy layers keep their gradients
    in dicts, which :func:`clip_grad_norm` already takes."""
    parameters = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    parameters = [p for p in parameters if p.grad is not None]
    clipped, norm = clip_grad_norm([p.grad for p in parameters], max_norm, norm_type, error_if_nonfinite)
    with torch.no_grad():
        for p, g in zip(parameters, clipped):
            p.grad.copy_(g)
    return norm
