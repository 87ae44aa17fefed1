"""What a training run costs: FLOPs counted from shapes, seconds measured, energy and CO2e estimated from
stated assumptions, and the same estimate for GPT-3 from published figures (chapter: Energy and carbon).

FLOP convention (the same as ``torch.utils.flop_counter.FlopCounterMode``, the referee in
tests/test_energy.py): only matrix products and convolutions count. A product of an (M, K) and a (K, N)
matrix is 2 M N K FLOPs (one multiply and one add per term, the ``2K - 1`` rounded up to ``2K``); a batch
of B of them 2 B M N K. A convolution is 2 N C_out (C_in / groups) prod(kernel) prod(output positions).
Bias additions, activations, normalization, pooling, softmax, embedding look-ups and the optimizer's
update count zero. Backward, a product's gradient for each operand that requires one costs as much as the
forward product; a convolution's input gradient costs its forward count and its weight gradient the
forward count times ``groups`` (FlopCounterMode's formula, which charges the grouped weight gradient with
all C_in input channels).

:func:`count_flops` does not run FlopCounterMode: a ``TorchFunctionMode`` sees each call of ``F.linear``,
``matmul``/``@``, ``mm``, ``bmm``, ``addmm``, ``baddbmm``, ``conv1d``/``conv2d``, the recurrent kernels
of ``nn.RNN``/``LSTM``/``GRU`` and ``F.multi_head_attention_forward`` with its tensors, and applies the
formulas above to their shapes; module hooks name the layer each call belongs to. Where torch runs a
fused CPU kernel that FlopCounterMode has no formula for (``nn.LSTM`` through oneDNN, fused
scaled-dot-product attention) the referee counts zero and this module counts the products the kernel
does; tests/test_energy.py switches those kernels off to compare.

Floor 2: torch is imported inside the functions, so ``import companion.energy`` works without it.
"""

import math
import statistics
import time
from dataclasses import dataclass, field

from companion._validate import check_nonnegative_int, check_positive_int

__all__ = ["LayerFlops", "FlopCount", "count_flops", "flops_6nd", "measure_seconds", "EnergyAssumptions",
           "Estimate", "estimate", "GPT3", "gpt3_estimate"]


# ---------------------------------------------------------------- FLOPs
@dataclass(frozen=True)
class LayerFlops:
    """One layer's FLOPs: ``name`` in ``model.named_modules()`` ("" is the model itself), its class name."""
    name: str
    kind: str
    forward: int
    backward: int


@dataclass(frozen=True)
class FlopCount:
    """Per-layer table and totals; ``total`` is forward, or forward + backward when counted with backward."""
    layers: tuple
    forward: int
    backward: int
    total: int

    def rows(self):
        """[(name, kind, FLOPs)] with FLOPs as counted (forward, or forward + backward)."""
        both = self.total != self.forward
        return [(layer.name or "(model)", layer.kind, layer.forward + (layer.backward if both else 0))
                for layer in self.layers]


def _needs(*tensors):
    return sum(bool(getattr(t, "requires_grad", False)) for t in tensors)


def _product(a_shape, b_shape):
    """2 B M K N for a @ b with batch dimensions broadcast (torch.matmul's rule); 1-D operands as in matmul."""
    a, b = list(a_shape), list(b_shape)
    if len(a) < 2 or len(b) < 2:            # vector products: torch runs dot / mv, which FlopCounterMode skips
        return 0
    batch = math.prod(_broadcast(a[:-2], b[:-2]))
    return 2 * batch * a[-2] * a[-1] * b[-1]


def _broadcast(x, y):
    x, y = [1] * (len(y) - len(x)) + x, [1] * (len(x) - len(y)) + y
    return [max(i, j) for i, j in zip(x, y)]


def _matmul_rule(a, b):
    f = _product(a.shape, b.shape)
    return f, f * _needs(a, b)


def _linear_rule(x, weight, *_):
    shape = tuple(x.shape)
    if len(shape) < 2:                      # F.linear of one vector is a matrix-vector product: not counted
        return 0, 0
    f = 2 * math.prod(shape[:-1]) * weight.shape[1] * weight.shape[0]
    return f, f * _needs(x, weight)


