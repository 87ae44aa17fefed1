"""The model-randomization sanity check of Adebayo et al. (2018), "Sanity checks for saliency maps".

If an explanation describes what a trained model learned, destroying the learning must change it. The check
re-initializes the model's weights layer by layer from the top (the output layer first, then the one below,
…, "cascading"), or one layer at a time with the rest kept ("independent"), recomputes the attributions
after each step and reports their Spearman rank correlation with the original ones. A method whose maps stay
similar when the weights are random is showing the input (edges, bright pixels), not the model.

Works for the NumPy networks of :mod:`companion.np` and for torch modules, like :mod:`companion.explain`.
"""

import copy

import numpy as np

from companion import explain
from companion._validate import check_choice

ATTRIBUTION_METHODS = {"saliency": explain.saliency, "input_x_gradient": explain.input_x_gradient,
                       "integrated_gradients": explain.integrated_gradients, "occlusion": explain.occlusion}


def _state(model):
    """name -> NumPy array of every parameter (and buffer), in the model's own order."""
    return {k: explain._numpy(v) for k, v in model.state_dict().items()}


def _load(model, state):
    if explain._is_torch(model):
        import torch

        own = model.state_dict()
        state = {k: torch.as_tensor(v, dtype=own[k].dtype, device=own[k].device) for k, v in state.items()}
    model.load_state_dict(state)


def weight_layers(model):
    """The layers that carry a weight matrix or kernel, bottom to top: a list of name prefixes such as
    ["0", "2", "4"] for a Sequential MLP. Layers whose weights are 1-D (normalization scales) are left out:
    they rescale features rather than mix them, and the check keeps them."""
    return [name.rsplit(".", 1)[0] for name, value in _state(model).items()
            if name.endswith("weight") and value.ndim >= 2]


def reinitialized(state, layer, rng):
    """``state`` with the weight and bias of ``layer`` drawn afresh from U(−b, b), b = 1/√fan_in (fan_in =
    in · prod(kernel)): the bound torch.nn.Linear and Conv2d give both weight and bias by default."""
    weight = state[f"{layer}.weight"]
    bound = 1 / np.sqrt(np.prod(weight.shape[1:]))
    new = dict(state)
    for name in (f"{layer}.weight", f"{layer}.bias"):
        if name in state and state[name] is not None:
            new[name] = rng.uniform(-bound, bound, size=state[name].shape).astype(state[name].dtype)
    return new


def rank_similarity(a, b, absolute=False):
    """Spearman rank correlation between the attributions of each example, averaged over the batch.

    a, b: (N, *features) arrays or tensors. ``absolute=True`` ranks |a| and |b| (importance regardless of
    sign), as Adebayo et al. report beside the signed version. An example whose attributions are all equal
    has no ranking: its correlation is NaN and so is the mean.
    """
    from scipy.stats import rankdata

    a, b = explain._numpy(a), explain._numpy(b)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"a and b must be batches (N, *features) of one shape, got {a.shape} and {b.shape}")
    if absolute:
        a, b = np.abs(a), np.abs(b)
    ra = rankdata(a.reshape(len(a), -1), axis=1)
    rb = rankdata(b.reshape(len(b), -1), axis=1)
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ra * rb).sum(1) / np.sqrt((ra ** 2).sum(1) * (rb ** 2).sum(1))
    return float(rho.mean())


def randomization_check(model, x, method="saliency", target=None, cascading=True, rng=None, **options):
    """Re-initialize ``model``'s weight layers from the top and compare attributions with the original.

    model: a NumPy network or torch module (left untouched: a deep copy is randomized); x (N, *features);
    method: "saliency", "input_x_gradient", "integrated_gradients", "occlusion" or a callable
    ``f(model, x, target=..., **options)``; ``options`` go to the method (e.g. window=(1, 3, 3) for
    occlusion, abs=False for saliency). ``cascading=True`` randomizes the top layer, then also the next,
    down to the first; False randomizes each layer alone. ``rng``: a numpy Generator (or a seed).

    Returns a dict: "layers" — ["original", then the layer randomized at each step, top first];
    "spearman" and "spearman_abs" — (L + 1,) arrays of the mean rank correlation with the original
    attributions (signed, and of absolute values), 1.0 for "original"; "attributions" — the attributions at
    each step. For a trained model the correlations should fall well below 1 as the weights go.
    """
    if not callable(method):
        check_choice(method, "method", tuple(ATTRIBUTION_METHODS))
    attribute = method if callable(method) else ATTRIBUTION_METHODS[method]
    rng = np.random.default_rng(rng)
    original = attribute(model, x, target=target, **options)
    layers = weight_layers(model)
    if not layers:
        raise ValueError("the model has no layer with a weight matrix or kernel to randomize")
    start = _state(model)
    state, names, maps = start, ["original"], [original]
    for layer in reversed(layers):
        state = reinitialized(state if cascading else start, layer, rng)
        twin = copy.deepcopy(model)
        _load(twin, state)
        names.append(layer)
        maps.append(attribute(twin, x, target=target, **options))
    return {"layers": names,
            "spearman": np.array([rank_similarity(original, m) for m in maps]),
            "spearman_abs": np.array([rank_similarity(original, m, absolute=True) for m in maps]),
            "attributions": maps}
