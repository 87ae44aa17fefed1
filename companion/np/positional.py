"""Positional encodings: sinusoidal (fixed), learned (a table), rotary (RoPE) (chapter: Attention and transformers).

Self-attention without positions is permutation-equivariant: shuffle the tokens and the outputs shuffle the
same way. Three ways to tell it where each token sits:

- sinusoidal (Vaswani et al. 2017, section 3.5), added to the token embeddings:
  PE[pos, 2i] = sin(pos / base^(2i/d)), PE[pos, 2i+1] = cos(pos / base^(2i/d)), base = 10000;
- learned: one trained vector per position, a lookup table like an embedding (GPT);
- rotary (Su et al. 2021, RoFormer): no addition; each query and key is turned, pair of features by pair
  of features, by an angle proportional to its position, so that q . k depends on the positions only
  through their difference.

Every function takes NumPy arrays; the backward passes are written by hand.
"""

import numpy as np

from companion._positional import check_length, check_position_indices, check_rotary_args, check_sinusoidal_args
from companion.np.embedding import Embedding


def inverse_frequencies(dim, base=10000.0):
    """theta_i = base^(-2i / dim) for i = 0, 1, ..., ceil(dim / 2) - 1: shape (ceil(dim / 2),), float64.

    The angular frequency of feature pair i: the sinusoid's wavelength 2 pi / theta_i grows geometrically
    from 2 pi (i = 0) towards 2 pi base. RoFormer writes the same numbers 1-based, theta_i = base^(-2(i-1)/d).
    """
    check_sinusoidal_args(0, dim, base)
    return float(base) ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)