def _addmm_rule(_bias, a, b, *_):
    return _matmul_rule(a, b)


def _conv_rule(out, x, weight, *args, **kwargs):
    groups = kwargs.get("groups", args[4] if len(args) > 4 else 1)
    dims = weight.dim() - 2
    n = out.shape[0] if out.dim() == dims + 2 else 1           # an unbatched input is one sample
    f = 2 * n * weight.shape[0] * weight.shape[1] * math.prod(weight.shape[2:]) * math.prod(out.shape[-dims:])
    return f, f * _needs(x) + f * groups * _needs(weight)


_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}


def _recurrent_rule(args):
    """nn.RNN / LSTM / GRU (torch's _VF kernels): per layer and direction, the input projection
    2 T N G I and, at every step, the hidden projection 2 N G H (G = gates x H). Backward: the weight
    gradients, the input gradient where the layer's input requires one, and the hidden gradient at the
    T - 1 steps after the first (the first also when the given h_0 requires a gradient)."""
    if not isinstance(args[3], bool):
        raise ValueError("count_flops: packed sequences are not supported; pass a padded tensor")
    x, hx, params, has_biases, num_layers, _, _, bidirectional, batch_first = args[:9]
    h0 = hx[0] if isinstance(hx, (tuple, list)) else hx
    per = len(params) // (num_layers * (2 if bidirectional else 1))
    if per not in (2, 4):
        raise ValueError("count_flops: LSTM with proj_size > 0 is not supported")
    shape = tuple(x.shape)
    T, N = (shape[0], 1) if len(shape) == 2 else ((shape[1], shape[0]) if batch_first else shape[:2])
    forward = backward = 0
    upstream = x.requires_grad
    for layer in range(num_layers):
        chunk = params[layer * per * (2 if bidirectional else 1):(layer + 1) * per * (2 if bidirectional else 1)]
        layer_needs = upstream
        for d in range(2 if bidirectional else 1):
            w_ih, w_hh = chunk[d * per], chunk[d * per + 1]
            G, I, H = w_ih.shape[0], w_ih.shape[1], w_hh.shape[1]
            ih, hh = 2 * T * N * G * I, 2 * N * G * H
            forward += ih + T * hh
            backward += ih * (_needs(w_ih) + upstream) + T * hh * _needs(w_hh)
            grads = upstream or any(p.requires_grad for p in chunk[d * per:(d + 1) * per]) or _needs(h0)
            backward += hh * ((T - 1) * grads + _needs(h0))
            layer_needs = layer_needs or any(p.requires_grad for p in chunk)
        upstream = layer_needs
    return forward, backward


def _mha_rule(args, kwargs):
    """F.multi_head_attention_forward (torch.nn.MultiheadAttention): the q, k, v and output projections and
    the two batched products Q K^T and A V per head, 2 (N H) L S d each."""
    query, key, value, embed_dim, num_heads = args[:5]
    L, S = query.shape[0], key.shape[0]
    N = query.shape[1] if query.dim() == 3 else 1
    head = embed_dim // num_heads
    weights = [t for t in (kwargs.get("in_proj_weight", args[5] if len(args) > 5 else None),
                           kwargs.get("q_proj_weight"), kwargs.get("k_proj_weight"), kwargs.get("v_proj_weight"))
               if t is not None]
    out_w = kwargs.get("out_proj_weight", args[12] if len(args) > 12 else None)
    proj = 2 * N * embed_dim * (L * embed_dim + S * key.shape[-1] + S * value.shape[-1])
    attend = 2 * 2 * N * num_heads * L * S * head
    out = 2 * N * L * embed_dim * embed_dim
    needs_w = any(w.requires_grad for w in weights)
    backward = proj * needs_w + 2 * N * embed_dim * (L * embed_dim * _needs(query) + S * key.shape[-1] * _needs(key)
                                                      + S * value.shape[-1] * _needs(value))
    inner = needs_w or _needs(query, key, value) > 0
    backward += 2 * attend * inner + out * (_needs(out_w) + inner)
    return proj + attend + out, backward


