"""Language models in PyTorch (chapter: Recurrent neural networks): embedding → RNN, LSTM or GRU → linear
layer to the vocabulary, trained by truncated backpropagation through time with gradient clipping, scored by
perplexity, and sampled from. :func:`train_lm` also trains a model without a recurrent state, the GPT of
companion.torch.gpt (chapter: Transformers), on the same windows, with an optional learning-rate schedule
(:func:`warmup_cosine`) and a record of validation loss against training time (:func:`evaluate_lm`).
"""

import inspect
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch

from companion import torch as ct
from companion._runtime import device as default_device
from companion.torch.clip import clip_grad_norm_, total_norm
from companion._validate import NonFiniteError
from companion.data.text import stream_batches
from companion.np import schedules as np_schedules

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
    seconds: float = 0.0                               # training time, validation excluded
    lr: list = field(default_factory=list)             # every update's learning rate
    valid: list = field(default_factory=list)          # (training seconds so far, updates, validation loss)


def warmup_cosine(warmup, total, start_factor=0.01, eta_min=0.0):
    """A linear warm-up from start_factor x lr to lr over ``warmup`` updates, then a cosine decay to ``eta_min``
    by update ``total`` (companion.np.schedules.SequentialLR of LinearLR and CosineAnnealingLR; warmup 0: the
    cosine alone). For :func:`train_lm`'s ``schedule``, stepped once per update."""
    if warmup == 0:
        return np_schedules.CosineAnnealingLR(total, eta_min)
    if not 0 < warmup < total:
        raise ValueError(f"warmup must lie in [0, total), got warmup={warmup!r}, total={total!r}")
    return np_schedules.SequentialLR((np_schedules.LinearLR(start_factor, 1.0, warmup),
                                      np_schedules.CosineAnnealingLR(total - warmup, eta_min)), (warmup,))


def _stateful(model):
    """Whether ``model`` carries a recurrent state: forward(ids, state) -> (logits, state), as RecurrentLM."""
    return "state" in inspect.signature(model.forward).parameters


def _logits(model, x, state=None):
    """(logits (N, T, V), state): a recurrent model's state, None for a model without one (a GPT)."""
    if _stateful(model):
        return model(x, state)
    return model(x), None


@torch.no_grad()
def evaluate_lm(model, ids, seq_len=32, batch_size=64):
    """Mean cross-entropy (nats per token) of predicting ids[t + 1] from the tokens before it, over the stream
    cut into non-overlapping windows of ``seq_len`` tokens, each read from a fresh start (no state carried in,
    the context a GPT with max_len >= seq_len sees too), in eval mode. The mode found is restored."""
    ids = np.asarray(ids)
    n = (len(ids) - 1) // seq_len
    if n < 1:
        raise ValueError(f"a stream of {len(ids)} tokens is too short for one window of {seq_len} tokens")
    starts = np.arange(n)[:, None] * seq_len + np.arange(seq_len)       # (n, T)
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        for b in range(0, n, batch_size):
            x, y = ids[starts[b:b + batch_size]], ids[starts[b:b + batch_size] + 1]
            logits, _ = _logits(model, torch.as_tensor(x))
            total += torch.nn.functional.cross_entropy(
                # at least float32 (half precision would round the sum); not float64, which MPS lacks
                logits.reshape(-1, logits.shape[-1]).to(torch.promote_types(logits.dtype, torch.float32)),
                torch.as_tensor(y, device=logits.device).reshape(-1),
                reduction="sum").item()
    finally:
        model.train(was_training)
    return total / (n * seq_len)


