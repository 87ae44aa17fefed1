"""The embedding lookup y = W[indices] and its gradient (chapter: Recurrent neural networks).

An embedding is a dense layer applied to one-hot vectors, computed as a row lookup: token i's vector
is row i of weight (num_embeddings, embedding_dim), PyTorch's layout, so the same array loads into
``torch.nn.Embedding``. Options and edge cases follow ``torch.nn.functional.embedding``.
"""

import numpy as np

from companion._init import embedding_init
from companion._losses import check_embedding_args, normalize_padding_idx
from companion._validate import check_finite
from companion.np._state import checked_state


def renorm_rows(weight, indices, max_norm, norm_type=2.0):
    """Rescale in place each row of ``weight`` named in ``indices`` whose p-norm exceeds max_norm.

    As torch's ``embedding_renorm_``: row *= max_norm / (norm + 1e-7), each distinct row once.
    """
    for row in np.unique(indices):
        norm = np.linalg.norm(weight[row], ord=norm_type)
        if norm > max_norm:
            weight[row] *= max_norm / (norm + 1e-7)


def embedding_forward(indices, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                      sparse=False):
    """y = weight[indices]; returns (y, cache). Shapes: indices (*) integers, weight (V, D), y (*, D).

    With ``max_norm``, the rows looked up are first renormalized in ``weight`` itself (in place, as torch
    does), so pass a writable float array. ``sparse`` only changes how torch stores the gradient; the
    NumPy gradient is always a dense (V, D) array with the same values.
    """
    indices, weight = np.asarray(indices), np.asarray(weight)  # an ndarray stays itself, so renorm reaches it
    check_finite(weight, "weight")
    padding_idx = check_embedding_args(indices, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                                       sparse)
    if max_norm is not None:
        if not np.issubdtype(weight.dtype, np.floating) or not weight.flags.writeable:
            raise ValueError(f"max_norm renormalizes weight in place: weight must be a writable float array, "
                             f"got dtype {weight.dtype}{'' if weight.flags.writeable else ', read-only'}")
        renorm_rows(weight, indices, max_norm, norm_type)
    return weight[indices], (indices, weight.shape, weight.dtype, padding_idx, scale_grad_by_freq)


def embedding(indices, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """y = weight[indices] (see :func:`embedding_forward`)."""
    return embedding_forward(indices, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)[0]


def embedding_backward(dout, cache):
    """dL/dweight (V, D): row v gathers dout at every position whose index is v.

    The padding_idx row gets zero; with ``scale_grad_by_freq`` each row's sum is divided by how many
    times its index occurs in the batch. There is no gradient for the integer indices.
    """
    indices, shape, dtype, padding_idx, scale_grad_by_freq = cache
    dout = np.asarray(dout)
    if dout.shape != indices.shape + shape[1:]:
        raise ValueError(f"dout must have shape {indices.shape + shape[1:]}, got {dout.shape}")
    flat = indices.ravel()
    dweight = np.zeros(shape, dtype=np.result_type(dtype, dout.dtype))
    np.add.at(dweight, flat, dout.reshape(-1, shape[1]))
    if scale_grad_by_freq:
        counts = np.bincount(flat, minlength=shape[0])
        dweight /= np.maximum(counts, 1)[:, None]
    if padding_idx is not None:
        dweight[padding_idx] = 0
    return dweight


class Embedding:
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``, like ``torch.nn.Embedding``.

    ``_weight`` gives the table (else N(0, 1) from ``rng``, the padding row zero); ``_freeze`` keeps it
    fixed (backward then leaves ``grads`` empty). After :meth:`backward`, ``grads["weight"]`` is dL/dweight.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, *, rng=None,
                 dtype=np.float64):
        if _weight is None:
            _weight = embedding_init(num_embeddings, embedding_dim, padding_idx, rng, dtype)
        self.weight = np.array(_weight, dtype=dtype)
        if self.weight.shape != (num_embeddings, embedding_dim):
            raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), got {self.weight.shape}")
        self.padding_idx = normalize_padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse, self.freeze = scale_grad_by_freq, sparse, _freeze
        self.grads = {}
        self._cache = None

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """A layer holding exactly ``embeddings`` (V, D), frozen unless ``freeze=False``."""
        embeddings = np.asarray(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"embeddings must be 2-D (num_embeddings, embedding_dim), got shape {embeddings.shape}")
        return cls(*embeddings.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze, dtype=np.result_type(embeddings, np.float32))

    @property
    def num_embeddings(self):
        return self.weight.shape[0]

    @property
    def embedding_dim(self):
        return self.weight.shape[1]

    def forward(self, indices):
        out, self._cache = embedding_forward(indices, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                                             self.scale_grad_by_freq, self.sparse)
        return out

    __call__ = forward

    def backward(self, dout):
        """Fills ``grads`` (unless frozen); returns None, as integer indices have no gradient."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        self.grads = {} if self.freeze else {"weight": embedding_backward(dout, self._cache)}

    def parameters(self):
        return {"weight": self.weight}

    state_dict = parameters  # torch.nn.Embedding's state dict holds exactly its weight

    def load_state_dict(self, state):
        """Copy the table in from {"weight": (V, D) array or tensor}, e.g. a torch.nn.Embedding's state dict."""
        self.weight[...] = checked_state(state, self.parameters())["weight"]

    def __repr__(self):
        options = "".join(f", {name}={getattr(self, name)}" for name in ("padding_idx", "max_norm")
                          if getattr(self, name) is not None)
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{options})"