def _sdpa_rule(q, k, v, *_):
    """F.scaled_dot_product_attention as its math path runs it: scores = Q K^T, then weights @ V (the
    weights need a gradient when Q or K does)."""
    scores = _product(q.shape, k.transpose(-2, -1).shape)
    mix = _product(q.shape[:-1] + (k.shape[-2],), v.shape)
    return scores + mix, scores * _needs(q, k) + mix * ((_needs(q, k) > 0) + _needs(v))


_RULES = {"linear": lambda a, k, o: _linear_rule(*a),
          "matmul": lambda a, k, o: _matmul_rule(*a), "__matmul__": lambda a, k, o: _matmul_rule(*a),
          "__rmatmul__": lambda a, k, o: _matmul_rule(a[1], a[0]),
          "mm": lambda a, k, o: _matmul_rule(*a), "bmm": lambda a, k, o: _matmul_rule(*a),
          "addmm": lambda a, k, o: _addmm_rule(*a), "baddbmm": lambda a, k, o: _addmm_rule(*a),
          "conv1d": lambda a, k, o: _conv_rule(o, *a, **k), "conv2d": lambda a, k, o: _conv_rule(o, *a, **k),
          "rnn_tanh": lambda a, k, o: _recurrent_rule(a), "rnn_relu": lambda a, k, o: _recurrent_rule(a),
          "gru": lambda a, k, o: _recurrent_rule(a), "lstm": lambda a, k, o: _recurrent_rule(a),
          "multi_head_attention_forward": lambda a, k, o: _mha_rule(a, k),
          "scaled_dot_product_attention": lambda a, k, o: _sdpa_rule(*a)}
_UNSUPPORTED = ("einsum", "tensordot", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                "bilinear", "chain_matmul", "multi_dot")


