"""The NumPy LSTM (companion.np.lstm_forward + lstm_backward, by hand) against torch.nn.LSTM on the CPU,
forward and backward, at the sizes chapter 9 trains and at the issue's size (T=100, N=32, I=H=128), in one run.

    .venv/bin/python benchmarks/bench_lstm.py               # both libraries with their default threads
    .venv/bin/python benchmarks/bench_lstm.py --one-thread  # one thread each, timed in CPU seconds

Prints a table of times and the ratio NumPy / torch (the goal is at most 3). Asserts nothing: timings on a
shared machine are noisy, so each time is the best of several repeats, the two libraries' calls alternating
so that both meet the same load.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402

import companion.np as cnp  # noqa: E402

limit_threads(torch)
# (name, T, N, I, H): the chapter's sunspot forecaster (window 20, LSTM 1 -> 32) and its character language
# model (32 steps, embeddings of 32, hidden 128), then the size
SIZES = [("forecast", 20, 32, 1, 32), ("char LM", 32, 32, 32, 128), ("issue", 100, 32, 128, 128)]


def numpy_step(layer, x, dout):
    """Forward and backward through time of the NumPy layer, gradient of L = Σ output ⊙ dout."""
    def step():
        layer.forward(x)
        layer.backward(dout)
    return step


def torch_step(net, x, dout):
    """The same with torch.nn.LSTM and autograd."""
    def step():
        net.zero_grad()
        out, _ = net(x)
        (out * dout).sum().backward()
    return step


def main():
    rng = np.random.default_rng(0)
    dtypes = [("float32", np.float32, torch.float32), ("float64", np.float64, torch.float64)]
    print(f"threads: {'one' if ONE_THREAD else 'default'} (torch uses {torch.get_num_threads()})")
    print(f"{'size':<9} {'T':>4} {'N':>4} {'I':>4} {'H':>4} {'dtype':<8} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    for name, steps, batch, input_size, hidden in SIZES:
        for dtype_name, np_dtype, torch_dtype in dtypes:
            layer = cnp.LSTM(input_size, hidden, rng=rng, dtype=np_dtype)
            net = torch.nn.LSTM(input_size, hidden, dtype=torch_dtype)
            net.load_state_dict({k: torch.tensor(v) for k, v in layer.state_dict().items()})
            x = rng.normal(size=(steps, batch, input_size)).astype(np_dtype)
            dout = rng.normal(size=(steps, batch, hidden)).astype(np_dtype)
            t_np, t_torch = best_times([numpy_step(layer, x, dout),
                                        torch_step(net, torch.tensor(x), torch.tensor(dout))])
            print(f"{name:<9} {steps:>4} {batch:>4} {input_size:>4} {hidden:>4} {dtype_name:<8} "
                  f"{1e3 * t_np:>9.1f} {1e3 * t_torch:>9.1f} {t_np / t_torch:>6.2f}")


if __name__ == "__main__":
    main()