def train_lm(model, train_ids, epochs=1, batch_size=32, seq_len=32, lr=0.01, clip=1.0, optimizer="adam",
             carry_state=True, max_updates=None, *, schedule=None, valid_ids=None, eval_every=None, max_seconds=None,
             weight_decay=0.0):
    """Train a language model on the stream cut into ``batch_size`` rows, ``seq_len`` steps per update.

    ``model``: a recurrent one (forward(ids, state) -> (logits, state), as :class:`RecurrentLM`), trained by
    truncated BPTT: with ``carry_state`` each batch starts from the previous batch's final state, detached, so
    gradients flow back at most ``seq_len`` steps while the state carries on; or one without a state
    (forward(ids) -> logits, as companion.torch.GPT), each (N, seq_len) window read on its own.
    ``clip``: max gradient norm (None: off). ``optimizer``: "adam", "adamw" (with ``weight_decay``) or "sgd".
    ``schedule``: a learning-rate schedule with ``lr(base_lr, t)`` (companion.np.schedules, or
    :func:`warmup_cosine`), applied before update t = 0, 1, ... (once per update, not per epoch).
    ``valid_ids``: a validation stream scored by :func:`evaluate_lm` (windows of seq_len) before the first
    update, every ``eval_every`` updates (default: once per epoch) and at the end, each recorded in
    ``history.valid`` as (training seconds so far, updates, loss); evaluation time is not counted.
    ``max_seconds``: stop after this much training time. A loss that stops being finite ends training.
    Returns an :class:`LMHistory`.
    """
    params = [p for p in model.parameters()]
    if optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam', 'adamw' or 'sgd', got {optimizer!r}")
    history, clock = LMHistory(), _Clock()
    stateful = _stateful(model)

    def validate():
        if valid_ids is not None:
            with clock.paused():
                history.valid.append((clock.seconds(), len(history.step_loss), evaluate_lm(model, valid_ids, seq_len)))

    validate()
    model.train()
    stop = False
    for _ in range(epochs):
        state = None
        for x, y in stream_batches(train_ids, batch_size, seq_len):
            if schedule is not None:
                for group in opt.param_groups:
                    group["lr"] = schedule.lr(lr, len(history.step_loss))
            logits, state = _logits(model, torch.as_tensor(x),
                                    ct.detach_state(state) if carry_state and stateful else None)
            try:
                loss = ct.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                        torch.as_tensor(y, device=logits.device).reshape(-1))
            except NonFiniteError:                # the weights have already blown up: report, do not raise
                history.step_loss.append(float("nan"))
                stop = True
                break
            opt.zero_grad()
            loss.backward()
            if clip is not None:
                norm = clip_grad_norm_(params, clip)
            else:
                norm = total_norm([p.grad for p in params])
            history.step_loss.append(loss.item())
            history.grad_norm.append(float(norm))
            history.lr.append(opt.param_groups[0]["lr"])
            if not np.isfinite(history.step_loss[-1]):
                stop = True
                break
            opt.step()
            updates = len(history.step_loss)
            if (max_updates is not None and updates >= max_updates) or (
                    max_seconds is not None and clock.seconds() >= max_seconds):
                stop = True
                break
            if eval_every is not None and updates % eval_every == 0:
                validate()
        if stop:
            break
        if eval_every is None:
            validate()
    if valid_ids is not None and (not history.valid or history.valid[-1][1] != len(history.step_loss)):
        validate()
    history.seconds = clock.seconds()
    return history


class _Clock:
    """Seconds of training: wall-clock time since it started, less the time spent inside ``paused()``."""

    def __init__(self):
        self.start, self.pause = time.perf_counter(), 0.0

    def seconds(self):
        return time.perf_counter() - self.start - self.pause

    @contextmanager
    def paused(self):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.pause += time.perf_counter() - t


@torch.no_grad()
def next_token_probs(model, ids):
    """(len(ids) - 1, V) float64: row t is P(· | ids[:t + 1]), the whole stream read in one pass (for a GPT,
    at most max_len + 1 tokens)."""
    model.eval()
    logits, _ = _logits(model, torch.as_tensor(np.asarray(ids))[None, :-1])   # (1, T - 1, V)
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
