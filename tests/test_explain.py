"""companion.explain and companion.explain_sanity: the torch versions against captum (the referee) on a small
MLP and a small CNN in float64, the NumPy versions against the torch ones on the same weights and against
finite differences, the completeness of integrated gradients as n_steps grows, the randomization sanity
check, and the errors for bad input."""

import numpy as np
import pytest
import torch
from captum.attr import InputXGradient, IntegratedGradients, Occlusion, Saliency
from captum.attr._utils.approximation_methods import approximation_parameters

import companion.np as cnp
import companion.torch as ct
from companion import explain
from companion.explain_sanity import randomization_check, rank_similarity, reinitialized, weight_layers

# captum notes that it switched requires_grad on for our plain input tensors; that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:Input Tensor 0 did not already require gradients")


def _mlp(sizes=(7, 6, 3), acts=("tanh", "linear"), seed=1):
    """The NumPy MLP and its torch twin with the same weights (float64)."""
    np_net = cnp.build_mlp(list(sizes), list(acts), rng=np.random.default_rng(seed))
    torch_net = ct.build_mlp(list(sizes), list(acts), dtype=torch.float64)
    torch_net.load_state_dict(np_net.state_dict())
    return np_net, torch_net


def _cnn(seed=2):
    """A small LeNet (1x8x8 images, 4 classes) in both backends with the same weights."""
    np_net = cnp.build_lenet(channels=(2, 3), n_classes=4, rng=np.random.default_rng(seed))
    torch_net = ct.build_lenet(channels=(2, 3), n_classes=4, rng=np.random.default_rng(seed + 1),
                               dtype=torch.float64)
    torch_net.load_state_dict(np_net.state_dict())
    return np_net, torch_net


def _inputs(shape, seed=0):
    x = np.random.default_rng(seed).normal(size=shape)
    return x, torch.tensor(x)


MODELS = {"mlp": (_mlp, (5, 7), [0, 2, 1, 1, 0]), "cnn": (_cnn, (3, 1, 8, 8), [1, 3, 0])}


def _case(kind):
    build, shape, target = MODELS[kind]
    np_net, torch_net = build()
    x, xt = _inputs(shape)
    return np_net, torch_net, x, xt, target


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("absolute", [True, False])
def test_saliency_equals_captum_and_numpy_twin(kind, absolute):
    np_net, torch_net, x, xt, target = _case(kind)
    ours = explain.saliency(torch_net, xt, target, abs=absolute)
    ref = Saliency(torch_net).attribute(xt.clone(), target=target, abs=absolute)
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(explain.saliency(np_net, x, target, abs=absolute), ours.numpy(),
                               rtol=1e-10, atol=1e-13)
    if not absolute:  # signed saliency is the gradient of the target score: some entries are negative
        assert (ours < 0).any()


