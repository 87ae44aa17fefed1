"""A transformer encoder that writes one token per input token (a tagger), and the task whose attention
maps it makes readable: reversing a sequence of digits (chapter: Attention).

Shapes: ids (N, L) int; logits (N, L, vocab); attention maps (num_layers, N, nhead, L, L).
"""

import numpy as np
import torch

from companion._runtime import device as default_device
from companion.torch.dense import Dense
from companion.torch.embedding import Embedding
from companion.torch.losses import cross_entropy
from companion.torch.optim import adam_epochs
from companion.torch.positional import LearnedPositions
from companion.torch.transformer import TransformerEncoderLayer



def reversal_task(n, length=8, symbols=10, rng=None):
    """n sequences of ``length`` symbols 0 .. symbols-1 drawn uniformly, and each written backwards: (x, y),
    both (n, length) int64. Output i is input length-1-i: the answer is one position, found by position alone."""
    x = np.random.default_rng(rng).integers(0, symbols, size=(n, length))
    return x, x[:, ::-1].copy()


class EncoderTagger(torch.nn.Module):
    """Token embedding + learned positions, ``num_layers`` companion TransformerEncoderLayers (batch first, no
    dropout, post-norm as torch's default), and a linear layer to logits at every position.

    ids (N, L) -> logits (N, L, vocab). After a forward pass, ``attention_maps()`` gives every layer's
    per-head weights (num_layers, N, nhead, L, L). Parameters: embed.weight, positions.weight,
    layers.{i}.<torch.nn.TransformerEncoderLayer's names>, head.weight, head.bias.
    """

    def __init__(self, vocab_size, d_model=32, nhead=2, num_layers=2, dim_feedforward=64, max_len=16, *, rng=None,
                 dtype=None, device=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        device = default_device() if device is None else device
        kw = dict(rng=rng, dtype=dtype, device=device)
        self.nhead = nhead
        self.embed = Embedding(vocab_size, d_model, **kw)
        self.positions = LearnedPositions(max_len, d_model, **kw)
        self.layers = torch.nn.ModuleList(
            TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True, **kw)
            for _ in range(num_layers))
        for layer in self.layers:
            layer.store_attention = True
        self.head = Dense(d_model, vocab_size, **kw)

    @property
    def device(self):
        return self.head.weight.device

    def forward(self, ids):
        ids = torch.as_tensor(ids, device=self.device)
        h = self.embed(ids) + self.positions(ids.shape[1])                      # (N, L, D)
        for layer in self.layers:
            h = layer(h)
        return self.head(h)                                                     # (N, L, V)

    def attention_maps(self):
        """(num_layers, N, nhead, L, L): the weights of the last forward pass."""
        return torch.stack([layer.attention for layer in self.layers])


def train_tagger(model, x, y, epochs=10, batch_size=64, lr=3e-3, seed=0):
    """Adam on the cross-entropy of every position's logits against y (N, L); returns each epoch's mean loss."""
    x, y = torch.as_tensor(x, device=model.device), torch.as_tensor(y, device=model.device)
    return adam_epochs(model, len(x), lambda idx: cross_entropy(model(x[idx]).transpose(1, 2), y[idx]),  # (B, V, L)
                       epochs, batch_size, lr, seed=seed)
