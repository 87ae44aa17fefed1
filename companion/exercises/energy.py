"""Exercises of the page *Energy and carbon*: the FLOPs of a linear layer and of a convolution on a batch
(FlopCounterMode's convention: 2 per multiply-add, products only), energy and CO2e from watts, hours, PUE
and grid intensity, and the 6ND rule. The referees are the formulas, written here; tests/test_energy.py
holds companion.energy to them and to FlopCounterMode."""

from companion.exercises.core import Exercise, register


def linear_flops_reference(batch, in_features, out_features):
    """F.linear on a (batch, in_features) input: one (batch, in) @ (in, out) product, 2 B I O FLOPs."""
    return 2 * batch * in_features * out_features


def conv2d_flops_reference(batch, c_in, c_out, kernel, h_out, w_out, groups):
    """Conv2d: each of the B C_out H_out W_out outputs is a sum of (C_in / groups) k^2 products: 2 x that."""
    return 2 * batch * c_out * (c_in // groups) * kernel * kernel * h_out * w_out


def energy_reference(watts, hours, pue, grid_g_per_kwh):
    """(kWh, kg CO2e): kWh = W x h / 1000 x PUE; kg = kWh x g/kWh / 1000."""
    kwh = watts * hours / 1000 * pue
    return kwh, kwh * grid_g_per_kwh / 1000


def flops_6nd_reference(parameters, tokens):
    """Kaplan et al. (2020): 6 N D."""
    return 6 * parameters * tokens


def _ints(rng, n, low=1, high=65):
    return tuple(int(v) for v in rng.integers(low, high, n))


def _linear_cases(rng):
    yield 1, 64, 10
    for _ in range(20):
        yield _ints(rng, 3)


def _conv_cases(rng):
    yield 4, 1, 16, 3, 8, 8, 1
    for _ in range(20):
        groups = int(rng.choice([1, 2, 4]))
        b, c_in, c_out, k, h, w = _ints(rng, 6, 1, 9)
        yield b, c_in * groups, c_out * groups, k, h, w, groups


def _energy_cases(rng):
    yield 65.0, 2.0, 1.5, 436.0
    for _ in range(20):
        yield (float(rng.uniform(5, 700)), float(rng.uniform(0.01, 1000)), float(rng.uniform(1.0, 2.0)),
               float(rng.uniform(0, 900)))


def _6nd_cases(rng):
    yield 175e9, 300e9
    for _ in range(10):
        yield float(10 ** rng.uniform(3, 12)), float(10 ** rng.uniform(3, 12))


register(Exercise(
    id="energy.linear_flops",
    prompt="Write linear_flops(batch, in_features, out_features): the FLOPs of a torch.nn.Linear layer's forward "
           "pass on a (batch, in_features) input, by FlopCounterMode's convention (2 per multiply-add, the bias "
           "not counted).",
    reference=linear_flops_reference, cases=_linear_cases, arg_names=("batch", "in_features", "out_features"),
))

register(Exercise(
    id="energy.conv2d_flops",
    prompt="Write conv2d_flops(batch, c_in, c_out, kernel, h_out, w_out, groups): the forward FLOPs of a Conv2d "
           "with a square kernel, whose output is (batch, c_out, h_out, w_out), with `groups` groups (each output "
           "channel sees c_in / groups input channels). Two FLOPs per multiply-add; the bias not counted.",
    reference=conv2d_flops_reference, cases=_conv_cases,
    arg_names=("batch", "c_in", "c_out", "kernel", "h_out", "w_out", "groups"),
))

register(Exercise(
    id="energy.kwh_co2e",
    prompt="Write kwh_co2e(watts, hours, pue, grid_g_per_kwh): a device drawing `watts` for `hours` in a building "
           "of power usage effectiveness `pue`, on a grid emitting `grid_g_per_kwh` grams CO2e per kWh. Return "
           "(kWh drawn from the grid, kg CO2e).",
    reference=energy_reference, cases=_energy_cases, arg_names=("watts", "hours", "pue", "grid_g_per_kwh"),
))

register(Exercise(
    id="energy.flops_6nd",
    prompt="Write flops_6nd(parameters, tokens): the training compute of a transformer with `parameters` "
           "parameters trained on `tokens` tokens, by the rule of Kaplan et al. (2020).",
    reference=flops_6nd_reference, cases=_6nd_cases, arg_names=("parameters", "tokens"),
))
