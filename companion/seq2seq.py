"""A small encoder–decoder (sequence to sequence) in PyTorch: teacher-forced training, greedy decoding.

Sutskever, Vinyals and Le (2014); Cho et al. (2014). The encoder reads the source and hands its final
state to the decoder, which writes the target one token at a time. With ``attention=True`` (Bahdanau, Cho
and Bengio 2015) the decoder also looks back at the encoder's outputs at every step: additive attention,
queried with the decoder's state, gives a context vector that replaces the fixed summary as the decoder's
second input, and the weights of the last call are kept in ``decoder.attention_map`` (N, T, S).

Shapes: source ids (N, S) padded after the end, with lengths (N,); target ids (N, T) ending in <eos>.
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from companion._runtime import device as default_device
from companion.torch.attention import AdditiveAttention
from companion.torch.dense import Dense
from companion.torch.embedding import Embedding
from companion.torch.losses import cross_entropy
from companion.torch.optim import adam_epochs
from companion.torch.recurrent import layer_class


@dataclass
class Seq2SeqConfig:
    src_vocab: int
    tgt_vocab: int
    embed: int = 32
    hidden: int = 128
    cell: str = "gru"
    pad: int = 0
    bos: int = 1
    eos: int = 2
    fused: bool = True  # torch's kernel on the same parameters; False runs the step-by-step code
    attention: bool = False  # Bahdanau attention over the encoder's outputs (a context at every step)
    attention_hidden: int = 0  # size of the additive attention's hidden layer; 0 means ``hidden``


class Encoder(torch.nn.Module):
    """Embedding, then a recurrent layer over the valid steps only (packed by length)."""

    def __init__(self, config, rng=None, device=None):
        super().__init__()
        self.embed = Embedding(config.src_vocab, config.embed, padding_idx=config.pad, rng=rng, device=device)
        self.rnn = layer_class(config.cell)(config.embed, config.hidden, batch_first=True, fused=config.fused, rng=rng,
                                      device=device)

    def forward(self, src, lengths):
        """(outputs (N, S, H), state): outputs zero past each length; state at each source's last valid step."""
        packed = pack_padded_sequence(self.embed(src), torch.as_tensor(lengths).cpu(), batch_first=True,
                                      enforce_sorted=False)
        outputs, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=src.shape[1])
        return outputs, state


def _top_hidden(state):
    """The last layer's hidden state (N, H) from a GRU/RNN state or an LSTM's (h, c)."""
    h = state[0] if isinstance(state, tuple) else state
    return h[-1]


class Decoder(torch.nn.Module):
    """Embedding, a recurrent layer started from the encoder's state, and a linear layer to logits.

    As in Cho et al. (2014), the encoder's summary c (its final hidden state) is also an input at every
    step, beside the previous token: the decoder need not carry c through its own state to the end.
    With ``config.attention`` the second input is instead c_t = sum_s a_ts h_s, the encoder's outputs h_s
    weighted by additive attention a_t = softmax_s(w^T tanh(W_q q_t + W_k h_s)) queried with the decoder's
    top-layer state q_t before step t (Bahdanau, Cho and Bengio 2015); padding gets no weight. The score and
    the context as a recurrent input are the paper's; simpler than theirs, the encoder reads one way only
    (theirs is bidirectional), the decoder starts from the encoder's last state (theirs from a projection
    of the backward encoder's first), and the output layer reads the state alone (theirs also c_t and
    y_{t-1}, through maxout).
    """

    def __init__(self, config, rng=None, device=None):
        super().__init__()
        self.embed = Embedding(config.tgt_vocab, config.embed, rng=rng, device=device)
        self.rnn = layer_class(config.cell)(config.embed + config.hidden, config.hidden, batch_first=True,
                                      fused=config.fused, rng=rng, device=device)
        self.out = Dense(config.hidden, config.tgt_vocab, rng=rng, device=device)
        self.attention = None  # drawn after the other layers: the model without attention stays the same
        if config.attention:
            self.attention = AdditiveAttention(config.hidden, config.hidden, config.attention_hidden or config.hidden,
                                               rng=rng, device=device)
        self.attention_map = None

    def forward(self, tokens, state, context, memory=None, padding=None):
        """tokens (N, T), state, context (N, H) -> (logits (N, T, V), new state).

        With attention, ``memory`` (N, S, H) is the encoder's outputs and ``padding`` (N, S) True at padded
        source steps; ``context`` is then unused, and the weights land in ``attention_map`` (N, T, S).
        """
        tokens = self.embed(tokens)                                              # (N, T, E)
        if self.attention is None:
            context = context[:, None, :].expand(-1, tokens.shape[1], -1)        # (N, T, H)
            outputs, state = self.rnn(torch.cat([tokens, context], dim=-1), state)
            return self.out(outputs), state
        outputs, weights = [], []
        for t in range(tokens.shape[1]):                  # step by step: each query is the state before step t
            query = _top_hidden(state)[:, None, :]                               # (N, 1, H)
            context = self.attention(query, memory, memory, key_padding_mask=padding)   # (N, 1, H)
            weights.append(self.attention.attention_weights)                     # (N, 1, S)
            output, state = self.rnn(torch.cat([tokens[:, t:t + 1], context], dim=-1), state)
            outputs.append(output)
        self.attention_map = torch.cat(weights, dim=1)                           # (N, T, S)
        return self.out(torch.cat(outputs, dim=1)), state


