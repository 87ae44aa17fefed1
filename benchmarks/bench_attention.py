"""NumPy multi-head attention (companion.np.MultiheadAttention, forward and backward by hand) against
torch.nn.MultiheadAttention on the CPU, forward and backward, at the size chapter 10 trains (N=32, L=32,
E=64, 4 heads) and at a larger one (N=16, L=128, E=256, 8 heads), in one run.

    .venv/bin/python benchmarks/bench_attention.py               # both libraries with their default threads
    .venv/bin/python benchmarks/bench_attention.py --one-thread  # one thread each, timed in CPU seconds

Self-attention (one x as query, key and value, batch first), the gradient of L = Σ output ⊙ dout, with
``need_weights`` both ways: True is torch's default (the averaged weights are returned), False is how
torch.nn.TransformerEncoderLayer calls it (and lets torch use its fused attention kernel).

Prints a table of times and the ratio NumPy / torch (issue [8/11]'s goal is at most 2). Asserts nothing:
timings on a shared machine are noisy, so each time is the best of several repeats, the two libraries'
calls alternating so that both meet the same load.
"""

from _timing import best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402

import companion.np as cnp  # noqa: E402
from _layers import DTYPES, numpy_step, print_threads, torch_step  # noqa: E402

limit_threads(torch)
# (name, N, L, E, heads): chapter 10's small encoders, then a larger size
SIZES = [("chapter", 32, 32, 64, 4), ("larger", 16, 128, 256, 8)]


def main():
    rng = np.random.default_rng(0)
    print_threads()
    print(f"{'size':<8} {'N':>3} {'L':>4} {'E':>4} {'H':>2} {'dtype':<8} {'weights':<7} {'numpy ms':>9} "
          f"{'torch ms':>9} {'ratio':>6}")
    for name, batch, length, embed_dim, heads in SIZES:
        for dtype_name, np_dtype, torch_dtype in DTYPES:
            layer = cnp.MultiheadAttention(embed_dim, heads, batch_first=True, rng=rng, dtype=np_dtype)
            net = torch.nn.MultiheadAttention(embed_dim, heads, batch_first=True, dtype=torch_dtype)
            net.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
            x = rng.normal(size=(batch, length, embed_dim)).astype(np_dtype)
            dout = rng.normal(size=(batch, length, embed_dim)).astype(np_dtype)
            x_t = torch.tensor(x, requires_grad=True)
            for need_weights in (True, False):
                t_np, t_torch = best_times([numpy_step(layer, (x, x, x), dout, need_weights=need_weights),
                                            torch_step(net, (x_t, x_t, x_t), torch.tensor(dout),
                                                       need_weights=need_weights)])
                print(f"{name:<8} {batch:>3} {length:>4} {embed_dim:>4} {heads:>2} {dtype_name:<8} "
                      f"{str(need_weights):<7} {1e3 * t_np:>9.2f} {1e3 * t_torch:>9.2f} {t_np / t_torch:>6.2f}")


if __name__ == "__main__":
    main()
