"""Positional encodings in both backends (float64): sinusoidal, learned, rotary.

Sinusoidal: entries against Vaswani et al.'s formula computed one by one with math.sin/cos, the shift
PE[pos + k] = M_k PE[pos] the paper gives as its reason, odd sizes, both backends equal. Learned: against
torch.nn.Embedding (values, gradients, state dicts both ways), lengths past the table refused. Rotary:
against three independent references (RoFormer's block-diagonal matrix, complex multiplication as in
Meta's LLaMA code, the rotate_half formula of GPT-NeoX / Hugging Face), the two conventions a permutation
apart, norms kept, q . k depending only on the relative position, the NumPy backward against autograd,
finite differences and the inverse rotation.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import companion.np as enp
import companion.torch as et
from tests.finite_differences import entrywise_rel_error, numerical_gradient


# --- sinusoidal -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length, dim, base", [(50, 16, 10000.0), (7, 5, 10000.0), (3, 1, 10000.0),
                                               (12, 6, 100.0)])
def test_sinusoidal_entries_follow_the_formula(length, dim, base):
    table = enp.sinusoidal_positions(length, dim, base)
    assert table.shape == (length, dim)
    for pos in range(length):
        for j in range(dim):  # column j = 2i is a sine, 2i + 1 a cosine, both of pos / base^(2i / dim)
            two_i = j - j % 2
            wave = (math.sin if j % 2 == 0 else math.cos)(pos / base ** (two_i / dim))
            assert table[pos, j] == pytest.approx(wave, abs=1e-12)
    got = et.sinusoidal_positions(length, dim, base, dtype=torch.float64, device="cpu")
    assert np.allclose(got.numpy(), table, rtol=0, atol=1e-12)


def test_sinusoidal_hand_picked_values():
    table = enp.sinusoidal_positions(10, 4)
    assert table[0].tolist() == [0.0, 1.0, 0.0, 1.0]  # position 0: every sine 0, every cosine 1
    assert table[1, 0] == pytest.approx(math.sin(1.0)) and table[1, 1] == pytest.approx(math.cos(1.0))
    assert table[9, 2] == pytest.approx(math.sin(9 / 100)) and table[9, 3] == pytest.approx(math.cos(9 / 100))


def test_shift_by_k_is_a_fixed_linear_map_of_the_table():
    """Vaswani et al.: for any offset k, PE[pos + k] is a linear function of PE[pos] (a rotation per pair)."""
    dim, k = 8, 5
    table = enp.sinusoidal_positions(40, dim)
    theta = enp.inverse_frequencies(dim)
    shift = np.zeros((dim, dim))
    for i, w in enumerate(theta):  # (sin(a + b), cos(a + b)) from (sin a, cos a)
        shift[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[np.cos(w * k), np.sin(w * k)], [-np.sin(w * k), np.cos(w * k)]]
    assert np.allclose(table[:-k] @ shift.T, table[k:], atol=1e-12)


def test_wavelengths_grow_geometrically_from_two_pi_towards_base_two_pi():
    theta = enp.inverse_frequencies(64)
    assert theta[0] == 1.0 and np.allclose(theta[1:] / theta[:-1], 10000.0 ** (-2 / 64))
    assert 2 * np.pi / theta[-1] < 2 * np.pi * 10000.0
    assert np.allclose(et.inverse_frequencies(64, device="cpu").numpy(), theta, rtol=1e-14)


def test_sinusoidal_dtypes_and_empty_length():
    assert enp.sinusoidal_positions(4, 6, dtype=np.float32).dtype == np.float32
    assert et.sinusoidal_positions(4, 6, device="cpu").dtype == torch.get_default_dtype()
    assert enp.sinusoidal_positions(0, 6).shape == (0, 6) and tuple(et.sinusoidal_positions(0, 6).shape) == (0, 6)


@pytest.mark.parametrize("fn", [enp.sinusoidal_positions, et.sinusoidal_positions])
@pytest.mark.parametrize("args, message", [((-1, 4), "length"), ((4, 0), "dim"), ((4, 2.0), "dim"),
                                           ((4, 4, 0.0), "base"), ((4, 4, float("nan")), "base"),
                                           ((True, 4), "length")])
def test_sinusoidal_bad_arguments(fn, args, message):
    with pytest.raises(ValueError, match=message):
        fn(*args)


# --- learned --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [np.array([[0, 3, 3], [8, 1, 0]]), 6])
def test_learned_positions_match_torch_embedding_values_and_gradients(query):
    positions = np.arange(query) if isinstance(query, int) else query  # an int asks for rows 0 .. query - 1
    dout = np.random.default_rng(0).normal(size=positions.shape + (4,))
    ours = enp.LearnedPositions(9, 4, rng=np.random.default_rng(1))
    twin = et.LearnedPositions(9, 4, rng=np.random.default_rng(1), dtype=torch.float64, device="cpu")
    assert np.array_equal(ours.weight, twin.weight.detach().numpy())  # the same draw in both backends
    referee = torch.nn.Embedding(9, 4, dtype=torch.float64)
    referee.load_state_dict(twin.state_dict())  # torch.nn.Embedding takes the twin's state dict
    want = referee(torch.tensor(positions))
    (want * torch.tensor(dout)).sum().backward()
    out = ours(query)
    ours.backward(dout)
    got = twin(query)
    (got * torch.tensor(dout)).sum().backward()
    assert np.array_equal(out, want.detach().numpy()) and np.array_equal(got.detach().numpy(), out)
    assert np.allclose(ours.grads["weight"], referee.weight.grad.numpy(), rtol=0, atol=1e-14)
    assert np.allclose(twin.weight.grad.numpy(), referee.weight.grad.numpy(), rtol=0, atol=1e-14)


def test_learned_positions_gradient_matches_finite_differences():
    layer = enp.LearnedPositions(5, 3, rng=np.random.default_rng(2))
    dout = np.random.default_rng(3).normal(size=(4, 3))
    layer(4)
    layer.backward(dout)
    numeric = numerical_gradient(lambda: float((layer(4) * dout).sum()), layer.weight)
    assert entrywise_rel_error(layer.grads["weight"], numeric) < 1e-7
    assert np.all(layer.grads["weight"][4] == 0)  # position 4 was not looked up


def test_learned_positions_state_dicts_load_both_ways():
    referee = torch.nn.Embedding(6, 2, dtype=torch.float64)
    ours = enp.LearnedPositions(6, 2)
    ours.load_state_dict(referee.state_dict())
    assert np.array_equal(ours.weight, referee.weight.detach().numpy())
    twin = et.LearnedPositions(6, 2, dtype=torch.float64, device="cpu")
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    assert torch.equal(twin.weight, referee.weight)
    frozen = enp.LearnedPositions.from_pretrained(ours.weight)
    frozen(3)
    frozen.backward(np.ones((3, 2)))
    assert frozen.grads == {} and repr(frozen) == "LearnedPositions(6, 2)"
    assert not et.LearnedPositions.from_pretrained(twin.weight.detach()).weight.requires_grad


@pytest.mark.parametrize("layer", [enp.LearnedPositions(4, 2), et.LearnedPositions(4, 2, device="cpu")])
def test_learned_positions_refuse_positions_past_the_table(layer):
    with pytest.raises(ValueError, match="longer than the learned table's 4 positions"):
        layer(5)
    with pytest.raises(ValueError, match="position 4 is beyond"):
        layer(np.array([0, 4]))
    with pytest.raises(ValueError, match="non-negative"):
        layer(np.array([-1]))
    with pytest.raises(TypeError, match="integers"):
        layer(np.array([0.5]))
    assert tuple(layer(0).shape) == (0, 2)


# --- rotary ---------------------------------------------------------------------------------------------------

def paper_rotation(m, dim, base=10000.0):
    """RoFormer's R^d_(Theta, m): block diagonal, block i = [[cos m t_i, -sin m t_i], [sin m t_i, cos m t_i]] on
    features (2i - 1, 2i) (1-based), t_i = base^(-2 (i - 1) / d), i = 1 .. d/2; written out entry by entry."""
    rotation = np.zeros((dim, dim))
    for i in range(1, dim // 2 + 1):
        t = base ** (-2 * (i - 1) / dim)
        c, s = math.cos(m * t), math.sin(m * t)
        rotation[2 * i - 2:2 * i, 2 * i - 2:2 * i] = [[c, -s], [s, c]]
    return rotation


def complex_rotation(x, positions, base=10000.0):
    """Adjacent pairs as complex numbers times e^(i m theta), as Meta's LLaMA code computes RoPE."""
    x = torch.as_tensor(x)
    theta = base ** (-torch.arange(0, x.shape[-1], 2, dtype=torch.float64) / x.shape[-1])
    angles = torch.as_tensor(positions, dtype=torch.float64)[..., None] * theta
    turn = torch.polar(torch.ones_like(angles), angles)
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(pairs * turn).flatten(-2).numpy()


