"""Argument checks shared by both backends' positional encodings (sinusoidal, learned, rotary).

The checks look at shapes and values only; they work on NumPy arrays and torch tensors alike.
"""

from companion._losses import is_integer
from companion._validate import _to_numpy, check_finite, check_nonnegative_int, check_positive_int, check_real, \
    shape_of


def check_base(base):
    """The wavelength base (10000 in both papers) must be a finite real number above 0."""
    check_real(base, "base")
    if base <= 0:
        raise ValueError(f"base must be positive (the papers use 10000.0), got {base!r}")


def check_sinusoidal_args(length, dim, base):
    """length >= 0 positions of dim >= 1 features each; an odd dim ends on a sine column."""
    check_nonnegative_int(length, "length")
    check_positive_int(dim, "dim")
    check_base(base)


def check_rotary_args(x, positions, base):
    """x (..., T, D) with D even (features rotate in pairs); positions None (0..T-1 along x's axis -2) or
    finite numbers whose shape broadcasts to x's leading shape (...) x.shape[:-1] without growing it."""
    shape = shape_of(x)
    check_base(base)
    if len(shape) == 0 or shape[-1] % 2:
        raise ValueError(f"rotary embeddings turn the features in pairs: x's last dimension must be even, got "
                         f"shape {shape}")
    if positions is None:
        if len(shape) < 2:
            raise ValueError(f"without positions, x must be at least 2-D (..., T, D) so that position t is row t "
                             f"of axis -2, got shape {shape}; pass positions for a single vector")
        return
    check_finite(positions, "positions")
    lead, pos = shape[:-1], shape_of(positions)
    if len(pos) > len(lead) or any(p not in (1, n) for p, n in zip(pos[::-1], lead[::-1])):
        raise ValueError(f"positions of shape {pos} must broadcast to x's shape without its feature axis, {lead} "
                         f"(x has shape {shape}); e.g. positions (T,) or (N, T) for x (N, T, D)")


def check_position_indices(positions, num_positions):
    """Integer positions in [0, num_positions): a learned table has no row for a later position."""
    if not is_integer(positions):
        raise TypeError(f"positions must be integers (or an int length), got dtype {positions.dtype}")
    values = _to_numpy(positions)
    if values.size and values.min() < 0:
        raise ValueError(f"positions must be non-negative, got {values.min()}")
    if values.size and values.max() >= num_positions:
        raise ValueError(f"position {values.max()} is beyond the learned table's {num_positions} positions "
                         f"(num_positions={num_positions}): a learned table cannot extrapolate to longer sequences")


def check_length(length, num_positions):
    """An int length asks for positions 0..length-1, which the table must hold."""
    check_nonnegative_int(length, "length")
    if length > num_positions:
        raise ValueError(f"a sequence of length {length} is longer than the learned table's {num_positions} "
                         f"positions (num_positions={num_positions}): a learned table cannot extrapolate")
