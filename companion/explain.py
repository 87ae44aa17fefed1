"""Which inputs a prediction leans on: gradient saliency, input × gradient, integrated gradients, occlusion.

Every method takes a ``model`` and a batch ``x`` (N, *features) and returns attributions of x's shape,
one number per input feature, for the score f_c(x) of class ``target``:

* :func:`saliency`: |∂f_c/∂x| (Simonyan, Vedaldi & Zisserman 2014), as ``captum.attr.Saliency``;
* :func:`input_x_gradient`: x · ∂f_c/∂x (Shrikumar et al. 2016), as ``captum.attr.InputXGradient``;
* :func:`integrated_gradients`: (x − x') · ∫₀¹ ∂f_c/∂x(x' + α(x − x')) dα from a baseline x'
  (Sundararajan, Taly & Yan 2017), the integral by a quadrature rule, as ``captum.attr.IntegratedGradients``;
* :func:`occlusion`: f_c(x) − f_c(x with a window set to a baseline value), averaged over the windows that
  cover each feature (Zeiler & Fergus 2014), as ``captum.attr.Occlusion``.

The model is either a NumPy network of :mod:`companion.np` (anything with ``forward(x)`` and
``backward(dout)`` returning dL/dx, such as ``build_mlp`` or ``build_lenet``) or a ``torch.nn.Module``
(gradients by autograd). Attributions come back as the model's kind: NumPy arrays for a NumPy model,
detached tensors for a torch model. Put a model with dropout or batch normalization in eval mode first:
in training mode its output for one example depends on the others in the batch.

``target``: an int (the same class for every example), a sequence of N ints, or None when the model has
one output per example (N,) or (N, 1). The model-randomization sanity check lives in
:mod:`companion.explain_sanity`.
"""

import sys

import numpy as np

from companion._validate import check_choice

RIEMANN_METHODS = ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")
METHODS = RIEMANN_METHODS + ("gausslegendre",)


def integration_points(n_steps=50, method="gausslegendre"):
    """The quadrature of integrated gradients: points α_k in [0, 1] and weights w_k, so that
    ∫₀¹ g(α) dα ≈ Σ_k w_k g(α_k). Returns (alphas (n_steps,), weights (n_steps,)) float64 arrays.

    The rules are captum's (``captum.attr._utils.approximation_methods``): "riemann_left" α_k = k/n,
    "riemann_right" α_k = (k+1)/n, "riemann_middle" α_k = (k+½)/n, each with w_k = 1/n;
    "gausslegendre" the n-point Gauss–Legendre nodes and weights moved from [−1, 1] to [0, 1] (exact for
    polynomials of degree up to 2n − 1); "riemann_trapezoid" α_k = k/(n−1) with w_k = 1/n, halved at
    both ends, exactly as captum does: those weights sum to (n − 1)/n, not 1, so captum's trapezoid
    carries an O(1/n) error even for a constant integrand (a textbook trapezoid would use 1/(n−1)).
    """
    check_choice(method, "method", METHODS)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    n = int(n_steps)
    if method == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n)
        return 0.5 * (1 + nodes), 0.5 * weights
    if method == "riemann_trapezoid":
        if n < 2:
            raise ValueError("riemann_trapezoid needs n_steps >= 2 (both ends of the path)")
        weights = np.full(n, 1 / n)
        weights[[0, -1]] /= 2
        return np.linspace(0, 1, n), weights
    start = {"riemann_left": 0.0, "riemann_middle": 0.5, "riemann_right": 1.0}[method]
    return (np.arange(n) + start) / n, np.full(n, 1 / n)


def _is_torch(model):
    torch = sys.modules.get("torch")  # a torch model means torch is imported already; never import it here
    return torch is not None and isinstance(model, torch.nn.Module)


