"""Positional encodings in PyTorch: sinusoidal, learned, rotary (RoPE), the NumPy twin's names and checks.

The formulas and both rotary conventions are described in :mod:`companion.np.positional`; backward by autograd.
"""

import numpy as np
import torch

from companion._positional import check_length, check_position_indices, check_rotary_args, check_sinusoidal_args
from companion._runtime import device as default_device
from companion.torch.dense import as_tensor
from companion.torch.embedding import Embedding


def _angle_dtype(device):
    """Angles in float64 where the device has it (MPS has not): sin(m theta) for large m needs the digits."""
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


def inverse_frequencies(dim, base=10000.0, *, device=None):
    """theta_i = base^(-2i / dim), i = 0 .. ceil(dim / 2) - 1: shape (ceil(dim / 2),), float64 (float32 on MPS)."""
    check_sinusoidal_args(0, dim, base)
    device = default_device() if device is None else device
    exponents = torch.arange(0, dim, 2, dtype=_angle_dtype(device), device=device) / dim
    return float(base) ** -exponents


def sinusoidal_positions(length, dim, base=10000.0, *, dtype=None, device=None):
    """PE (length, dim): PE[pos, 2i] = sin(pos theta_i), PE[pos, 2i+1] = cos(pos theta_i) (Vaswani et al. 2017).

    An odd dim ends on a sine column. dtype defaults to torch's default dtype, device to companion.device().
    """
    check_sinusoidal_args(length, dim, base)
    device = default_device() if device is None else device
    theta = inverse_frequencies(dim, base, device=device)
    angles = torch.arange(length, dtype=theta.dtype, device=device)[:, None] * theta  # (length, ceil(dim/2))
    table = torch.empty(length, dim, dtype=theta.dtype, device=device)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, :dim // 2])
    return table.to(torch.get_default_dtype() if dtype is None else dtype)


class LearnedPositions(Embedding):
    """A trained vector per position 0 .. num_positions - 1 (a torch.nn.Embedding of positions, same state dict).

    ``layer(length)`` gives rows 0 .. length - 1, (length, embedding_dim); ``layer(positions)`` looks up
    integer positions (*) -> (*, D). Initialized from a NumPy ``rng`` as the NumPy twin is.
    """

    def __init__(self, num_positions, embedding_dim, _weight=None, _freeze=False, *, rng=None, dtype=None,
                 device=None):
        super().__init__(num_positions, embedding_dim, _weight=_weight, _freeze=_freeze, rng=rng, dtype=dtype,
                         device=device)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True):
        """A layer holding exactly ``embeddings`` (num_positions, D), frozen unless ``freeze=False``."""
        embeddings = as_tensor(embeddings)
        if embeddings.dim() != 2:
            raise ValueError(f"embeddings must be 2-D (num_positions, embedding_dim), got shape "
                             f"{tuple(embeddings.shape)}")
        return cls(*embeddings.shape, _weight=embeddings, _freeze=freeze, device=embeddings.device)

    @property
    def num_positions(self):
        return self.num_embeddings

    def forward(self, positions):
        """positions: an int length (rows 0 .. length - 1) or integer positions of any shape."""
        if isinstance(positions, (int, np.integer)) and not isinstance(positions, bool):
            check_length(positions, self.num_positions)
            positions = torch.arange(positions, device=self.weight.device)
        positions = as_tensor(positions, device=self.weight.device)
        check_position_indices(positions, self.num_positions)
        return super().forward(positions)

    def extra_repr(self):
        return f"{self.num_positions}, {self.embedding_dim}"


def rotary_angles(shape, positions=None, base=10000.0, *, device=None):
    """Angles m theta_i (..., D/2) for x of ``shape`` (..., T, D); positions None means 0 .. T-1 on axis -2."""
    theta = inverse_frequencies(shape[-1], base, device=device)
    if positions is None:
        positions = torch.arange(shape[-2], dtype=theta.dtype, device=theta.device)[:, None]  # (T, 1)
    else:
        positions = as_tensor(positions, theta.dtype, theta.device)[..., None]
    return positions * theta


def apply_rotary(x, positions=None, base=10000.0, interleaved=True):
    """Rotary position embedding (Su et al. 2021): x (..., T, D), D even, turned pair by pair by m theta_i.

    interleaved=True pairs (x[2i], x[2i+1]) as the RoFormer paper does; False pairs (x[i], x[i + D/2]) as
    GPT-NeoX and Hugging Face's LLaMA do ("rotate_half"). positions: None (0 .. T-1 along axis -2) or numbers
    broadcasting to x.shape[:-1]. Returns x's shape and dtype; see companion.np.positional for the formulas.
    """
    check_rotary_args(x, positions, base)
    angles = rotary_angles(tuple(x.shape), positions, base, device=x.device)
    x = x if x.is_floating_point() else x.to(torch.get_default_dtype())
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    a, b = (x[..., 0::2], x[..., 1::2]) if interleaved else x.chunk(2, dim=-1)
    turned = (a * cos - b * sin, a * sin + b * cos)
    if interleaved:
        return torch.stack(turned, dim=-1).flatten(-2)  # (..., D/2, 2) -> (..., D)
    return torch.cat(turned, dim=-1)