def sinusoidal_positions(length, dim, base=10000.0, dtype=np.float64):
    """The fixed table PE (length, dim) of Vaswani et al. (2017), to add to embeddings of size dim.

    PE[pos, 2i] = sin(pos * theta_i) and PE[pos, 2i+1] = cos(pos * theta_i) with theta_i = base^(-2i/dim):
    sines on the even columns, cosines on the odd ones, pair i sharing one frequency (not the
    concatenated [sin | cos] halves some libraries use). An odd ``dim`` follows the same formula: its
    last column (index dim - 1, even) is a sine with exponent (dim - 1) / dim and has no cosine partner.
    No parameters, so no backward: the gradient reaching PE stops there.
    """
    check_sinusoidal_args(length, dim, base)
    angles = np.arange(length, dtype=np.float64)[:, None] * inverse_frequencies(dim, base)  # (length, ceil(dim/2))
    table = np.empty((length, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, :dim // 2])
    return table.astype(dtype)


class LearnedPositions(Embedding):
    """A trained vector for each position 0 .. num_positions - 1: an :class:`Embedding` of positions.

    ``layer(length)`` returns rows 0 .. length - 1, shape (length, embedding_dim), to add to the token
    embeddings of a (N, length) batch; ``layer(positions)`` looks up any integer positions (*) -> (*, D).
    The table is ``weight`` (num_positions, embedding_dim), N(0, 1) from ``rng`` like torch.nn.Embedding's,
    so a torch.nn.Embedding's state dict loads in both ways. :meth:`backward` fills ``grads["weight"]``
    (rows of positions not looked up get zero). Unlike the sinusoidal table, it has no row for a position
    past num_positions - 1: asking for one is an error, not an extrapolation.
    """

    def __init__(self, num_positions, embedding_dim, _weight=None, _freeze=False, *, rng=None, dtype=np.float64):
        super().__init__(num_positions, embedding_dim, _weight=_weight, _freeze=_freeze, rng=rng, dtype=dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True):
        """A layer holding exactly ``embeddings`` (num_positions, D), frozen unless ``freeze=False``."""
        embeddings = np.asarray(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-D (num_positions, embedding_dim), got shape {embeddings.shape}")
        return cls(*embeddings.shape, _weight=embeddings, _freeze=freeze,
                   dtype=np.result_type(embeddings, np.float32))

    @property
    def num_positions(self):
        return self.num_embeddings

    def forward(self, positions):
        """positions: an int length (rows 0 .. length - 1) or integer positions of any shape."""
        if isinstance(positions, (int, np.integer)) and not isinstance(positions, bool):
            check_length(positions, self.num_positions)
            positions = np.arange(positions)
        positions = np.asarray(positions)
        check_position_indices(positions, self.num_positions)
        return super().forward(positions)

    __call__ = forward

    def __repr__(self):
        return f"LearnedPositions({self.num_positions}, {self.embedding_dim})"


def _turn(x, cos, sin, interleaved):
    """Each feature pair (a, b) of x turned by the angle whose cosine and sine are given:
    (a cos - b sin, a sin + b cos). Pairs are (x[2i], x[2i+1]) when interleaved, else (x[i], x[i + D/2])."""
    half = x.shape[-1] // 2
    a, b = (x[..., 0::2], x[..., 1::2]) if interleaved else (x[..., :half], x[..., half:])
    turned = (a * cos - b * sin, a * sin + b * cos)
    if interleaved:
        return np.stack(turned, axis=-1).reshape(x.shape)  # (..., D/2, 2) -> (..., D): pairs side by side
    return np.concatenate(turned, axis=-1)


def rotary_angles(shape, positions=None, base=10000.0):
    """Angles m * theta_i (..., D/2), float64, for x of ``shape`` (..., T, D): m the position of each row
    (0 .. T-1 along axis -2 when ``positions`` is None), theta_i = base^(-2i/D)."""
    if positions is None:
        positions = np.arange(shape[-2], dtype=np.float64)[:, None]  # (T, 1): broadcasts over the batch
    else:
        positions = np.asarray(positions, dtype=np.float64)[..., None]
    return positions * inverse_frequencies(shape[-1], base)


def apply_rotary_forward(x, positions=None, base=10000.0, interleaved=True):
    """Rotary position embedding (RoPE, Su et al. 2021): x turned pair by pair; returns (out, cache).

    Shapes: x (..., T, D), D even; positions None (row t of axis -2 is position t) or numbers (integers, or
    fractional as in position interpolation) whose shape broadcasts to x.shape[:-1], e.g. (T,) or (N, T);
    out has x's shape. With theta_i = base^(-2i/D), i = 0 .. D/2 - 1, and m the position:

        interleaved=True  (the paper's convention: its block-diagonal rotation turns (x_1, x_2), (x_3, x_4),
                           ...; also Meta's LLaMA reference code, which multiplies adjacent pairs as
                           complex numbers by e^(i m theta_i)):
            out[2i]   = x[2i] cos(m theta_i) - x[2i+1] sin(m theta_i)
            out[2i+1] = x[2i] sin(m theta_i) + x[2i+1] cos(m theta_i)
        interleaved=False (the half-split convention of GPT-NeoX and of Hugging Face's LLaMA, "rotate_half"):
            the pair is (x[i], x[i + D/2]) instead of (x[2i], x[2i+1]), the same formulas otherwise.

    The two are the same rotation up to a fixed permutation of the features, so a model trained in one
    convention works in the other only after permuting the rows of its query and key weights; mixing them
    silently gives wrong attention. Either way each pair turns by m theta_i, so norms are kept and
    (R_m q) . (R_n k) = q . (R_(n-m) k) depends on m and n only through n - m. Apply it to queries and keys
    (per head, D = head size), not to values. The cache holds the cosines and sines.
    """
    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    check_rotary_args(x, positions, base)
    angles = rotary_angles(x.shape, positions, base)
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    return _turn(x, cos, sin, interleaved), (cos, sin, interleaved, x.shape)


def apply_rotary(x, positions=None, base=10000.0, interleaved=True):
    """x with rotary position embedding applied (see :func:`apply_rotary_forward`)."""
    return apply_rotary_forward(x, positions, base, interleaved)[0]


def apply_rotary_backward(dout, cache):
    """dL/dx (..., T, D): a rotation's transpose is its inverse, so dout turned back by -m theta_i.

    The positions are constants here (no gradient), as in every rotary implementation.
    """
    cos, sin, interleaved, shape = cache
    dout = np.asarray(dout)
    if dout.shape != shape:
        raise ValueError(f"dout must have x's shape {shape}, got {dout.shape}")
    return _turn(dout, cos, -sin, interleaved)