def rotate_half_rotation(x, positions, base=10000.0):
    """GPT-NeoX / Hugging Face LLaMA: x cos + rotate_half(x) sin, the frequencies repeated over both halves."""
    half = x.shape[-1] // 2
    theta = base ** (-np.arange(0, x.shape[-1], 2) / x.shape[-1])
    angles = np.concatenate([theta, theta]) * np.asarray(positions, dtype=np.float64)[..., None]
    rotated_half = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * np.cos(angles) + rotated_half * np.sin(angles)


def _rotary_case(seed, shape):
    return np.random.default_rng(seed).normal(size=shape)


def test_rotary_is_the_papers_block_diagonal_rotation():
    x = _rotary_case(0, (2, 6, 8))
    want = np.stack([np.stack([paper_rotation(m, 8) @ x[n, m] for m in range(6)]) for n in range(2)])
    assert np.allclose(enp.apply_rotary(x), want, rtol=0, atol=1e-12)
    assert np.allclose(et.apply_rotary(torch.tensor(x)).numpy(), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("interleaved", [True, False])
def test_rotary_matches_the_reference_implementations(interleaved):
    x, positions = _rotary_case(1, (3, 5, 12)), np.array([[0, 1, 2, 3, 4], [7, 3, 100, 2, 0], [9, 9, 9, 9, 9]])
    want = complex_rotation(x, positions, 500.0) if interleaved else rotate_half_rotation(x, positions, 500.0)
    out = enp.apply_rotary(x, positions, 500.0, interleaved=interleaved)
    assert np.allclose(out, want, rtol=0, atol=1e-12)
    got = et.apply_rotary(torch.tensor(x), torch.tensor(positions), 500.0, interleaved=interleaved)
    assert np.allclose(got.numpy(), out, rtol=0, atol=1e-12)


def test_half_split_is_the_interleaved_rotation_after_a_permutation():
    dim = 10
    x = _rotary_case(2, (4, dim))
    to_pairs = np.arange(dim).reshape(2, -1).T.ravel()  # [0, 5, 1, 6, ...]: feature i beside feature i + D/2
    half = enp.apply_rotary(x, interleaved=False)
    assert np.allclose(enp.apply_rotary(x[:, to_pairs])[:, np.argsort(to_pairs)], half, atol=1e-14)
    assert not np.allclose(enp.apply_rotary(x), half)  # the conventions differ: mixing them is an error


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).map(lambda h: 2 * h), st.integers(-50, 50), st.integers(-50, 50), st.integers(-500, 500),
       st.booleans(), st.integers(0, 2 ** 16))
