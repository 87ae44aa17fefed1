"""NumPy reference vs PyTorch on the CPU, measured side by side in one run: conv2d forward+backward, a small
ResNet's training step and an MLP training step, at the sizes the book uses and a few larger ones.

    .venv/bin/python benchmarks/numpy_vs_torch.py               # both libraries with their default threads
    .venv/bin/python benchmarks/numpy_vs_torch.py --one-thread  # both on one thread, timed in CPU seconds

Prints each time and the ratio NumPy / torch. Goals: conv2d forward+backward within 2x of torch at batch 64,
float32, 3x3 kernels, 28x28 8->16 and 32x32 16->32 channels, and the ResNet step within 3x (issue [6/11]);
the MLP step within 1.2x (issue [4/4]). Asserts nothing: timings on shared machines are noisy, so every
time is the best of many repeats, NumPy's and torch's calls alternating so that both meet the same load.
With other work on the machine, ``--one-thread`` is the steadier comparison: CPU time does not count the
time a process waits for a core, and a one-threaded call never waits for a second thread.
"""

from _timing import ONE_THREAD, best_times, limit_threads  # first: sets the thread variables

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion import torch as ctorch  # noqa: E402
from companion.np import conv  # noqa: E402
from companion.np.optim import Optimizer  # noqa: E402

limit_threads(torch)


def best_pair(numpy_step, torch_step, repeats=15):
    """The best time of each of two functions, their calls alternating."""
    return best_times([numpy_step, torch_step], repeats)


def conv_pair(n, c, h, f, k=3, padding=1):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(n, c, h, h)).astype(np.float32), rng.normal(size=(f, c, k, k)).astype(np.float32), \
        rng.normal(size=f).astype(np.float32)
    dout = rng.normal(size=(n, f, h + 2 * padding - k + 1, h + 2 * padding - k + 1)).astype(np.float32)

    def numpy_step():
        out, cache = conv.conv2d_forward(x, w, b, 1, padding)
        conv.conv2d_backward(dout, cache)

    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dt = torch.tensor(dout)

    def torch_step():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, padding=padding).backward(dt)

    return best_pair(numpy_step, torch_step)


def torch_sgd_step(model, X, y):
    """One SGD step (forward, cross-entropy, backward, update) of a torch model on fixed NumPy data."""
    torch_opt = torch.optim.SGD(model.parameters(), lr=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step():
        torch_opt.zero_grad()
        F.cross_entropy(model(Xt), yt).backward()
        torch_opt.step()

    return step


def resnet_pair(batch, channels, size, widths):
    """One SGD step (forward, backward, update) of build_resnet in each backend, float32."""
    rng = np.random.default_rng(0)
    net = cnp.build_resnet(channels, 10, widths=widths, rng=rng, dtype=np.float32)
    X, y = rng.normal(size=(batch, channels, size, size)).astype(np.float32), rng.integers(0, 10, size=batch)
    opt = Optimizer("sgd", lr=0.01)

    def numpy_step():
        logits = net.forward(X)
        net.backward(cnp.softmax_cross_entropy_grad(logits, y).astype(np.float32))
        grads, state = net.gradients(), net.state_dict()
        state.update(opt.step({name: state[name] for name in grads}, grads))  # buffers stay as they are
        net.load_state_dict(state)

    model = ctorch.build_resnet(channels, 10, widths=widths, dtype=torch.float32)
    torch_step = torch_sgd_step(model, X, y)
    return best_pair(numpy_step, torch_step, repeats=10)


def mlp_pair(batch, sizes):
    rng = np.random.default_rng(0)
    net = cnp.build_mlp(sizes, ["relu"] * (len(sizes) - 2) + ["linear"], rng=rng, dtype=np.float32)
    X, y = rng.normal(size=(batch, sizes[0])).astype(np.float32), rng.integers(0, sizes[-1], size=batch)
    opt = Optimizer("sgd", lr=0.01)

    def numpy_step():
        logits = net.forward(X)
        net.backward(cnp.softmax_cross_entropy_grad(logits, y).astype(np.float32))
        net.load_state_dict(opt.step(net.state_dict(), net.gradients()))

    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    torch_step = torch_sgd_step(model, X, y)
    return best_pair(numpy_step, torch_step)


def report(label, times):
    t_np, t_torch = times
    print(f"  {label:45s} {t_np * 1e3:8.2f} ms {t_torch * 1e3:8.2f} ms {t_np / t_torch:8.2f}x", flush=True)


def main():
    threads = "1 thread each, CPU time" if ONE_THREAD else f"{torch.get_num_threads()} torch threads, wall time"
    print(f"torch {torch.__version__}, NumPy {np.__version__}; float32, CPU; {threads}")
    print("conv2d forward + backward, 3x3 kernels, padding 1          NumPy      torch   NumPy/torch")
    for label, args in [("digits 8x8, 1->8, batch 64 (book)", (64, 1, 8, 8)),
                        ("digits 8x8, 1->16, batch 64", (64, 1, 8, 16)),
                        ("digits 4x4, 8->16, batch 64 (book)", (64, 8, 4, 16)),
                        ("28x28, 1->8, batch 64", (64, 1, 28, 8)),
                        ("28x28, 8->16, batch 64 (goal 2x)", (64, 8, 28, 16)),
                        ("32x32, 16->32, batch 64 (goal 2x)", (64, 16, 32, 32))]:
        report(label, conv_pair(*args))
    print("ResNet training step (build_resnet: forward, backward, SGD update; goal 3x)")
    for label, args in [("digits 1x8x8, widths (8, 16), batch 64", (64, 1, 8, (8, 16))),
                        ("3x32x32, widths (16, 32), batch 64", (64, 3, 32, (16, 32)))]:
        report(label, resnet_pair(*args))
    print("MLP training step (forward, backward, SGD update)")
    for label, batch, sizes in [("64-64-10, batch 32 (book)", 32, [64, 64, 10]),
                                ("64-256-256-10, batch 32 (book)", 32, [64, 256, 256, 10]),
                                ("784-256-10, batch 64", 64, [784, 256, 10]),
                                ("784-1024-1024-10, batch 128", 128, [784, 1024, 1024, 10])]:
        report(label, mlp_pair(batch, sizes))


if __name__ == "__main__":
    main()
