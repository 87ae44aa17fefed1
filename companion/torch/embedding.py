"""The embedding lookup in PyTorch (``F.embedding``), with the NumPy twin's checks and initialization."""

import torch
import torch.nn.functional as F

from companion._init import embedding_init
from companion._losses import check_embedding_args, normalize_padding_idx
from companion.torch.dense import as_tensor


def embedding(indices, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """y = weight[indices]: indices (*) integers, weight (V, D), y (*, D). With max_norm, the rows looked
    up are renormalized in ``weight`` in place (under no_grad), as torch does."""
    padding_idx = check_embedding_args(indices, weight, padding_idx, max_norm, norm_type,
                                       scale_grad_by_freq, sparse)
    return F.embedding(indices.long(), weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


class Embedding(torch.nn.Module):
    """``torch.nn.Embedding``'s signature and ``weight`` parameter, initialized from a NumPy ``rng``
    exactly as the NumPy twin is (N(0, 1), the padding row zero), so both backends start equal."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, *, rng=None, dtype=None,
                 device=None):
        super().__init__()
        if _weight is None:
            _weight = embedding_init(num_embeddings, embedding_dim, padding_idx, rng)
            dtype = torch.get_default_dtype() if dtype is None else dtype
        weight = as_tensor(_weight, dtype, device)
        if tuple(weight.shape) != (num_embeddings, embedding_dim):
            raise ValueError(f"_weight must have shape ({num_embeddings}, {embedding_dim}), got {tuple(weight.shape)}")
        self.weight = torch.nn.Parameter(weight.clone(), requires_grad=not _freeze)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = normalize_padding_idx(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """A layer holding exactly ``embeddings`` (V, D) (array or tensor), frozen unless ``freeze=False``."""
        embeddings = as_tensor(embeddings)
        if embeddings.dim() != 2:
            raise ValueError(f"embeddings must be 2-D (num_embeddings, embedding_dim), got shape "
                             f"{tuple(embeddings.shape)}")
        return cls(*embeddings.shape, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze, device=embeddings.device)

    def forward(self, indices):
        return embedding(indices, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        options = "".join(f", {name}={getattr(self, name)}" for name in ("padding_idx", "max_norm")
                          if getattr(self, name) is not None)
        return f"{self.num_embeddings}, {self.embedding_dim}{options}"
