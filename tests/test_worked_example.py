"""The chapter's worked example, to the digits the prose quotes, in both backends."""

import numpy as np
import pytest
import torch

from companion import torch as ct
from companion.data import worked_example

QUOTED = {"z1": 0.78, "z2": 0.37, "z_out": 0.781, "output": 0.686}  # as printed in the chapter


def test_numpy_reference_gives_the_quoted_numbers():
    steps = worked_example.forward_steps()
    for name, value in QUOTED.items():
        digits = len(str(value).split(".")[1])
        assert round(steps[name], digits) == value, name
    assert steps["h1"] == steps["z1"] and steps["h2"] == steps["z2"]  # both positive, ReLU passes them


def test_torch_agrees_with_numpy():
    p = worked_example.parameters()
    net = ct.from_weights(worked_example.layer_arrays(p), worked_example.ACTIVATIONS, device="cpu")
    z_hidden, h, z_out, out = net.trace(torch.tensor(worked_example.inputs(p)))
    steps = worked_example.forward_steps()
    np.testing.assert_allclose([z_hidden[0].item(), z_hidden[1].item(), z_out.item(), out.item()],
                               [steps["z1"], steps["z2"], steps["z_out"], steps["output"]], rtol=1e-12)


def test_changing_one_weight_changes_the_output_as_the_formula_says():
    steps = worked_example.forward_steps(w5=0.2)
    z_out = 0.2 * 0.78 + 0.5 * 0.37 + 0.05
    assert steps["z_out"] == pytest.approx(z_out)
    assert steps["output"] == pytest.approx(1 / (1 + np.exp(-z_out)))


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match=r"unknown worked-example parameter\(s\) \['w7'\]"):
        worked_example.forward_steps(w7=1.0)