class Seq2Seq(torch.nn.Module):
    """Encoder and decoder, initialized from a NumPy ``rng`` (a seed or a Generator) on ``device``
    (default :func:`companion.device`)."""

    def __init__(self, config, rng=None, device=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        device = default_device() if device is None else device
        self.config = config
        self.encoder, self.decoder = Encoder(config, rng, device), Decoder(config, rng, device)

    @property
    def device(self):
        return self.decoder.out.weight.device

    def decoder_inputs(self, tgt):
        """Teacher forcing: <bos> followed by the true targets but the last, (N, T) -> (N, T)."""
        return torch.cat([torch.full_like(tgt[:, :1], self.config.bos), tgt[:, :-1]], dim=1)

    def forward(self, src, lengths, tgt):
        """Teacher-forced logits (N, T, V) on the model's device: at step t the decoder reads the true token t-1."""
        src, tgt = torch.as_tensor(src, device=self.device), torch.as_tensor(tgt, device=self.device)
        memory, state = self.encoder(src, lengths)
        logits, _ = self.decoder(self.decoder_inputs(tgt), state, _top_hidden(state), memory,
                                 self._padding(lengths, src.shape[1]))
        return logits

    def _padding(self, lengths, S):
        """(N, S) True at the padded source steps, for attention to skip."""
        return torch.arange(S, device=self.device) >= torch.as_tensor(lengths, device=self.device)[:, None]

    @torch.no_grad()
    def greedy(self, src, lengths, max_len):
        """(N, max_len) ids on the CPU: at each step the most likely token, fed back as the next input.

        With attention, ``decoder.attention_map`` then holds what each written token read, (N, max_len, S)."""
        src = torch.as_tensor(src, device=self.device)
        memory, state = self.encoder(src, lengths)
        context, padding = _top_hidden(state), self._padding(lengths, src.shape[1])
        token = torch.full((src.shape[0], 1), self.config.bos, dtype=torch.long, device=src.device)
        out, maps = [], []
        for _ in range(max_len):
            logits, state = self.decoder(token, state, context, memory, padding)
            token = logits.argmax(-1)                                   # (N, 1)
            out.append(token)
            maps.append(self.decoder.attention_map)
        if self.decoder.attention is not None:
            self.decoder.attention_map = torch.cat(maps, dim=1)         # (N, max_len, S): what each output read
        return torch.cat(out, dim=1).cpu()


def train_seq2seq(model, src, lengths, tgt, epochs=5, batch_size=64, lr=3e-3, clip=1.0, seed=0):
    """Teacher-forced training with Adam and gradient clipping; returns each epoch's mean loss (a list)."""
    src, tgt = torch.as_tensor(src, device=model.device), torch.as_tensor(tgt, device=model.device)
    lengths = torch.as_tensor(lengths)                     # stays on the CPU, as packing wants

    def batch_loss(idx):
        logits = model(src[idx], lengths[idx], tgt[idx])                                  # (B, T, V)
        return cross_entropy(logits.transpose(1, 2), tgt[idx], ignore_index=model.config.pad)  # (B, V, T), (B, T)

    return adam_epochs(model, len(src), batch_loss, epochs, batch_size, lr, seed=seed, clip=clip)


def exact_match(predicted, expected):
    """The fraction of predicted strings equal to the expected ones."""
    if len(predicted) != len(expected):
        raise ValueError(f"{len(predicted)} predictions for {len(expected)} targets")
    return float(np.mean([p == e for p, e in zip(predicted, expected)])) if expected else float("nan")

