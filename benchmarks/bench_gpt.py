"""GPT training throughput in tokens per second: the NumPy GPT (companion.np.GPT, backward by hand, Adam from
companion.np.optim) against the PyTorch GPT (companion.torch.GPT on companion's layers, and with fused=True on
torch.nn's TransformerEncoderLayer) and against the same model built from torch.nn layers alone, at the size
of the chapter's character model, side by side in one run.

    .venv/bin/python benchmarks/bench_gpt.py               # every library with its default threads
    .venv/bin/python benchmarks/bench_gpt.py --one-thread  # one thread each, timed in CPU seconds
    .venv/bin/python benchmarks/bench_gpt.py --device cuda # the PyTorch rows on a GPU (NumPy stays on the CPU)

One training step: forward over an (N, T) batch, mean cross-entropy of the next characters, backward, one Adam
update of every parameter. Prints ms per step, tokens per second (N T / step time) and each row's time
relative to the PyTorch GPT. Asserts nothing: each time is the best of several repeats, the rows' steps
alternating so that all meet the same load (benchmarks/_timing.py).
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import companion.np as cnp  # noqa: E402
import companion.torch as ct  # noqa: E402
from companion.np.optim import adam  # noqa: E402

limit_threads(torch)
# the chapter's character model: the book's ~56 characters, d_model 64, 2 blocks of 4 heads, windows of 64
VOCAB, D_MODEL, LAYERS, HEADS, SEQ, BATCH = 56, 64, 2, 4, 64, 32


def numpy_step(model, x, y):
    """Forward, cross-entropy, backward by hand, Adam on every parameter (in place)."""
    states = {}

    def step():
        logits = model.forward(x)                                              # (N, T, V)
        flat = logits.reshape(-1, VOCAB)
        model.backward(cnp.cross_entropy_grad(flat, y.reshape(-1)).reshape(logits.shape))
        for name, param in model.parameters().items():
            param[...], states[name] = adam(param, model.grads[name], states.get(name), lr=1e-3)
    return step


def torch_step(model, x, y):
    """The same with autograd and torch.optim.Adam; synchronizes a GPU so that the time covers the work."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if x.is_cuda:
            torch.cuda.synchronize()
    return step


class TorchNN(torch.nn.Module):
    """The same model from torch.nn alone (plain PyTorch): nn.Embedding tables, nn.TransformerEncoderLayer
    blocks with a causal mask, nn.LayerNorm, a head tied to the token table."""

    def __init__(self, dtype, device):
        super().__init__()
        kw = dict(dtype=dtype, device=device)
        self.tok_emb = torch.nn.Embedding(VOCAB, D_MODEL, **kw)
        self.pos_emb = torch.nn.Embedding(SEQ, D_MODEL, **kw)
        self.blocks = torch.nn.ModuleList(torch.nn.TransformerEncoderLayer(
            D_MODEL, HEADS, 4 * D_MODEL, 0.0, activation="gelu", batch_first=True, norm_first=True, **kw)
            for _ in range(LAYERS))
        self.norm = torch.nn.LayerNorm(D_MODEL, **kw)
        self.head = torch.nn.Linear(D_MODEL, VOCAB, bias=False, **kw)
        self.head.weight = self.tok_emb.weight

    def forward(self, ids):
        T = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb(torch.arange(T, device=ids.device))
        mask = torch.nn.Transformer.generate_square_subsequent_mask(T, device=ids.device, dtype=h.dtype)
        for block in self.blocks:
            h = block(h, src_mask=mask, is_causal=True)
        return self.head(self.norm(h))


def main():
    device = sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu"
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (BATCH, SEQ))
    y = rng.integers(0, VOCAB, (BATCH, SEQ))
    tokens = BATCH * SEQ
    print(f"threads: {'one' if ONE_THREAD else 'default'} (torch uses {torch.get_num_threads()}); "
          f"torch device: {device}")
    print(f"GPT: vocab {VOCAB}, d_model {D_MODEL}, {LAYERS} blocks of {HEADS} heads, batch {BATCH} x {SEQ} "
          f"tokens; one step = forward + backward + Adam")
    print(f"{'model':<34} {'dtype':<8} {'ms/step':>9} {'tokens/s':>10} {'x torch GPT':>12}")
    for dtype_name, np_dtype, torch_dtype in [("float32", np.float32, torch.float32),
                                              ("float64", np.float64, torch.float64)]:
        mine = cnp.GPT(VOCAB, D_MODEL, LAYERS, HEADS, max_len=SEQ, rng=np.random.default_rng(1), dtype=np_dtype)
        state = {k: torch.as_tensor(v) for k, v in mine.state_dict().items()}
        models = {"PyTorch GPT (companion's layers)": ct.GPT(VOCAB, D_MODEL, LAYERS, HEADS, max_len=SEQ,
                                                             dtype=torch_dtype, device=device),
                  "PyTorch GPT, fused=True": ct.GPT(VOCAB, D_MODEL, LAYERS, HEADS, max_len=SEQ, dtype=torch_dtype,
                                                    device=device, fused=True),
                  "plain torch.nn model": TorchNN(torch_dtype, device)}
        for model in models.values():
            model.load_state_dict(state)
        tx, ty = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device)
        steps = [numpy_step(mine, x, y)] + [torch_step(m, tx, ty) for m in models.values()]
        times = best_times(steps, repeats=5)
        reference = times[1]
        for name, t in zip(["NumPy GPT (backward by hand)", *models], times):
            print(f"{name:<34} {dtype_name:<8} {1e3 * t:>9.1f} {tokens / t:>10.0f} {t / reference:>12.2f}")


if __name__ == "__main__":
    main()
