"""Initialization: gains, fans, Xavier and Kaiming draws in both backends, refereed by torch.nn.init."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch.nn.init import _calculate_fan_in_and_fan_out  # noqa: E402

from companion import np as cnp  # noqa: E402
from companion import torch as ct  # noqa: E402
from companion.np import init as npi  # noqa: E402
from companion.torch import init as tti  # noqa: E402
from companion.viz import plot_layer_gradient_norms, plot_propagation  # noqa: E402

BACKENDS = [npi, tti]
SHAPES = [(3, 5), (100, 300), (8, 3, 5, 5), (2, 4, 3), (6, 2, 3, 3, 3), (1, 1)]


def to_numpy(a):
    return a.detach().cpu().numpy() if torch.is_tensor(a) else np.asarray(a)


# ---------------------------------------------------------------- gains and fans


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", npi.NONLINEARITIES)
def test_gain_equals_torch_for_every_nonlinearity(backend, name):
    assert backend.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("param", [None, 0, 0.2, 1, 3.5, -0.1])
def test_leaky_relu_gain_uses_the_negative_slope(backend, param):
    assert backend.calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param)


def test_the_gains_are_the_documented_values():
    assert npi.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert npi.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert npi.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert npi.calculate_gain("selu") == 0.75


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["gelu", "softmax", "Tanh", "ReLU", "", None])
def test_unknown_nonlinearity_is_rejected_as_torch_rejects_it(backend, name):
    with pytest.raises(ValueError, match="Unsupported nonlinearity") as torch_error:
        torch.nn.init.calculate_gain(name)
    with pytest.raises(ValueError, match="Unsupported nonlinearity") as ours:
        backend.calculate_gain(name)
    assert str(torch_error.value) in str(ours.value)  # torch's words, then the list of names we accept


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("param", [True, "0.2", [0.2]])
def test_bad_negative_slope_is_rejected(backend, param):
    with pytest.raises(ValueError, match="not a valid number"):
        torch.nn.init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError, match="not a valid number"):
        backend.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_fans_equal_torch(backend, shape):
    expected = _calculate_fan_in_and_fan_out(torch.empty(shape))
    assert backend.calculate_fan_in_and_fan_out(shape) == expected
    assert backend.calculate_fan_in_and_fan_out(np.zeros(shape)) == expected  # an array works too
    assert backend.calculate_fan_in_and_fan_out(torch.empty(shape)) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(5,), (), 7])
def test_fans_need_two_dimensions(backend, shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _calculate_fan_in_and_fan_out(torch.empty(shape))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        backend.calculate_fan_in_and_fan_out(shape)


# ---------------------------------------------------------------- bounds and statistics

# (our function, torch's in-place function, keyword arguments, the std torch's documentation states)
def _xavier_std(shape, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(torch.empty(shape))
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def _kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(torch.empty(shape))
    return torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


CASES = [
    ("xavier_uniform", {}, _xavier_std),
    ("xavier_uniform", {"gain": 5 / 3}, _xavier_std),
    ("xavier_normal", {}, _xavier_std),
    ("xavier_normal", {"gain": math.sqrt(2)}, _xavier_std),
    ("kaiming_uniform", {}, _kaiming_std),
    ("kaiming_uniform", {"a": math.sqrt(5)}, _kaiming_std),  # nn.Linear's default
    ("kaiming_uniform", {"mode": "fan_out", "nonlinearity": "relu"}, _kaiming_std),
    ("kaiming_uniform", {"a": 0.2, "mode": "FAN_OUT"}, _kaiming_std),
    ("kaiming_normal", {}, _kaiming_std),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "tanh"}, _kaiming_std),
    ("kaiming_normal", {"a": 0.1, "nonlinearity": "leaky_relu"}, _kaiming_std),
]
IDS = [f"{name}-{kwargs}" for name, kwargs, _ in CASES]


def _stated_std(name, kwargs, formula, shape):
    kwargs = {k: (v.lower() if k == "mode" else v) for k, v in kwargs.items()}
    return formula(shape, **kwargs)


@pytest.mark.parametrize("name, kwargs, formula", CASES, ids=IDS)
@pytest.mark.parametrize("shape", [(200, 300), (64, 8, 3, 3)])
def test_std_and_uniform_bound_equal_torch_formula(name, kwargs, formula, shape):
    std = _stated_std(name, kwargs, formula, shape)
    helper = npi.xavier_std if name.startswith("xavier") else npi.kaiming_std
    assert helper(shape, **kwargs) == pytest.approx(std, rel=1e-15)
    w = getattr(npi, name)(shape, rng=np.random.default_rng(0), **kwargs)
    reference = getattr(torch.nn.init, name + "_")(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    assert w.shape == shape and w.dtype == np.float64
    if name.endswith("uniform"):
        bound = math.sqrt(3) * std
        for sample in (w, reference):
            assert np.abs(sample).max() <= bound
            assert np.abs(sample).max() > 0.99 * bound  # a large draw comes close to its bound


@pytest.mark.parametrize("name, kwargs, formula", CASES, ids=IDS)
def test_large_draw_has_torch_stated_mean_and_std_and_matches_torch_draw(name, kwargs, formula):
    shape = (400, 500)
    n = math.prod(shape)
    std = _stated_std(name, kwargs, formula, shape)
    ours = getattr(npi, name)(shape, rng=np.random.default_rng(1), **kwargs)
    torch.manual_seed(1)
    theirs = getattr(torch.nn.init, name + "_")(torch.empty(shape, dtype=torch.float64), **kwargs).numpy()
    se_mean, se_std = std / math.sqrt(n), std / math.sqrt(2 * n)  # normal's; a uniform's std varies less
    for sample in (ours, theirs):
        assert abs(sample.mean()) < 5 * se_mean
        assert abs(sample.std() - std) < 5 * se_std
    assert abs(ours.std() - theirs.std()) < 5 * math.sqrt(2) * se_std
    if name.endswith("normal"):  # a normal puts about 68% within one std; a uniform 1/sqrt(3) = 58%
        assert abs(np.mean(np.abs(ours) < std) - 0.6827) < 0.005
    else:
        assert abs(np.mean(np.abs(ours) < std) - 1 / math.sqrt(3)) < 0.005


@pytest.mark.parametrize("name, kwargs, formula", CASES, ids=IDS)
def test_torch_twin_uses_torch_nn_init_or_the_numpy_draw(name, kwargs, formula):
    shape = (30, 20)
    torch.manual_seed(4)
    ours = getattr(tti, name)(shape, dtype=torch.float64, **kwargs)
    torch.manual_seed(4)
    device = ours.device
    reference = getattr(torch.nn.init, name + "_")(torch.empty(shape, dtype=torch.float64, device=device), **kwargs)
    torch.testing.assert_close(ours, reference, rtol=0, atol=0)
    generator = torch.Generator(device=device).manual_seed(5)
    again = getattr(tti, name)(shape, dtype=torch.float64, generator=generator, **kwargs)
    generator.manual_seed(5)
    torch.testing.assert_close(again, getattr(torch.nn.init, name + "_")(
        torch.empty(shape, dtype=torch.float64, device=device), generator=generator, **kwargs))
    twin = getattr(tti, name)(shape, rng=np.random.default_rng(6), dtype=torch.float64, **kwargs)
    np.testing.assert_array_equal(to_numpy(twin), getattr(npi, name)(shape, rng=np.random.default_rng(6), **kwargs))
    assert twin.dtype == torch.float64
    assert getattr(tti, name)(shape, **kwargs).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("name", ["xavier_uniform", "kaiming_normal"])
def test_global_numpy_generator_is_used_without_rng(name):
    np.random.seed(7)
    first = getattr(npi, name)((4, 6))
    np.random.seed(7)
    np.testing.assert_array_equal(first, getattr(npi, name)((4, 6)))
    assert getattr(npi, name)((4, 6), dtype=np.float32).dtype == np.float32


# ---------------------------------------------------------------- errors and edge cases


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_bad_mode_is_rejected_as_torch_rejects_it(backend, name):
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        getattr(torch.nn.init, name + "_")(torch.empty(3, 4), mode="fan_avg")
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        getattr(backend, name)((3, 4), mode="fan_avg")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_bad_nonlinearity_is_rejected(backend, name):
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        getattr(torch.nn.init, name + "_")(torch.empty(3, 4), nonlinearity="gelu")
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        getattr(backend, name)((3, 4), nonlinearity="gelu")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_one_dimensional_weights_are_rejected_as_torch_rejects_them(backend, name):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(torch.nn.init, name + "_")(torch.empty(5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(backend, name)((5,))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["kaiming_uniform", "kaiming_normal"])
def test_zero_element_kaiming_is_a_no_op_with_torch_warning(backend, name):
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        getattr(torch.nn.init, name + "_")(torch.empty(0, 4))
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        w = getattr(backend, name)((0, 4))
    assert tuple(w.shape) == (0, 4)


@pytest.mark.parametrize("name", ["xavier_uniform", "xavier_normal"])
def test_zero_element_xavier_gives_an_empty_array_like_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(npi, name)((0, 4)).shape == (0, 4)
        assert tuple(getattr(torch.nn.init, name + "_")(torch.empty(0, 4)).shape) == (0, 4)


# ---------------------------------------------------------------- PyTorch's layer defaults


def test_dense_init_is_nn_linear_default():
    torch.manual_seed(8)
    reference = torch.nn.Linear(7, 3, dtype=torch.float64)
    torch.manual_seed(8)
    weight, bias = tti.dense_init(7, 3, dtype=torch.float64, device="cpu")
    torch.testing.assert_close(weight, reference.weight.detach(), rtol=0, atol=0)
    torch.testing.assert_close(bias, reference.bias.detach(), rtol=0, atol=0)
    w, b = npi.dense_init(300, 100, rng=np.random.default_rng(0))
    bound = 1 / math.sqrt(300)
    assert w.shape == (100, 300) and b.shape == (100,)
    assert 0.99 * bound < np.abs(w).max() <= bound and np.abs(b).max() <= bound
    tw, tb = tti.dense_init(300, 100, rng=np.random.default_rng(0), dtype=torch.float64)
    np.testing.assert_array_equal(to_numpy(tw), w)
    np.testing.assert_array_equal(to_numpy(tb), b)


def test_conv_init_is_nn_conv2d_default():
    torch.manual_seed(9)
    reference = torch.nn.Conv2d(3, 4, 5, dtype=torch.float64)
    torch.manual_seed(9)
    weight, bias = tti.conv_init(3, 4, 5, dtype=torch.float64, device="cpu")
    torch.testing.assert_close(weight, reference.weight.detach(), rtol=0, atol=0)
    torch.testing.assert_close(bias, reference.bias.detach(), rtol=0, atol=0)
    w, b = npi.conv_init(3, 4, 5, rng=np.random.default_rng(1))
    tw, tb = tti.conv_init(3, 4, 5, rng=np.random.default_rng(1), dtype=torch.float64)
    np.testing.assert_array_equal(to_numpy(tw), w)
    np.testing.assert_array_equal(to_numpy(tb), b)
    assert np.abs(w).max() <= 1 / math.sqrt(3 * 25)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("args", [(0, 3), (3, 0), (2.5, 3), (True, 3)])
def test_layer_defaults_reject_bad_sizes(backend, args):
    with pytest.raises(ValueError, match="must be a positive integer"):
        backend.dense_init(*args)
    with pytest.raises(ValueError, match="must be a positive integer"):
        backend.conv_init(*args, 3)


# ---------------------------------------------------------------- build_mlp(init=...)


@pytest.mark.parametrize("init", ["default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_build_mlp_init_gives_the_same_network_in_both_backends(init):
    sizes, acts = [300, 200, 100], ["relu", "linear"]
    net = cnp.build_mlp(sizes, acts, rng=np.random.default_rng(2), init=init)
    twin = ct.build_mlp(sizes, acts, rng=np.random.default_rng(2), dtype=torch.float64, init=init)
    ours, theirs = net.state_dict(), twin.state_dict()
    assert set(ours) == set(theirs)
    for key in ours:
        np.testing.assert_array_equal(ours[key], to_numpy(theirs[key]))
    weight = ours["0.weight"]
    std = {"default": 1 / math.sqrt(3 * 300), "xavier_uniform": math.sqrt(2 / 500),
           "xavier_normal": math.sqrt(2 / 500), "kaiming_uniform": math.sqrt(2 / 300),
           "kaiming_normal": math.sqrt(2 / 300)}[init]
    assert abs(weight.std() - std) < 5 * std / math.sqrt(weight.size)
    if init != "default":
        assert not ours["0.bias"].any() and not ours["2.bias"].any()


def test_build_mlp_default_init_is_unchanged():
    net = cnp.build_mlp([4, 3], ["relu"], rng=np.random.default_rng(3))
    weight, bias = npi.dense_init(4, 3, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(net.layers[0].weight, weight)
    np.testing.assert_array_equal(net.layers[0].bias, bias)
    assert ct.build_mlp([4, 3], ["relu"]).state_dict()["0.weight"].dtype == torch.get_default_dtype()


@pytest.mark.parametrize("build", [cnp.build_mlp, ct.build_mlp])
def test_build_mlp_rejects_unknown_init(build):
    with pytest.raises(ValueError, match="unknown init 'he'"):
        build([3, 2], ["relu"], init="he")


# ---------------------------------------------------------------- the deep-stack experiment


def test_numpy_propagation_statistics_match_autograd_by_hand():
    rng = np.random.default_rng(4)
    net = cnp.build_mlp([6, 5, 4], ["tanh", "relu"], rng=rng)
    twin = ct.from_weights([(net.layers[0].weight, net.layers[0].bias), (net.layers[2].weight, net.layers[2].bias)],
                           ["tanh", "relu"], device="cpu")
    x, dout = rng.normal(size=(7, 6)), rng.normal(size=(7, 4))
    ours = npi.propagation_statistics(net, x, dout)
    xt = torch.tensor(x)
    h1 = torch.tanh(twin[0](xt))
    h1.retain_grad()
    h2 = torch.relu(twin[2](h1))
    h2.retain_grad()
    (h2 * torch.tensor(dout)).sum().backward()
    np.testing.assert_allclose(ours["activation_std"], [h1.std(correction=0).item(), h2.std(correction=0).item()])
    np.testing.assert_allclose(ours["gradient_std"], [h1.grad.std(correction=0).item(), np.std(dout)])
    by_hand = (dout * (h2.detach().numpy() > 0)) @ net.layers[2].weight  # dL/dh1 = (dout ⊙ relu'(z2)) W2
    assert ours["gradient_std"][0] == pytest.approx(np.std(by_hand), rel=1e-12)


@pytest.mark.parametrize("activation, init, scale", [("tanh", "xavier_uniform", 0.5), ("tanh", "xavier_normal", 2.0),
                                                     ("relu", "kaiming_normal", 1.0), ("relu", "kaiming_uniform", 2.0)])
def test_deep_stack_statistics_agree_across_backends(activation, init, scale):
    kwargs = dict(scale=scale, depth=12, width=32, batch=16)
    ours = npi.deep_stack_statistics(activation, init, rng=np.random.default_rng(5), **kwargs)
    theirs = tti.deep_stack_statistics(activation, init, rng=np.random.default_rng(5), dtype=torch.float64, **kwargs)
    for key in ("activation_std", "gradient_std"):
        assert ours[key].shape == (12,)
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-10)


def test_deep_stack_tells_the_chapter_story():
    """Too small a scale collapses a ReLU stack, He's keeps it, too large explodes it."""
    small, he, large = (npi.deep_stack_statistics("relu", "kaiming_normal", scale=s, depth=20, width=64, batch=32,
                                                  rng=np.random.default_rng(0)) for s in (0.5, 1.0, 2.0))
    assert small["activation_std"][-1] < 1e-4 * small["activation_std"][0]
    assert large["activation_std"][-1] > 1e4 * large["activation_std"][0]
    assert 0.2 < he["activation_std"][-1] / he["activation_std"][0] < 5
    # a ReLU stack is positively homogeneous: scaling every weight by s scales layer l by s^l
    np.testing.assert_allclose(small["activation_std"], he["activation_std"] * 0.5 ** np.arange(1, 21), rtol=1e-9)


