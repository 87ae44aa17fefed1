"""A decoder-only transformer language model (GPT, Radford et al. 2018) in PyTorch; the NumPy twin is
:mod:`companion.np.gpt` (chapter: Transformers).

    h_0 = E[ids] + P[0 .. T-1]                       token table E (V, D), learned positions P (max_len, D)
    h_l = block_l(h_{l-1}, causal mask), l = 1 .. n_layers     pre-norm blocks:
          x + attn(LN1(x)),  then  x + FF(LN2(x)) with FF = W2 gelu(W1 x + b1) + b2
    logits = LN(h_L) W_head^T                        W_head = E when tied (Press & Wolf 2017)

Shapes: ids (N, T) integers, 1 <= T <= max_len; logits (N, T, V). Parameter names (state dict):
tok_emb.weight, pos_emb.weight, blocks.{i}.<torch.nn.TransformerEncoderLayer's names>, norm.weight,
norm.bias, head.weight (the same tensor as tok_emb.weight when tied, listed once by ``parameters()``).
"""

import torch

from companion._gpt import check_generate_args, check_gpt_args, check_ids, embedding_tables
from companion._runtime import device as default_device
from companion.torch.dense import Dense
from companion.torch.embedding import Embedding
from companion.torch.normalization import LayerNorm
from companion.torch.positional import LearnedPositions
from companion.torch.sampling import sample_next

from companion.torch.transformer import TransformerEncoderLayer


def _block(d_model, n_heads, d_ff, dropout, rng, dtype, device, fused):
    """One causal pre-norm block: TransformerEncoderLayer(..., activation="gelu", batch_first, norm_first).

    ``fused``: torch.nn's own layer (its kernels, faster), holding the parameters companion's layer drew."""
    options = dict(dim_feedforward=d_ff, dropout=dropout, activation="gelu", batch_first=True, norm_first=True,
                   dtype=dtype, device=device)
    block = TransformerEncoderLayer(d_model, n_heads, **options, rng=rng)
    if not fused:
        return block
    twin = torch.nn.TransformerEncoderLayer(d_model, n_heads, **options)
    twin.load_state_dict(block.state_dict())
    return twin


class GPT(torch.nn.Module):
    """GPT(vocab_size, d_model, n_layers, n_heads, d_ff=4 d_model, max_len, dropout, tied): see the module.

    The token and position tables are N(0, 0.02^2) (GPT-2's initialization), drawn from the NumPy ``rng``
    before the blocks' parameters, so the NumPy twin built from an equal generator starts equal.
    ``dropout`` acts inside the blocks (after attention, in the feed-forward layer and on each residual
    branch), only in training mode. ``fused=True`` runs each block as torch.nn.TransformerEncoderLayer (the
    same parameters and names, torch's own kernels: faster, but no ``store_attention``). Modules go to
    ``device`` (default :func:`companion.device`).
    """

    def __init__(self, vocab_size, d_model=64, n_layers=2, n_heads=4, d_ff=None, max_len=128, dropout=0.0, tied=True,
                 *, rng=None, dtype=None, device=None, fused=False):
        super().__init__()
        d_ff = check_gpt_args(vocab_size, d_model, n_layers, n_heads, d_ff, max_len, dropout)
        self.vocab_size, self.d_model, self.n_layers, self.n_heads = vocab_size, d_model, n_layers, n_heads
        self.d_ff, self.max_len, self.dropout, self.tied, self.fused = d_ff, max_len, dropout, tied, fused
        dtype = torch.get_default_dtype() if dtype is None else dtype
        device = default_device() if device is None else device
        tokens, positions = embedding_tables(vocab_size, d_model, max_len, rng)
        self.tok_emb = Embedding(vocab_size, d_model, _weight=tokens, dtype=dtype, device=device)
        self.pos_emb = LearnedPositions(max_len, d_model, _weight=positions, dtype=dtype, device=device)
        self.blocks = torch.nn.ModuleList(_block(d_model, n_heads, d_ff, dropout, rng, dtype, device, fused)
                                          for _ in range(n_layers))
        self.norm = LayerNorm(d_model, dtype=dtype, device=device)
        self.head = Dense(d_model, vocab_size, bias=False, rng=rng, dtype=dtype, device=device)
        if tied:
            self.head.weight = self.tok_emb.weight  # one tensor: its gradient sums the lookup's and the head's

    def forward(self, ids):
        """ids (N, T) integers (tensor or array) -> logits (N, T, vocab_size)."""
        weight = self.tok_emb.weight
        ids = torch.as_tensor(ids, device=weight.device)
        check_ids(tuple(ids.shape), ids.dim(), self.vocab_size, self.max_len,
                  *((int(ids.min()), int(ids.max())) if ids.numel() else (0, 0)))
        T = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb(T)                                   # (N, T, D)
        mask = torch.full((T, T), float("-inf"), dtype=weight.dtype, device=weight.device).triu(1)  # (T, T)
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)                          # (N, T, D)
        return self.head(self.norm(h))                                            # (N, T, V)

    @torch.no_grad()
    def generate(self, ids, max_new_tokens, temperature=1.0, top_k=None, generator=None):
        """ids (N, T) or (T,) followed by ``max_new_tokens`` tokens, each drawn by
        :func:`companion.torch.sample_next` from the logits of the last position given the last ``max_len``
        tokens (the context is cropped to the positions the model has). temperature 0 is greedy decoding.
        Runs in eval mode (no dropout) and restores the mode it found. ``generator``: a torch.Generator on the
        model's device, for repeatable draws. Returns (N, T + max_new_tokens) (or 1-D for a 1-D prompt).
        """
        check_generate_args(max_new_tokens)
        ids = torch.as_tensor(ids, device=self.tok_emb.weight.device).long()
        single = ids.dim() == 1
        ids = ids[None] if single else ids
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits = self(ids[:, -self.max_len:])[:, -1]                    # (N, V)
                token = sample_next(logits, temperature, top_k, generator)      # (N,)
                ids = torch.cat([ids, token[:, None].to(ids.device)], dim=1)
        finally:
            self.train(was_training)
        return ids[0] if single else ids

    def extra_repr(self):
        return (f"vocab_size={self.vocab_size}, d_model={self.d_model}, n_layers={self.n_layers}, "
                f"n_heads={self.n_heads}, d_ff={self.d_ff}, max_len={self.max_len}, tied={self.tied}")
