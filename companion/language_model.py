"""Recurrent language models in PyTorch (chapter: Recurrent neural networks): embedding → RNN, LSTM or
GRU → linear layer to the vocabulary, trained by truncated backpropagation through time with gradient
clipping, scored by perplexity, and sampled from.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from companion import torch as ct
from companion._runtime import device as default_device
from companion.torch.clip import clip_grad_norm_, total_norm
from companion._validate import NonFiniteError
from companion.data.text import stream_batches

class RecurrentLM(torch.nn.Module):
    """P(w_{t+1} | w_1 … w_t) = softmax(W_out h_t + b_out), h_t from a ``kind`` layer over embeddings.

    ``forward(ids, state=None)``: ids (N, T) int64 → (logits (N, T, V), final state). The recurrent layer
    is companion.torch's (``fused`` runs torch's own kernel on its parameters, for speed), the embedding's and
    the recurrent layer's initial weights drawn from the NumPy generator ``rng``, the output layer's from torch's.
    """

    def __init__(self, vocab_size, kind="lstm", embed_size=32, hidden_size=128, dtype=torch.float32, fused=True,
                 rng=None, device=None, **layer_options):
        super().__init__()
        self.kind = kind
        device = default_device() if device is None else device   # every layer on one device (a GPU if any)
        self.embedding = ct.Embedding(vocab_size, embed_size, rng=rng, dtype=dtype, device=device)
        self.rnn = ct.layer_class(kind)(embed_size, hidden_size, batch_first=True, dtype=dtype, fused=fused, rng=rng,
                               device=device, **layer_options)
        self.out = torch.nn.Linear(hidden_size, vocab_size, dtype=dtype, device=device)

    def forward(self, ids, state=None):
        ids = torch.as_tensor(ids, device=self.out.weight.device)   # NumPy or CPU ids move to the model
        output, state = self.rnn(self.embedding(ids), state)     # (N, T, H)
        return self.out(output), state                          # (N, T, V)


@dataclass
class LMHistory:
    step_loss: list = field(default_factory=list)      # every update's mean cross-entropy (nats per token)
    grad_norm: list = field(default_factory=list)      # every update's gradient norm before clipping
    seconds: float = 0.0


def train_lm(model, train_ids, epochs=1, batch_size=32, seq_len=32, lr=0.01, clip=1.0, optimizer="adam",
             carry_state=True, max_updates=None):
    """Truncated BPTT: the stream in ``batch_size`` rows, ``seq_len`` steps per update; with
    ``carry_state`` each batch starts from the previous batch's final state, detached, so gradients flow
    back at most ``seq_len`` steps while the state carries on. ``clip``: max gradient norm (None: off).
    A loss that stops being finite ends training. Returns an :class:`LMHistory`."""
    params = [p for p in model.parameters()]
    opt = torch.optim.Adam(params, lr=lr) if optimizer == "adam" else torch.optim.SGD(params, lr=lr)
    history, start = LMHistory(), time.perf_counter()
    model.train()
    for _ in range(epochs):
        state = None
        for x, y in stream_batches(train_ids, batch_size, seq_len):
            logits, state = model(torch.as_tensor(x), ct.detach_state(state) if carry_state else None)
            try:
                loss = ct.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                        torch.as_tensor(y, device=logits.device).reshape(-1))
            except NonFiniteError:                # the weights have already blown up: report, do not raise
                history.step_loss.append(float("nan"))
                break
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                norm = clip_grad_norm_(params, clip)
            else:
                norm = total_norm([p.grad for p in params])
            history.step_loss.append(loss.item())
            history.grad_norm.append(float(norm))
            if not np.isfinite(history.step_loss[-1]):
                break
            opt.step()
            if max_updates is not None and len(history.step_loss) >= max_updates:
                break
        if history.step_loss and (not np.isfinite(history.step_loss[-1]) or
                                  (max_updates is not None and len(history.step_loss) >= max_updates)):
            break
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def next_token_probs(model, ids):
    """(len(ids) - 1, V) float64: row t is P(· | ids[:t + 1]), the whole stream read in one pass."""
    model.eval()
    logits, _ = model(torch.as_tensor(np.asarray(ids))[None, :-1])   # (1, T - 1, V)
    return torch.softmax(logits[0].double(), dim=-1).cpu().numpy()


def log_probs(model, ids):
    """(len(ids) - 1,) log P(ids[t] | ids[:t]) for t = 1 …, the whole stream read in one pass."""
    ids = np.asarray(ids)
    probs = next_token_probs(model, ids)
    return np.log(probs[np.arange(len(ids) - 1), ids[1:]])


@torch.no_grad()
def forget_gates(model, ids):
    """(len(ids), H) float64: the LSTM language model's forget gate f_t = σ(W_if e_t + b_if + W_hf h_{t-1} + b_hf)
    at every step of reading ``ids`` from a zero state (e_t the embedding of ids[t]; gate rows H … 2H, torch's
    order i, f, g, o)."""
    if model.kind != "lstm":
        raise ValueError(f"forget gates belong to an LSTM, not a {model.kind!r} model")
    model.eval()
    emb = model.embedding(torch.as_tensor(np.asarray(ids), device=model.out.weight.device)[None])  # (1, T, E)
    hs, _ = model.rnn(emb)                                                  # (1, T, H): h_1 … h_T
    p = {k: t.detach().double() for k, t in model.rnn.state_dict().items()}
    rows = slice(hs.shape[-1], 2 * hs.shape[-1])
    h_prev = torch.cat([torch.zeros_like(hs[0, :1]), hs[0, :-1]]).double()   # h_0 = 0, …, h_{T-1}
    a = (emb[0].double() @ p["weight_ih_l0"][rows].T + p["bias_ih_l0"][rows]
         + h_prev @ p["weight_hh_l0"][rows].T + p["bias_hh_l0"][rows])
    return torch.sigmoid(a).cpu().numpy()


@torch.no_grad()
def generate(model, prompt_ids, steps, choose):
    """Feed ``prompt_ids``, then ``steps`` times ask ``choose(logits)`` for the next token and feed it back.

    prompt_ids (P,) gives one continuation: choose sees a (V,) NumPy array, and the result is (steps,).
    prompt_ids (N, P) continues N prompts at once: choose sees (N, V) and returns (N,); the result is
    (N, steps).
    """
    model.eval()
    prompt = np.asarray(prompt_ids)
    batched = prompt.ndim == 2
    logits, state = model(torch.as_tensor(prompt if batched else prompt[None]))
    out = []
    for _ in range(steps):
        last = logits[:, -1].double().cpu().numpy()                         # (N, V)
        tokens = np.asarray(choose(last if batched else last[0]), dtype=np.int64).reshape(-1)
        out.append(tokens)
        logits, state = model(torch.as_tensor(tokens)[:, None], state)
    out = np.stack(out, axis=1)                                             # (N, steps)
    return out if batched else out[0]