class _NumpyModel:
    """A NumPy network seen through forward (scores) and backward (input gradients)."""

    def __init__(self, model):
        if not (callable(getattr(model, "forward", None)) and callable(getattr(model, "backward", None))):
            raise ValueError(f"model must be a torch.nn.Module or a NumPy network with forward(x) and "
                             f"backward(dout) (e.g. companion.np.build_mlp), got {type(model).__name__}")
        self.model = model

    def array(self, x):
        return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float64)

    def cat(self, parts):
        return np.concatenate(parts)

    def scores(self, x):
        return np.asarray(self.model.forward(x))

    def gradient(self, x, target):
        """(f_c(x) (N,), ∂f_c/∂x of x's shape); ``target`` an (N,) int array or None."""
        out = self.scores(x)
        picked = _select(out, target)  # checks the target before backward sees it
        dout = np.zeros_like(out)
        if target is None:
            dout[...] = 1
        else:
            dout[np.arange(len(x)), target] = 1
        return picked, np.asarray(self.model.backward(dout))


class _TorchModel:
    """A torch module seen the same way, gradients by autograd."""

    def __init__(self, model):
        import torch

        self.torch, self.model = torch, model
        param = next(model.parameters(), None)
        self.dtype = param.dtype if param is not None else torch.get_default_dtype()
        self.device = param.device if param is not None else None

    def array(self, x):
        if not isinstance(x, self.torch.Tensor):  # arrays and numbers take the model's dtype
            return self.torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)
        x = x.detach()
        return x if x.is_floating_point() else x.to(self.dtype)

    def cat(self, parts):
        return self.torch.cat(parts)

    def scores(self, x):
        with self.torch.no_grad():
            return self.model(x)

    def gradient(self, x, target):
        x = x.detach().requires_grad_(True)
        with self.torch.enable_grad():
            picked = _select(self.model(x), target)
            (grad,) = self.torch.autograd.grad(picked.sum(), x)
        return picked.detach(), grad.detach()


def _numpy(a):
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def _wrap(model):
    return _TorchModel(model) if _is_torch(model) else _NumpyModel(model)


def _select(out, target):
    """The score of each example's target class: out (N, C) -> (N,); out (N,) or (N, 1) when target None."""
    if target is None:
        if out.ndim > 2 or (out.ndim == 2 and out.shape[1] != 1):
            raise ValueError(f"target is needed: the model returns {tuple(out.shape)} scores per batch, "
                             f"several per example; pass the class index to explain")
        return out.reshape(len(out))
    if out.ndim != 2:
        raise ValueError(f"a target class needs (N, C) model outputs, got shape {tuple(out.shape)}")
    if target.min() < 0 or target.max() >= out.shape[1]:
        raise ValueError(f"target must lie in [0, {out.shape[1] - 1}] (the model has {out.shape[1]} outputs), "
                         f"got {target.min() if target.min() < 0 else target.max()}")
    return out[np.arange(len(out)), target]


def _targets(target, n):
    """``target`` as an (N,) int array (or None)."""
    if target is None:
        return None
    t = np.asarray(target.cpu() if hasattr(target, "cpu") else target)
    if t.ndim == 0:
        t = np.full(n, t)
    if t.shape != (n,) or t.dtype.kind not in "iu":
        raise ValueError(f"target must be an int or {n} ints (one per example), got {target!r}")
    return t.astype(np.int64)


def _batch(backend, x):
    x = backend.array(x)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must be a batch (N, *features) with N >= 1, got shape {tuple(x.shape)}; "
                         f"for one example pass x[None]")
    return x


def _baseline(backend, baseline, x):
    """A baseline broadcast to x's shape: None (zeros), a number, one example's shape, or x's shape."""
    if baseline is None:
        return x * 0
    b = backend.array(baseline)
    if b.ndim == 0:
        return x * 0 + b
    if tuple(b.shape) == tuple(x.shape[1:]):
        b = b[None]
    if b.ndim != x.ndim or b.shape[0] not in (1, x.shape[0]) or tuple(b.shape[1:]) != tuple(x.shape[1:]):
        raise ValueError(f"baseline must be a number or have shape {tuple(x.shape[1:])}, "
                         f"{(1, *x.shape[1:])} or {tuple(x.shape)}; got {tuple(b.shape)}")
    return x * 0 + b


def gradient(model, x, target=None):
    """The score of ``target`` and its gradient: (f_c(x) (N,), ∂f_c/∂x (N, *features))."""
    backend = _wrap(model)
    x = _batch(backend, x)
    return backend.gradient(x, _targets(target, len(x)))


