"""A decoder-only transformer language model (GPT, Radford et al. 2018) in NumPy, backward by hand
(chapter: Transformers). The same model, names and initialization as :mod:`companion.torch.gpt`:

    h_0 = E[ids] + P[0 .. T-1]                       token table E (V, D), learned positions P (max_len, D)
    h_l = block_l(h_{l-1}, causal mask), l = 1 .. n_layers     pre-norm TransformerEncoderLayer blocks
    logits = LN(h_L) W_head^T                        W_head = E when tied (Press & Wolf 2017)

Backward, from dlogits (N, T, V): with z = LN(h_L),

    dz = dlogits W_head,  dW_head = sum over (n, t) of dlogits[n, t]^T z[n, t],
    dh_L = LN's backward of dz, then each block's backward in reverse order down to dh_0;
    dE = the lookup's gradient of dh_0 (+ dW_head when tied: one matrix, two uses, the gradients add);
    dP[t] = sum over n of dh_0[n, t].
"""

import numpy as np

from companion._gpt import causal_float_mask, check_generate_args, check_gpt_args, check_ids, embedding_tables
from companion.np._state import TrainMode, checked_state
from companion.np.dense import Dense, dense_backward, dense_forward
from companion.np.embedding import Embedding
from companion.np.normalization import LayerNorm
from companion.np.positional import LearnedPositions
from companion.np.sampling import sample_next
from companion.np.transformer import TransformerEncoderLayer


