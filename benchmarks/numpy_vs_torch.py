"""NumPy reference vs PyTorch on the CPU, measured side by side in one run: conv2d forward+backward and
an MLP training step, at the sizes the book uses and a few larger ones.

    .venv/bin/python benchmarks/numpy_vs_torch.py

Prints each time and the ratio NumPy / torch (goals from issue [4/4]: conv within 2x, MLP step within
1.2x). Asserts nothing: timings on shared machines are noisy.
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

from companion import np as cnp
from companion.np import conv
from companion.np.optim import Optimizer


def best(fn, repeats=7):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


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

    return best(numpy_step), best(torch_step)


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
    torch_opt = torch.optim.SGD(model.parameters(), lr=0.01)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def torch_step():
        torch_opt.zero_grad()
        F.cross_entropy(model(Xt), yt).backward()
        torch_opt.step()

    return best(numpy_step), best(torch_step)


def main():
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; NumPy {np.__version__}; float32, CPU")
    print("conv2d forward + backward, 3x3 kernels, padding 1          NumPy      torch   NumPy/torch")
    for label, args in [("digits 8x8, 1->8, batch 64 (book)", (64, 1, 8, 8)),
                        ("digits 4x4, 8->16, batch 64 (book)", (64, 8, 4, 16)),
                        ("28x28, 1->8, batch 64", (64, 1, 28, 8)),
                        ("28x28, 8->16, batch 64", (64, 8, 28, 16)),
                        ("32x32, 16->32, batch 32", (32, 16, 32, 32))]:
        t_np, t_torch = conv_pair(*args)
        print(f"  {label:45s} {t_np * 1e3:8.2f} ms {t_torch * 1e3:8.2f} ms {t_np / t_torch:8.2f}x")
    print("MLP training step (forward, backward, SGD update)")
    for label, batch, sizes in [("64-64-10, batch 32 (book)", 32, [64, 64, 10]),
                                ("64-256-256-10, batch 32 (book)", 32, [64, 256, 256, 10]),
                                ("784-256-10, batch 64", 64, [784, 256, 10]),
                                ("784-1024-1024-10, batch 128", 128, [784, 1024, 1024, 10])]:
        t_np, t_torch = mlp_pair(batch, sizes)
        print(f"  {label:45s} {t_np * 1e3:8.2f} ms {t_torch * 1e3:8.2f} ms {t_np / t_torch:8.2f}x")


if __name__ == "__main__":
    main()