_abs = abs  # the builtin, which works on arrays and tensors alike; saliency's argument shadows it


def saliency(model, x, target=None, abs=True):
    """Gradient saliency |∂f_c/∂x| (N, *features) (Simonyan et al. 2014); ``abs=False`` keeps the sign."""
    grad = gradient(model, x, target)[1]
    return _abs(grad) if abs else grad


def input_x_gradient(model, x, target=None):
    """Input × gradient: x · ∂f_c/∂x (N, *features), element by element (Shrikumar et al. 2016)."""
    backend = _wrap(model)
    x = _batch(backend, x)
    return x * backend.gradient(x, _targets(target, len(x)))[1]


def integrated_gradients(model, x, target=None, baseline=None, n_steps=50, method="gausslegendre",
                         internal_batch_size=None, return_convergence_delta=False):
    """Integrated gradients (Sundararajan et al. 2017) along the straight line from ``baseline`` x' to x:

        IG_i(x) = (x_i − x'_i) · Σ_k w_k ∂f_c/∂x_i(x' + α_k (x − x'))

    with (α_k, w_k) from :func:`integration_points` (``n_steps``, ``method``: captum's defaults 50 and
    "gausslegendre"). x (N, *features); ``baseline`` None (zeros), a number, one example (*features) or
    one per example; ``internal_batch_size`` evaluates about that many path points per forward/backward
    pass (whole steps of N points, at least one, as captum; None: all N·n_steps at once). Returns
    attributions (N, *features), and with ``return_convergence_delta`` also the completeness gap (N,):
    Σ_i IG_i − (f_c(x) − f_c(x')), zero for the exact integral (the gradient theorem for line integrals).
    """
    backend = _wrap(model)
    x = _batch(backend, x)
    alphas, weights = integration_points(n_steps, method)
    if internal_batch_size is not None and (not isinstance(internal_batch_size, (int, np.integer))
                                            or internal_batch_size < 1):
        raise ValueError(f"internal_batch_size must be None or an integer >= 1, got {internal_batch_size!r}")
    target = _targets(target, len(x))
    start = _baseline(backend, baseline, x)
    # whole steps per pass (as captum): the batch at α_k, at α_(k+1), …; at least one step at a time
    per_pass = len(alphas) if internal_batch_size is None else max(int(internal_batch_size) // len(x), 1)
    path_target = None if target is None else np.tile(target, per_pass)
    total = x * 0
    for k in range(0, len(alphas), per_pass):
        steps = range(k, min(k + per_pass, len(alphas)))
        path = backend.cat([start + float(alphas[j]) * (x - start) for j in steps])
        grads = backend.gradient(path, None if target is None else path_target[:len(path)])[1]
        for i, j in enumerate(steps):
            total = total + float(weights[j]) * grads[i * len(x):(i + 1) * len(x)]
    attributions = (x - start) * total
    if not return_convergence_delta:
        return attributions
    return attributions, completeness_gap(model, x, attributions, target, start)


def completeness_gap(model, x, attributions, target=None, baseline=None):
    """Σ_i attributions_i − (f_c(x) − f_c(baseline)) per example (N,): how far attributions are from
    accounting for the whole change of the score (captum's "convergence delta")."""
    backend = _wrap(model)
    x = _batch(backend, x)
    target = _targets(target, len(x))
    ends = backend.scores(backend.cat([x, _baseline(backend, baseline, x)]))
    scores = _select(ends, None if target is None else np.tile(target, 2))
    return attributions.reshape(len(x), -1).sum(1) - (scores[:len(x)] - scores[len(x):])


def completeness_errors(model, x, steps=(2, 4, 8, 16, 32, 64), target=None, baseline=None,
                        method="gausslegendre"):
    """The largest |completeness gap| over the batch for each n_steps in ``steps``: (len(steps),) float64.
    It shrinks as n_steps grows: like n⁻¹ for left/right sums, n⁻² for the midpoint rule on smooth models,
    faster for Gauss–Legendre; on a ReLU network the integrand jumps where units switch, which slows every rule.
    Measured on a 7-16-3 tanh MLP (6 inputs, tests/test_explain.py's set-up) from 2 to 64 steps: about 0.19
    to 0.006 for riemann_left, 0.007 to 5e-6 for riemann_middle, 0.21 to 0.006 for captum's trapezoid, and
    for Gauss–Legendre 0.035 at 2 steps, 4e-8 at 8 and rounding (about 1e-16) from 16; on a small ReLU LeNet
    the midpoint rule needed 512 steps to reach about 1e-4.
    """
    errors = []
    for n in steps:
        delta = integrated_gradients(model, x, target, baseline, n, method, return_convergence_delta=True)[1]
        errors.append(float(np.max(np.abs(_numpy(delta)))))
    return np.array(errors)


def occlusion_windows(shape, window, strides=1):
    """Where captum's Occlusion puts its windows over one example of ``shape`` (*features): a list of
    tuples of slices. Per dimension of size D, window W and stride s there are ⌈(D − W)/s⌉ + 1 windows
    starting at 0, s, 2s, …; the last may be cut off at the edge. s ≤ W (unless W = D) so every feature
    is covered at least once.
    """
    shape = tuple(int(d) for d in shape)
    window = _per_dim(window, "window", len(shape))
    strides = _per_dim(strides, "strides", len(shape))
    starts = []
    for d, w, s in zip(shape, window, strides):
        if w > d:
            raise ValueError(f"window {window} is larger than the input {shape} along one dimension")
        if s > w and w != d:
            raise ValueError(f"strides {strides} must not exceed the window {window} (features would be "
                             f"skipped)")
        starts.append([k * s for k in range(-(-(d - w) // s) + 1)])
    grids = np.meshgrid(*starts, indexing="ij")
    return [tuple(slice(int(b), int(b) + w) for b, w in zip(corner, window))
            for corner in zip(*(g.ravel(order="F") for g in grids))]


def _per_dim(value, name, dims):
    values = (value,) * dims if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != dims or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                                  for v in values):
        raise ValueError(f"{name} must be a positive int or {dims} positive ints (one per feature "
                         f"dimension), got {value!r}")
    return tuple(int(v) for v in values)


def occlusion(model, x, window, strides=1, baseline=0.0, target=None, perturbations_per_eval=1):
    """Occlusion (Zeiler & Fergus 2014), as ``captum.attr.Occlusion``: slide a ``window`` (one size per
    feature dimension, e.g. (1, 3, 3) for (C, H, W) images) with ``strides`` over each example, set the
    window to ``baseline`` (a number or one example's shape), and credit every covered feature with the
    drop f_c(x) − f_c(x occluded); each feature gets the mean over the windows covering it.
    x (N, *features) -> (N, *features). ``perturbations_per_eval`` occluded copies per forward pass.
    """
    backend = _wrap(model)
    x = _batch(backend, x)
    if not isinstance(perturbations_per_eval, (int, np.integer)) or perturbations_per_eval < 1:
        raise ValueError(f"perturbations_per_eval must be an integer >= 1, got {perturbations_per_eval!r}")
    target = _targets(target, len(x))
    fill = _baseline(backend, baseline, x)
    windows = occlusion_windows(x.shape[1:], window, strides)
    base = _select(backend.scores(x), target)
    total, counts = x * 0, np.zeros(tuple(x.shape[1:]))
    for i in range(0, len(windows), perturbations_per_eval):
        chunk = windows[i:i + perturbations_per_eval]
        copies = []
        for w in chunk:
            copy = x.clone() if hasattr(x, "clone") else x.copy()
            copy[(slice(None), *w)] = fill[(slice(None), *w)]
            copies.append(copy)
        scores = _select(backend.scores(backend.cat(copies)),
                         None if target is None else np.tile(target, len(chunk)))
        for j, w in enumerate(chunk):
            drop = (base - scores[j * len(x):(j + 1) * len(x)]).reshape(-1, *[1] * len(w))
            total[(slice(None), *w)] += drop
            counts[w] += 1
    return total / backend.array(counts)