def _counting_mode(record):
    from torch.overrides import TorchFunctionMode

    class Counter(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            name = getattr(func, "__name__", None)
            if name in _UNSUPPORTED:
                raise ValueError(f"count_flops has no formula for {name}; use the layers listed in its docstring")
            out = func(*args, **kwargs)
            if name in _RULES:
                record(*_RULES[name](args, kwargs, out))
            return out

    return Counter()


def count_flops(model, *inputs, backward=False):
    """FLOPs of ``model(*inputs)`` (a torch module, or any function of tensors), per layer and in total, by the convention of the module docstring.

    ``backward=True`` adds the FLOPs of ``loss.backward()`` for a scalar loss computed from the output
    (``total`` = forward + backward). The model runs once, with gradients enabled so that it can be
    known which tensors require one. Returns a :class:`FlopCount`; layers in the order they first ran.
    """
    import torch

    modules = model.named_modules() if isinstance(model, torch.nn.Module) else ()   # a plain function: no layers
    names = {module: name for name, module in modules}
    stack, table = [], {}

    def record(forward, back):
        module = stack[-1] if stack else model
        name = names.get(module, "")
        kind = type(module).__name__ if stack else getattr(model, "__name__", type(model).__name__)
        row = table.setdefault(name, [kind, 0, 0])
        row[1] += forward
        row[2] += back

    def enter(module, args):
        stack.append(module)

    def leave(module, args, output):     # returns None: a hook's return value would replace the output
        stack.pop()

    handles = []
    for module in names:
        handles += [module.register_forward_pre_hook(enter), module.register_forward_hook(leave)]
    try:
        with torch.enable_grad(), _counting_mode(record):
            model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    layers = tuple(LayerFlops(name, kind, f, b) for name, (kind, f, b) in table.items() if f or b)
    forward, back = sum(layer.forward for layer in layers), sum(layer.backward for layer in layers)
    return FlopCount(layers, forward, back, forward + (back if backward else 0))


def flops_6nd(parameters, tokens):
    """Training compute of a transformer by the rule of Kaplan et al. (2020): C = 6 N D FLOPs for N
    parameters and D training tokens (2 N per token forward, 4 N backward; attention's context term
    and everything but matrix products ignored)."""
    for value, name in ((parameters, "parameters"), (tokens, "tokens")):
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    return 6 * parameters * tokens


# ---------------------------------------------------------------- time
def measure_seconds(fn, repeat=5, warmup=1):
    """The MEDIAN wall-clock time of ``repeat`` calls of ``fn()`` (time.perf_counter), after ``warmup``
    calls that are not timed. The median, not the best: energy is spent on the typical run."""
    check_positive_int(repeat, "repeat")
    check_nonnegative_int(warmup, "warmup")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- energy and carbon
@dataclass(frozen=True)
class EnergyAssumptions:
    """What turns seconds into kWh and kg CO2e, each number with where it comes from.

    watts: average power of one processor while it runs (W); pue: power usage effectiveness of the
    building, facility energy / IT energy (>= 1); grid_g_per_kwh: carbon intensity of the electricity
    (g CO2e per kWh, >= 0)."""
    watts: float
    pue: float
    grid_g_per_kwh: float
    watts_source: str = ""
    pue_source: str = ""
    grid_source: str = ""

    def __post_init__(self):
        if not self.watts > 0:
            raise ValueError(f"watts must be positive, got {self.watts!r}")
        if not self.pue >= 1:
            raise ValueError(f"pue is facility energy / IT energy, so at least 1, got {self.pue!r}")
        if not self.grid_g_per_kwh >= 0:
            raise ValueError(f"grid_g_per_kwh must be non-negative, got {self.grid_g_per_kwh!r}")


@dataclass(frozen=True)
class Estimate:
    """kWh drawn from the grid and kg CO2e emitted."""
    kwh: float
    kg_co2e: float


def estimate(seconds, assumptions, processors=1):
    """Energy and emissions of ``processors`` running for ``seconds``:

        kWh     = processors x watts x seconds / 3600 / 1000 x PUE
        kg CO2e = kWh x grid_g_per_kwh / 1000
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    check_positive_int(processors, "processors")
    kwh = processors * assumptions.watts * seconds / 3600 / 1000 * assumptions.pue
    return Estimate(kwh, kwh * assumptions.grid_g_per_kwh / 1000)


@dataclass(frozen=True)
class GPT3:
    """GPT-3 175B's training, from published figures, and what they imply.

    Patterson et al. (2021), "Carbon Emissions and Large Neural Network Training" (arXiv:2104.10350),
    Table 4, column GPT-3 (Microsoft data centre, 2020): 10,000 chips, processor V100 (chip TDP 300 W),
    training time 14.8 days, "measured system average power per accelerator, including memory, network
    interface, fans, host CPU" 330 W (OpenAI's measurement in an Azure data centre, Table 3's caption),
    data-centre PUE 1.10, data-centre gross CO2e/kWh 0.429 kg, energy consumption 1,287 MWh, gross
    tCO2e for model training 552.1 (the text rounds it to 552). Brown et al. (2020), Table D.1:
    3.14e23 FLOPs of training compute; 175e9 parameters and 300e9 training tokens (section 2.2)."""
    processors: int = 10_000
    days: float = 14.8
    watts: float = 330.0
    pue: float = 1.10
    grid_g_per_kwh: float = 429.0
    reported_mwh: float = 1287.0
    reported_t_co2e: float = 552.1
    reported_flops: float = 3.14e23
    parameters: float = 175e9
    tokens: float = 300e9
    sources: dict = field(default_factory=lambda: {
        "processors, days, watts, pue, grid, MWh, tCO2e": "Patterson et al. 2021, Table 4 (GPT-3)",
        "reported_flops": "Brown et al. 2020, Table D.1",
        "parameters, tokens": "Brown et al. 2020, section 2.2"}, compare=False)

    @property
    def assumptions(self):
        return EnergyAssumptions(self.watts, self.pue, self.grid_g_per_kwh, "Patterson et al. 2021, Table 4",
                                 "Patterson et al. 2021, Table 4", "Patterson et al. 2021, Table 4")

    @property
    def estimate(self):
        """Energy and CO2e recomputed from the inputs: processors x hours x watts x PUE, x intensity."""
        return estimate(self.days * 86400, self.assumptions, processors=self.processors)

    @property
    def mwh(self):
        return self.estimate.kwh / 1000

    @property
    def t_co2e(self):
        return self.estimate.kg_co2e / 1000

    @property
    def flops_6nd(self):
        return flops_6nd(self.parameters, self.tokens)


def gpt3_estimate():
    """GPT-3's published figures (:class:`GPT3`), with the energy, CO2e and 6ND compute they imply."""
    return GPT3()
