"""NumPy reference == PyTorch twin: forward values, and hand-written backward == torch.autograd."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from concepts import CONCEPTS, to_torch

DTYPES = {  # (NumPy dtype, torch dtype, rtol, atol)
    "float64": (np.float64, torch.float64, 1e-10, 1e-12),
    "float32": (np.float32, torch.float32, 1e-5, 1e-6),
}
dims = st.tuples(st.integers(1, 6), st.integers(1, 5), st.integers(1, 5))


def _cast(inputs, np_dtype):
    return tuple(a if np.issubdtype(a.dtype, np.integer) else a.astype(np_dtype) for a in inputs)


def _compare(concept, inputs, dtype, dout_seed):
    np_dtype, torch_dtype, rtol, atol = DTYPES[dtype]
    inputs = _cast(inputs, np_dtype)
    tensors = [to_torch(a, torch_dtype, requires_grad=i in concept.differentiable) for i, a in enumerate(inputs)]

    out_np = np.asarray(concept.np_forward(*inputs))
    out_t = concept.torch_forward(*tensors)
    np.testing.assert_allclose(out_np, out_t.detach().numpy(), rtol=rtol, atol=atol, err_msg="forward")

    dout = np.random.default_rng(dout_seed).normal(size=out_np.shape).astype(np_dtype)
    (out_t * to_torch(dout, torch_dtype)).sum().backward()
    grads_np = concept.np_backward(dout, *inputs)
    assert len(grads_np) == len(concept.differentiable)
    for index, g_np in zip(concept.differentiable, grads_np):
        np.testing.assert_allclose(g_np, tensors[index].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {index}")
        assert np.asarray(g_np).dtype == np_dtype, "the backward pass must keep the input's precision"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("concept", CONCEPTS, ids=repr)
@settings(max_examples=15, deadline=None)
@given(d=dims, seed=st.integers(0, 2**31 - 1))
def test_numpy_matches_torch(concept, dtype, d, seed):
    _compare(concept, concept.make_inputs(np.random.default_rng(seed), d), dtype, seed + 1)


@pytest.mark.parametrize("concept", CONCEPTS, ids=repr)
def test_concept_outputs_are_not_trivial(concept):
    """Guard against a registry entry that compares two zeros: outputs and gradients must vary."""
    inputs = concept.make_inputs(np.random.default_rng(0), (4, 3, 2))
    out = np.asarray(concept.np_forward(*inputs))
    assert np.isfinite(out).all() and np.abs(out).max() > 1e-3
    dout = np.random.default_rng(1).normal(size=out.shape)
    assert any(np.abs(g).max() > 1e-6 for g in concept.np_backward(dout, *inputs))


def test_binary_cross_entropy_gradient_at_saturated_probabilities_matches_torch():
    """A sigmoid output that rounded to exactly 0 or 1 gets torch's finite gradient, not inf or NaN."""
    from companion import np as cnp

    p = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.3], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=torch.float64)
    torch.nn.functional.binary_cross_entropy(p, t).backward()
    ours = cnp.binary_cross_entropy_grad(p.detach().numpy(), t.numpy())
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-7)
    assert cnp.binary_cross_entropy(p.detach().numpy(), t.numpy()) == pytest.approx(
        torch.nn.functional.binary_cross_entropy(p, t).item())