def test_deep_stack_rejects_default_init():
    for backend in BACKENDS:
        with pytest.raises(ValueError, match="zero biases"):
            backend.deep_stack_statistics("relu", "default", depth=2, width=4, batch=2)


def test_plot_propagation_draws_a_curve_per_scale_in_each_panel():
    stats = {"activation_std": np.array([1.0, 0.5, 0.25]), "gradient_std": np.array([0.1, 0.2, 1.0])}
    axes = plot_propagation({"tanh": {"a": stats, "b": stats}, "ReLU": {"a": stats, "b": stats, "c": stats}})
    assert axes.shape == (2, 2)
    assert [len(ax.lines) for ax in axes.ravel()] == [2, 2, 3, 3]
    np.testing.assert_array_equal(axes[1, 1].lines[0].get_ydata(), stats["gradient_std"])
    assert axes[0, 0].get_yscale() == "log"
    plt.close("all")


def test_plot_layer_gradient_norms_draws_one_log_curve_per_network():
    norms = {"sigmoid": [1e-5, 1e-3, 1.0], "relu": [2.0, 3.0, 4.0]}
    ax = plot_layer_gradient_norms(norms)
    assert [line.get_label() for line in ax.lines] == ["sigmoid", "relu"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), norms["relu"])
    assert ax.get_yscale() == "log"
    plt.close("all")