@pytest.mark.parametrize("kind", MODELS)
def test_input_x_gradient_equals_captum_and_numpy_twin(kind):
    np_net, torch_net, x, xt, target = _case(kind)
    ours = explain.input_x_gradient(torch_net, xt, target)
    torch.testing.assert_close(ours, InputXGradient(torch_net).attribute(xt.clone(), target=target),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(explain.input_x_gradient(np_net, x, target), ours.numpy(), rtol=1e-10, atol=1e-13)


def test_numpy_gradient_equals_finite_differences():
    np_net, _ = _mlp()
    x, _ = _inputs((2, 7))
    score, grad = explain.gradient(np_net, x, target=2)
    h = 1e-6
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        numeric = (np_net.forward(up)[i[0], 2] - np_net.forward(down)[i[0], 2]) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(score, np_net.forward(x)[:, 2])


def test_single_output_model_needs_no_target():
    np_net, torch_net = _mlp((4, 5, 1), ("relu", "sigmoid"))
    x, xt = _inputs((6, 4))
    ours = explain.saliency(torch_net, xt)
    torch.testing.assert_close(ours, Saliency(torch_net).attribute(xt.clone()), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(explain.saliency(np_net, x), ours.numpy(), rtol=1e-10, atol=1e-14)


def test_float32_torch_model_takes_numpy_input_and_matches_float64():
    np_net, torch_net = _mlp()
    net32 = ct.build_mlp([7, 6, 3], ["tanh", "linear"], dtype=torch.float32)
    net32.load_state_dict(np_net.state_dict())
    x, xt = _inputs((4, 7))
    ig32, delta = explain.integrated_gradients(net32, x, 2, baseline=0.1, return_convergence_delta=True)
    assert ig32.dtype == torch.float32 and delta.dtype == torch.float32
    torch.testing.assert_close(ig32.double(), explain.integrated_gradients(torch_net, xt, 2, baseline=0.1),
                               rtol=1e-4, atol=1e-6)
    assert delta.abs().max() < 1e-5
    np.testing.assert_allclose(explain.occlusion(net32, x, (2,), target=0).numpy(),
                               explain.occlusion(np_net, x, (2,), target=0), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", explain.METHODS)
@pytest.mark.parametrize("n_steps", [2, 7, 50])
def test_integration_points_equal_captums(method, n_steps):
    step_sizes, alphas = approximation_parameters(method)
    ours_alphas, ours_weights = explain.integration_points(n_steps, method)
    np.testing.assert_allclose(ours_alphas, alphas(n_steps), rtol=1e-6, atol=1e-7)  # captum: float32 linspace
    np.testing.assert_allclose(ours_weights, step_sizes(n_steps), rtol=1e-14)
    total = (n_steps - 1) / n_steps if method == "riemann_trapezoid" else 1.0  # captum's trapezoid quirk
    assert ours_weights.sum() == pytest.approx(total, rel=1e-13)


@pytest.mark.parametrize("n", [1, 3, 6])
def test_gauss_legendre_is_exact_for_polynomials_up_to_degree_2n_minus_1(n):
    alphas, weights = explain.integration_points(n, "gausslegendre")
    for degree in range(2 * n):
        assert weights @ alphas ** degree == pytest.approx(1 / (degree + 1), rel=1e-12)
    assert abs(weights @ alphas ** (2 * n) - 1 / (2 * n + 1)) > 1e-9  # and not beyond (rounding is about 1e-16)


def _float32_weights(monkeypatch):
    """captum multiplies the gradients by its step sizes cast to float32 (integrated_gradients.py,
    ``torch.tensor(step_sizes).float()``) and takes its Riemann alphas from a torch.linspace in the default
    dtype (float32); here ours use the same rounded weights and captum's alphas (equal to ours within float32
    rounding: test_integration_points_equal_captums), so the rest of the computation is compared tightly."""
    exact = explain.integration_points

    def rounded(n_steps=50, method="gausslegendre"):
        weights = exact(n_steps, method)[1]
        return np.array(approximation_parameters(method)[1](n_steps)), weights.astype(np.float32).astype(float)

    monkeypatch.setattr(explain, "integration_points", rounded)


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("method", explain.METHODS)
def test_integrated_gradients_equal_captum(kind, method, monkeypatch):
    np_net, torch_net, x, xt, target = _case(kind)
    exact = explain.integrated_gradients(torch_net, xt, target, n_steps=9, method=method)
    _float32_weights(monkeypatch)
    ours, delta = explain.integrated_gradients(torch_net, xt, target, n_steps=9, method=method,
                                               return_convergence_delta=True)
    ref, ref_delta = IntegratedGradients(torch_net).attribute(xt, target=target, n_steps=9, method=method,
                                                              return_convergence_delta=True)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(delta, ref_delta, rtol=1e-9, atol=1e-11)
    # with float64 weights the two differ by about float32's rounding only
    torch.testing.assert_close(exact, ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("baseline", ["zeros", "number", "one", "each"])
def test_integrated_gradients_baselines_and_batching_match_captum_and_numpy(kind, baseline):
    np_net, torch_net, x, xt, target = _case(kind)
    other = np.random.default_rng(5).normal(size=x.shape)
    b = {"zeros": None, "number": 0.3, "one": other[0], "each": other}[baseline]
    bt = b if b is None or isinstance(b, float) else torch.tensor(b)
    ours = explain.integrated_gradients(torch_net, xt, target, baseline=bt, n_steps=6, internal_batch_size=7)
    whole = explain.integrated_gradients(torch_net, xt, target, baseline=bt, n_steps=6)
    torch.testing.assert_close(ours, whole, rtol=1e-12, atol=1e-14)
    uneven = explain.integrated_gradients(torch_net, xt, target, baseline=bt, n_steps=6,
                                          internal_batch_size=5 * len(x))  # 5 steps, then 1
    torch.testing.assert_close(uneven, whole, rtol=1e-12, atol=1e-14)
    captum_b = 0.0 if b is None else (bt[None] if baseline == "one" else bt)
    ref = IntegratedGradients(torch_net).attribute(xt, baselines=captum_b, target=target, n_steps=6,
                                                   internal_batch_size=7)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(explain.integrated_gradients(np_net, x, target, baseline=b, n_steps=6),
                               ours.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method, order", [("riemann_left", 1), ("riemann_right", 1), ("riemann_middle", 2),
                                           ("riemann_trapezoid", 1), ("gausslegendre", 4)])
def test_completeness_error_shrinks_with_n_steps(method, order):
    """On a smooth (tanh) network the gap Σ IG − (f(x) − f(x')) falls as n_steps doubles: halving at least
    for the first-order rules (captum's trapezoid is first order: its weights sum to 1 − 1/n), quartering
    for the midpoint rule, faster for Gauss–Legendre, down to rounding."""
    _, torch_net = _mlp((7, 16, 3), ("tanh", "linear"), seed=3)
    _, xt = _inputs((6, 7), seed=4)
    errors = explain.completeness_errors(torch_net, xt * 2, steps=(2, 4, 8, 16, 32), target=1, method=method)
    floor = 1e-13
    assert errors[0] > 1e-4
    for coarse, fine in zip(errors, errors[1:]):
        assert fine <= max(coarse / 2 ** order * 1.2, floor)
    assert errors[-1] < errors[0] / 10


def test_completeness_on_a_relu_network():
    """A ReLU network's integrand jumps, so convergence is slower, but it still tends to zero."""
    np_net, _ = _mlp((7, 16, 3), ("relu", "linear"), seed=3)
    x, _ = _inputs((6, 7), seed=4)
    errors = explain.completeness_errors(np_net, x, steps=(4, 64, 1024), target=0, method="riemann_middle")
    assert errors[2] < errors[0] / 10


def test_integrated_gradients_of_a_linear_model_are_weight_times_distance():
    net = ct.build_mlp([5, 2], ["linear"], rng=np.random.default_rng(0), dtype=torch.float64)
    _, xt = _inputs((3, 5))
    ig = explain.integrated_gradients(net, xt, target=1, baseline=0.5, n_steps=1, method="riemann_left")
    torch.testing.assert_close(ig, (xt - 0.5) * net[0].weight[1].detach(), rtol=1e-13, atol=1e-15)


OCCLUSIONS = {"mlp": [((3,), 2, 0.0), ((2,), 1, -1.0), ((7,), 1, 0.5)],
              "cnn": [((1, 3, 3), (1, 2, 2), 0.0), ((1, 4, 3), (1, 3, 2), 0.5), ((1, 2, 2), 1, "example")]}


@pytest.mark.parametrize("kind, index", [(k, i) for k in OCCLUSIONS for i in range(3)])
def test_occlusion_equals_captum_and_numpy_twin(kind, index):
    np_net, torch_net, x, xt, target = _case(kind)
    window, strides, baseline = OCCLUSIONS[kind][index]
    if baseline == "example":  # a per-feature fill value (one example's shape)
        baseline = np.random.default_rng(9).normal(size=x.shape[1:])
    bt = torch.tensor(baseline) if isinstance(baseline, np.ndarray) else baseline
    ours = explain.occlusion(torch_net, xt, window, strides, bt, target, perturbations_per_eval=3)
    ref = Occlusion(torch_net).attribute(xt, sliding_window_shapes=window, strides=strides,
                                         baselines=bt[None] if isinstance(bt, torch.Tensor) else bt,
                                         target=target)
    # captum divides the summed drops after casting them to float32 (feature_ablation.format_result)
    torch.testing.assert_close(ours, ref.double(), rtol=1e-6, atol=1e-8)
    assert (ours != 0).any()
    np.testing.assert_allclose(explain.occlusion(np_net, x, window, strides, baseline, target), ours.numpy(),
                               rtol=1e-10, atol=1e-13)


def test_occlusion_windows_cover_every_feature_with_a_cut_last_window():
    windows = explain.occlusion_windows((1, 8, 7), (1, 3, 3), (1, 2, 2))
    assert len(windows) == 1 * 4 * 3  # ceil((8 - 3) / 2) + 1 = 4 row starts (0, 2, 4, 6), ceil(4 / 2) + 1 = 3
    counts = np.zeros((1, 8, 7))
    for w in windows:
        counts[w] += 1
    assert counts.min() >= 1
    assert windows[-1][1] == slice(6, 9) and np.zeros(8)[windows[-1][1]].size == 2  # cut at the edge


def test_occlusion_of_the_whole_input_is_the_score_drop():
    np_net, torch_net, x, xt, target = _case("cnn")
    full = explain.occlusion(np_net, x, (1, 8, 8), target=target)
    drop = explain.gradient(np_net, x, target)[0] - explain.gradient(np_net, np.zeros_like(x), target)[0]
    np.testing.assert_allclose(full, np.broadcast_to(drop[:, None, None, None], x.shape), rtol=1e-12)


def _trained_mlp(seed):
    """An MLP trained on data whose label depends on 4 of 20 features (the rest are noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, 20))
    y = (x[:, :4] @ np.array([2.0, -2.0, 1.5, 1.0]) + 0.5 * x[:, 0] * x[:, 1] > 0).astype(np.int64)
    net = ct.build_mlp([20, 32, 32, 2], ["relu", "relu", "linear"], rng=rng, dtype=torch.float64)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    assert (net(xt).argmax(1) == yt).double().mean() > 0.95
    return net, xt[:50]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_randomization_check_drops_for_a_trained_model(seed):
    net, x = _trained_mlp(seed)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = randomization_check(net, x, "saliency", target=1, rng=seed)
    assert result["layers"] == ["original", "4", "2", "0"]
    assert result["spearman"][0] == pytest.approx(1.0)
    assert result["spearman_abs"][-1] < 0.5  # random weights: the map no longer ranks the features alike
    assert result["spearman_abs"][-1] < result["spearman_abs"][1]
    for k, v in net.state_dict().items():  # the model itself is left untouched
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    ig = randomization_check(net, x, "integrated_gradients", target=1, rng=seed, n_steps=16)
    assert ig["spearman"][-1] < 0.5


def test_randomization_check_numpy_equals_torch_and_independent_mode():
    net, x = _trained_mlp(0)
    np_net = cnp.build_mlp([20, 32, 32, 2], ["relu", "relu", "linear"])
    np_net.load_state_dict(net.state_dict())
    for cascading in (True, False):
        a = randomization_check(np_net, x.numpy(), "input_x_gradient", target=0, cascading=cascading, rng=3)
        b = randomization_check(net, x, "input_x_gradient", target=0, cascading=cascading, rng=3)
        np.testing.assert_allclose(a["spearman"], b["spearman"], rtol=1e-10)
        np.testing.assert_allclose(a["attributions"][-1], b["attributions"][-1].numpy(), rtol=1e-9, atol=1e-12)
    independent = randomization_check(net, x, "saliency", target=0, cascading=False, rng=3)
    cascade = randomization_check(net, x, "saliency", target=0, cascading=True, rng=3)
    assert independent["spearman"][1] == pytest.approx(cascade["spearman"][1])  # the same first step
    assert independent["spearman"][-1] != pytest.approx(cascade["spearman"][-1])  # then they differ


def test_randomization_helpers():
    np_net, _ = _cnn()
    assert weight_layers(np_net) == ["0", "2", "5", "9"]
    state = np_net.state_dict()
    new = reinitialized(state, "2", np.random.default_rng(0))
    bound = 1 / np.sqrt(2 * 3 * 3)
    assert np.abs(new["2.weight"]).max() <= bound and not np.allclose(new["2.weight"], state["2.weight"])
    assert all(new[k] is state[k] for k in state if not k.startswith("2."))
    a = np.random.default_rng(1).normal(size=(3, 10))
    assert rank_similarity(a, 2 * a + 1) == pytest.approx(1.0)
    assert rank_similarity(a, -a) == pytest.approx(-1.0)
    assert rank_similarity(a, -a, absolute=True) == pytest.approx(1.0)
    custom = randomization_check(np_net, _inputs((2, 1, 8, 8))[0], explain.occlusion, target=0, rng=0,
                                 window=(1, 2, 2), strides=2)
    assert len(custom["spearman"]) == 5


def test_bad_input_raises_clear_errors():
    np_net, torch_net = _mlp()
    x, xt = _inputs((4, 7))
    cases = [
        (lambda: explain.saliency(np_net, x[0], 0), "batch"),
        (lambda: explain.saliency(torch_net, xt), "target is needed"),
        (lambda: explain.saliency(np_net, x, 3), r"target must lie in \[0, 2\]"),
        (lambda: explain.saliency(np_net, x, [0, 1]), "4 ints"),
        (lambda: explain.saliency(object(), x, 0), "torch.nn.Module or a NumPy network"),
        (lambda: explain.integrated_gradients(np_net, x, 0, method="simpson"), "unknown method"),
        (lambda: explain.integrated_gradients(np_net, x, 0, n_steps=0), "n_steps must be an integer >= 1"),
        (lambda: explain.integrated_gradients(np_net, x, 0, n_steps=2.5), "n_steps"),
        (lambda: explain.integration_points(1, "riemann_trapezoid"), "n_steps >= 2"),
        (lambda: explain.integrated_gradients(np_net, x, 0, baseline=np.zeros(6)), "baseline must"),
        (lambda: explain.integrated_gradients(np_net, x, 0, internal_batch_size=0), "internal_batch_size"),
        (lambda: explain.occlusion(np_net, x, (8,), target=0), "larger than the input"),
        (lambda: explain.occlusion(np_net, x, (2,), 3, target=0), "must not exceed the window"),
        (lambda: explain.occlusion(np_net, x, (2, 2), target=0), "one per feature dimension"),
        (lambda: explain.occlusion(np_net, x, (2,), target=0, perturbations_per_eval=0), "perturbations"),
        (lambda: randomization_check(np_net, x, "gradcam", target=0), "unknown method"),
        (lambda: rank_similarity(x, x[:2]), "one shape"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
