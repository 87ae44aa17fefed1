"""Training diagnostics in PyTorch: the same names as ``companion.np.diagnostics``."""

import numpy as np
import torch

from companion._validate import check_same_shape
from companion.np.diagnostics import _check_depth
from companion.torch.normalization import LayerNorm
from companion.torch.transformer import TransformerEncoderLayer


def update_ratios(before, after):
    """{name: ||after[name] - before[name]|| / ||before[name]||} for every parameter named in ``before``.

    before, after: name -> tensor, e.g. ``{k: v.clone() for k, v in model.state_dict().items()}`` taken
    before one ``optimizer.step()`` and ``model.state_dict()`` after it; ``after`` may hold more names.
    Computed in float64 on the tensors' device; Python floats come back. A parameter whose norm is 0
    gives inf (nan if it did not move either). See the NumPy twin for the rule of thumb.
    """
    missing = [name for name in before if name not in after]
    if missing:
        raise ValueError(f"after lacks the parameter(s) {missing} that before holds")
    ratios = {}
    for name, old in before.items():
        old, new = old.detach().to(torch.float64), after[name].detach().to(torch.float64)
        check_same_shape(old, new, f"before[{name!r}]", f"after[{name!r}]")
        ratios[name] = float(torch.linalg.vector_norm(new - old) / torch.linalg.vector_norm(old))
    return ratios


def layer_gradient_norms(net, X, y):
    """See :func:`companion.np.diagnostics.layer_gradient_norms`: the same norms by autograd, as Python
    floats. Leaves each parameter's ``.grad`` set by this one loss."""
    first = next(net.parameters())
    X = torch.as_tensor(X, dtype=first.dtype, device=first.device)
    y = torch.as_tensor(y, dtype=torch.long, device=first.device)
    net.train()
    net.zero_grad()
    torch.nn.functional.cross_entropy(net(X), y).backward()
    return {name: float(torch.linalg.vector_norm(p.grad)) for name, p in net.named_parameters()
            if p.ndim >= 2 and p.grad is not None}


def last_block_gradient(norm_first, n_layers, d_model=32, nhead=4, batch=4, seq_len=16, rng=0, *,
                        dtype=None, device="cpu"):
    """See :func:`companion.np.diagnostics.last_block_gradient`: the same stack, input and target drawn from
    the same NumPy ``rng``, the gradient by autograd, as a Python float (in ``dtype``, float32 by default)."""
    _check_depth(n_layers)
    rng = np.random.default_rng(rng)
    blocks = [TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=0.0, batch_first=True,
                                      norm_first=norm_first, rng=rng, dtype=dtype, device=device)
              for _ in range(n_layers)]
    final = LayerNorm(d_model, dtype=dtype, device=device) if norm_first else torch.nn.Identity()
    dtype = blocks[0].linear2.weight.dtype
    h = torch.as_tensor(rng.standard_normal((batch, seq_len, d_model)), dtype=dtype, device=device)
    target = torch.as_tensor(rng.standard_normal(tuple(h.shape)), dtype=dtype, device=device)
    for block in blocks:
        h = block(h)
    ((final(h) - target) ** 2).mean().backward()
    return float(torch.linalg.vector_norm(blocks[-1].linear2.weight.grad))
