"""A small vision transformer (Dosovitskiy et al. 2021, "An Image is Worth 16x16 Words") for the 8x8 digits
(chapter: Transformers).

The image is cut into non-overlapping p x p patches; each patch, flattened, is one token. A linear layer
embeds the tokens, a learned vector per position is added, an optional class token is put in front, a stack
of pre-norm transformer encoder layers (no mask: every patch sees every patch) mixes them, and a linear head
classifies either the class token's final vector or the mean over the patches.
"""

from dataclasses import dataclass

import numpy as np
import torch

from companion import torch as ct
from companion._runtime import device as default_device
from companion._validate import check_positive_int

_POOLING = ("cls", "mean")


def patchify(images, patch):
    """(N, C, H, W) images -> (N, (H / p) (W / p), C p p) tokens: patch (i, j) is token i (W / p) + j, row by row,
    its pixels flattened channel first, then row, then column. H and W must be multiples of ``patch``.

    Works on NumPy arrays and torch tensors alike (reshape and transpose only).
    """
    check_positive_int(patch, "patch")
    if images.ndim != 4:
        raise ValueError(f"images must be 4-D (N, C, H, W), got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    if h % patch or w % patch:
        raise ValueError(f"patch={patch} must divide the image's height and width, got {h} x {w}")
    x = images.reshape(n, c, h // patch, patch, w // patch, patch)      # (N, C, H/p, p, W/p, p)
    order = (0, 2, 4, 1, 3, 5)                                            # (N, H/p, W/p, C, p, p)
    x = x.permute(*order) if isinstance(x, torch.Tensor) else x.transpose(order)
    return x.reshape(n, (h // patch) * (w // patch), c * patch * patch)


@dataclass(frozen=True)
class ViTConfig:
    image_size: int = 8
    channels: int = 1
    patch: int = 2
    num_classes: int = 10
    d_model: int = 32
    n_layers: int = 2
    n_heads: int = 4
    d_ff: int = 64
    dropout: float = 0.0
    pooling: str = "cls"      # "cls": a learned class token's final vector; "mean": the mean over the patches

    def __post_init__(self):
        for name in ("image_size", "channels", "patch", "num_classes", "d_model", "n_layers", "n_heads", "d_ff"):
            check_positive_int(getattr(self, name), name)
        if self.image_size % self.patch:
            raise ValueError(f"patch={self.patch} must divide image_size={self.image_size}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if self.pooling not in _POOLING:
            raise ValueError(f"unknown pooling {self.pooling!r}; choose one of {list(_POOLING)}")

    @property
    def num_patches(self):
        return (self.image_size // self.patch) ** 2


class ViT(torch.nn.Module):
    """logits = head(norm(pool(blocks(embed(patchify(x)) + positions)))).

    ``forward(images)``: (N, C, H, W) or, for one channel, flat (N, H W) pixels -> logits (N, num_classes).
    Blocks: ``n_layers`` pre-norm TransformerEncoderLayer(d_model, n_heads, d_ff, activation="gelu",
    batch_first=True, norm_first=True). Positions: one learned vector per token (the class token included).
    """

    def __init__(self, config=ViTConfig(), *, dtype=torch.float32, device=None):
        super().__init__()
        self.config = config
        device = default_device() if device is None else device
        c = config
        kw = dict(dtype=dtype, device=device)
        self.embed = torch.nn.Linear(c.channels * c.patch * c.patch, c.d_model, **kw)
        tokens = c.num_patches + (c.pooling == "cls")
        self.pos = torch.nn.Parameter(0.02 * torch.randn(tokens, c.d_model, **kw))
        self.cls = torch.nn.Parameter(torch.zeros(1, 1, c.d_model, **kw)) if c.pooling == "cls" else None
        self.blocks = torch.nn.ModuleList(
            ct.TransformerEncoderLayer(c.d_model, c.n_heads, c.d_ff, c.dropout, activation="gelu", batch_first=True, norm_first=True, **kw)
            for _ in range(c.n_layers))
        self.norm = torch.nn.LayerNorm(c.d_model, **kw)
        self.head = torch.nn.Linear(c.d_model, c.num_classes, **kw)

    def _images(self, x):
        c = self.config
        if x.ndim == 2:                                   # flat pixels, as the shipped digits come
            x = x.reshape(len(x), c.channels, c.image_size, c.image_size)
        if tuple(x.shape[1:]) != (c.channels, c.image_size, c.image_size):
            raise ValueError(f"expected images of shape (N, {c.channels}, {c.image_size}, {c.image_size}) or "
                             f"(N, {c.channels * c.image_size ** 2}), got {tuple(x.shape)}")
        return x

    def forward(self, x):
        x = self._images(torch.as_tensor(x, dtype=self.head.weight.dtype, device=self.head.weight.device))
        h = self.embed(patchify(x, self.config.patch))                       # (N, P, D)
        if self.cls is not None:
            h = torch.cat([self.cls.expand(len(h), -1, -1), h], dim=1)        # (N, 1 + P, D)
        h = h + self.pos
        for block in self.blocks:
            h = block(h)
        h = h[:, 0] if self.cls is not None else h.mean(dim=1)               # (N, D)
        return self.head(self.norm(h))                                        # (N, classes)


def patch_grid(tokens, patch, image_size, channels=1):
    """The inverse of :func:`patchify` for square images: (N, P, C p p) -> (N, C, H, W) (NumPy)."""
    tokens = np.asarray(tokens)
    side = image_size // patch
    x = tokens.reshape(len(tokens), side, side, channels, patch, patch).transpose(0, 3, 1, 4, 2, 5)
    return x.reshape(len(tokens), channels, image_size, image_size)