class GPT(TrainMode):
    """GPT(vocab_size, d_model, n_layers, n_heads, d_ff=4 d_model, max_len, dropout, tied) in NumPy.

    ``forward(ids)`` (N, T) -> logits (N, T, V); ``backward(dlogits)`` fills ``grads`` ({torch name: array},
    the token table's entry summing both uses when tied); ``state_dict()`` / ``load_state_dict()`` use
    companion.torch.GPT's names (head.weight included, the token table itself when tied), so weights copy both
    ways. Parameters are drawn from ``rng`` in the torch twin's order (tables, blocks, head). Dropout (in the
    blocks, training mode only) draws its masks from ``rng`` too.
    """

    def __init__(self, vocab_size, d_model=64, n_layers=2, n_heads=4, d_ff=None, max_len=128, dropout=0.0, tied=True,
                 *, rng=None, dtype=np.float64):
        d_ff = check_gpt_args(vocab_size, d_model, n_layers, n_heads, d_ff, max_len, dropout)
        self.vocab_size, self.d_model, self.n_layers, self.n_heads = vocab_size, d_model, n_layers, n_heads
        self.d_ff, self.max_len, self.dropout, self.tied = d_ff, max_len, dropout, tied
        tokens, positions = embedding_tables(vocab_size, d_model, max_len, rng)
        self.tok_emb = Embedding(vocab_size, d_model, _weight=tokens, dtype=dtype)
        self.pos_emb = LearnedPositions(max_len, d_model, _weight=positions, dtype=dtype)
        self.blocks = [TransformerEncoderLayer(d_model, n_heads, d_ff, dropout, activation="gelu", batch_first=True,
                                               norm_first=True, rng=rng, dtype=dtype) for _ in range(n_layers)]
        self.norm = LayerNorm(d_model, dtype=dtype)
        self.head = Dense(d_model, vocab_size, bias=False, rng=rng, dtype=dtype)
        if tied:
            self.head.weight = self.tok_emb.weight        # one array: lookup table and output weights
        self.training, self.grads, self._cache = True, {}, None

    def forward(self, ids):
        """ids (N, T) integers -> logits (N, T, vocab_size); keeps what backward needs."""
        ids = np.asarray(ids)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
        check_ids(ids.shape, ids.ndim, self.vocab_size, self.max_len,
                  *((int(ids.min()), int(ids.max())) if ids.size else (0, 0)))
        T = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb(T)                               # (N, T, D)
        mask = causal_float_mask(T, h.dtype)                                   # (T, T): -inf above the diagonal
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)                        # (N, T, D)
        logits, self._cache = dense_forward(self.norm(h), self.head.weight)    # (N, T, V)
        return logits

    __call__ = forward

    def backward(self, dlogits):
        """Fills ``grads`` from dL/dlogits (N, T, V); returns None (token ids have no gradient)."""
        if self._cache is None:
            raise RuntimeError("backward called before forward")
        dz, dhead, _ = dense_backward(dlogits, self._cache)                   # (N, T, D), (V, D)
        dh = self.norm.backward(dz)
        grads = {}
        for i in reversed(range(self.n_layers)):
            dh = self.blocks[i].backward(dh)
            grads = {**{f"blocks.{i}.{k}": g for k, g in self.blocks[i].grads.items()}, **grads}
        self.tok_emb.backward(dh)
        self.pos_emb.backward(dh.sum(axis=0))                                  # positions broadcast over N
        dtable = self.tok_emb.grads["weight"] + (dhead if self.tied else 0)
        self.grads = {"tok_emb.weight": dtable, "pos_emb.weight": self.pos_emb.grads["weight"], **grads,
                      **{f"norm.{k}": g for k, g in self.norm.grads.items()},
                      **({} if self.tied else {"head.weight": dhead})}

    def state_dict(self):
        """{name: array} in companion.torch.GPT's order; head.weight is the token table itself when tied."""
        out = {"tok_emb.weight": self.tok_emb.weight, "pos_emb.weight": self.pos_emb.weight}
        for i, block in enumerate(self.blocks):
            out.update({f"blocks.{i}.{k}": v for k, v in block.state_dict().items()})
        out.update({f"norm.{k}": v for k, v in self.norm.parameters().items()})
        out["head.weight"] = self.head.weight
        return out

    def parameters(self):
        """{name: array}, each trained array once (no head.weight when tied), as torch's named_parameters."""
        state = self.state_dict()
        if self.tied:
            del state["head.weight"]
        return state

    def load_state_dict(self, state):
        """Copy parameters in from a dict with these names (arrays or tensors, e.g. companion.torch.GPT's state
        dict). When tied, tok_emb.weight and head.weight fill one array; head.weight, read last, wins (as torch)."""
        state = checked_state(state, self.state_dict())
        self.tok_emb.weight[...] = state["tok_emb.weight"]
        self.pos_emb.weight[...] = state["pos_emb.weight"]
        for i, block in enumerate(self.blocks):
            block.load_state_dict({k: state[f"blocks.{i}.{k}"] for k in block.state_dict()})
        for k, v in self.norm.parameters().items():
            v[...] = state[f"norm.{k}"]
        self.head.weight[...] = state["head.weight"]

    def train(self, mode=True):
        self.training = bool(mode)
        for block in self.blocks:
            block.train(mode)
        return self

    def generate(self, ids, max_new_tokens, temperature=1.0, top_k=None, rng=None):
        """ids (N, T) or (T,) followed by ``max_new_tokens`` tokens drawn by :func:`companion.np.sample_next`
        (``rng``: a numpy Generator, None for NumPy's global one) from the last position's logits given the
        last ``max_len`` tokens. temperature 0 is greedy. Runs in eval mode and restores the mode it found."""
        check_generate_args(max_new_tokens)
        ids = np.asarray(ids, dtype=np.int64)
        single = ids.ndim == 1
        ids = ids[None] if single else ids
        was_training = self.training
        self.eval()
        try:
            for _ in range(max_new_tokens):
                logits = self.forward(ids[:, -self.max_len:])[:, -1]           # (N, V)
                token = np.asarray(sample_next(logits, temperature, top_k, rng)).reshape(-1)
                ids = np.concatenate([ids, token[:, None]], axis=1)
        finally:
            self.train(was_training)
        return ids[0] if single else ids

    def __repr__(self):
        return (f"GPT(vocab_size={self.vocab_size}, d_model={self.d_model}, n_layers={self.n_layers}, "
                f"n_heads={self.n_heads}, d_ff={self.d_ff}, max_len={self.max_len}, tied={self.tied})")
