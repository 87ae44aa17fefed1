"""companion.torch.LSTM / GRU step by step (``fused=False``, the readable torch ops) against ``fused=True``
(torch's own kernel on the same parameters) and torch.nn.LSTM / GRU, forward+backward on the CPU, in one run.

    .venv/bin/python benchmarks/bench_lstm_torch.py               # torch with its default threads
    .venv/bin/python benchmarks/bench_lstm_torch.py --one-thread  # one thread, timed in CPU seconds

Prints each time and the ratios to torch.nn. Asserts nothing: timings on a shared machine are noisy, so each
time is the best of several repeats, the three versions' calls alternating so that all meet the same load.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402

from companion import torch as ct  # noqa: E402

limit_threads(torch)
SIZES = [("chapter", 35, 32, 64, 128), ("issue", 100, 32, 128, 128)]  # (name, T, N, I, H)


def forward_backward(layer, x):
    def step():
        layer.zero_grad()
        out, _ = layer(x)
        out.square().mean().backward()
    return step


def row(kind, t, n, i, h):
    ours = {"lstm": ct.LSTM, "gru": ct.GRU}[kind](i, h, rng=np.random.default_rng(0), device="cpu")
    ref = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](i, h)
    ref.load_state_dict(ours.state_dict())
    fused = {"lstm": ct.LSTM, "gru": ct.GRU}[kind](i, h, device="cpu", fused=True)
    fused.load_state_dict(ours.state_dict())
    x = torch.randn(t, n, i)
    return best_times([forward_backward(m, x) for m in (ours, fused, ref)])


def main():
    print(f"torch {torch.__version__}, float32, CPU, {'one thread' if ONE_THREAD else 'default threads'}")
    print(f"{'layer':6} {'size':8} {'T,N,I,H':>16} {'steps ms':>9} {'fused ms':>9} {'torch.nn ms':>12} "
          f"{'steps/nn':>9} {'fused/nn':>9}")
    for kind in ("lstm", "gru"):
        for name, t, n, i, h in SIZES:
            steps, fused, ref = row(kind, t, n, i, h)
            print(f"{kind:6} {name:8} {f'{t},{n},{i},{h}':>16} {steps * 1e3:9.1f} {fused * 1e3:9.1f} "
                  f"{ref * 1e3:12.1f} {steps / ref:9.2f} {fused / ref:9.2f}")


if __name__ == "__main__":
    main()