def test_rotary_keeps_norms_and_scores_depend_only_on_the_offset(dim, m, n, shift, interleaved, seed):
    q, k = _rotary_case(seed, (2, dim))
    turn = lambda v, p: enp.apply_rotary(v, np.float64(p), interleaved=interleaved)  # noqa: E731
    assert np.isclose(np.linalg.norm(turn(q, m)), np.linalg.norm(q), rtol=1e-12)
    score = turn(q, m) @ turn(k, n)
    assert np.isclose(score, turn(q, m + shift) @ turn(k, n + shift), rtol=1e-9, atol=1e-9)
    assert np.isclose(score, q @ turn(k, n - m), rtol=1e-9, atol=1e-9)
    twin = lambda v, p: et.apply_rotary(torch.tensor(v), torch.tensor(float(p)), interleaved=interleaved)  # noqa: E731
    assert np.isclose(float(twin(q, m) @ twin(k, n)), score, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("interleaved", [True, False])
@pytest.mark.parametrize("shape, positions", [((2, 3, 5, 6), None), ((2, 5, 4), np.array([[3, 1, 4, 1, 5],
                                                                                         [9, 2, 6, 5, 3]])),
                                               ((5, 8), np.array([0.5, 1.25, 2.0, 7.75, 40.0]))])
def test_rotary_backward_matches_autograd_and_finite_differences(interleaved, shape, positions):
    x, dout = _rotary_case(3, shape), _rotary_case(4, shape)
    out, cache = enp.apply_rotary_forward(x, positions, interleaved=interleaved)
    dx = enp.apply_rotary_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    got = et.apply_rotary(xt, None if positions is None else torch.tensor(positions), interleaved=interleaved)
    (got * torch.tensor(dout)).sum().backward()
    assert np.allclose(got.detach().numpy(), out, rtol=0, atol=1e-12)
    assert np.allclose(xt.grad.numpy(), dx, rtol=0, atol=1e-12)
    small = x[..., :2, :] if positions is None else x  # finite differences on a few dozen entries
    small_dout = dout[..., :2, :] if positions is None else dout
    _, small_cache = enp.apply_rotary_forward(small, positions, interleaved=interleaved)
    numeric = numerical_gradient(
        lambda: float((enp.apply_rotary(small, positions, interleaved=interleaved) * small_dout).sum()), small)
    assert entrywise_rel_error(enp.apply_rotary_backward(small_dout, small_cache), numeric) < 1e-7
    assert np.allclose(enp.apply_rotary_backward(out, cache), x, atol=1e-12)  # turning back undoes it


def test_rotary_positions_default_broadcast_and_dtypes():
    x = _rotary_case(5, (2, 3, 4, 6))  # (N, heads, T, D): the default positions run along axis -2
    assert np.allclose(enp.apply_rotary(x), enp.apply_rotary(x, np.arange(4)), atol=0)
    assert np.allclose(enp.apply_rotary(x, np.zeros(4)), x, atol=0)  # position 0 turns nothing
    per_row = np.array([[0, 1, 2, 3], [5, 6, 7, 8]])[:, None, :]  # (N, 1, T): each sequence its own offsets
    out = enp.apply_rotary(x, per_row)
    assert np.allclose(out[1], enp.apply_rotary(x[1], np.arange(5, 9)), atol=1e-14)
    assert enp.apply_rotary(x.astype(np.float32)).dtype == np.float32
    assert enp.apply_rotary(np.ones((2, 4), dtype=np.int64)).dtype == np.float64
    assert et.apply_rotary(torch.ones(2, 4, dtype=torch.float32)).dtype == torch.float32
    assert et.apply_rotary(torch.ones(2, 4, dtype=torch.int64)).dtype == torch.get_default_dtype()


@pytest.mark.parametrize("backend", ["np", "torch"])
@pytest.mark.parametrize("shape, positions, message", [
    ((3, 5), None, "must be even"), ((6,), None, "at least 2-D"), ((4, 6), np.arange(5), "must broadcast"),
    ((4, 6), np.zeros((2, 4)), "must broadcast"), ((4, 6), np.array([0, 1, np.nan, 3]), "non-finite")])
def test_rotary_bad_arguments(backend, shape, positions, message):
    x = np.zeros(shape)
    fn = enp.apply_rotary if backend == "np" else lambda x, p, **kw: et.apply_rotary(
        torch.tensor(x), None if p is None else torch.tensor(p), **kw)
    with pytest.raises(ValueError, match=message):
        fn(x, positions)
    with pytest.raises(ValueError, match="base"):
        fn(np.zeros((2, 4)), None, base=-1.0)


def test_rotary_backward_checks_dout_shape():
    _, cache = enp.apply_rotary_forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"dout must have x's shape \(3, 4\)"):
        enp.apply_rotary_backward(np.zeros((4, 3)), cache)
