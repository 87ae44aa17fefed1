"""glue() hands myst-nb values whose text form its number formats can read."""

import myst_nb
import numpy as np
import torch

from companion.book import glue


def test_numpy_and_torch_scalars_are_glued_as_python_numbers(monkeypatch):
    stored = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: stored.__setitem__(name, value))
    glue("f", np.float64(0.25))
    glue("i", np.int64(3))
    glue("a", np.array(1.5))
    glue("t", torch.tensor(2.0))
    glue("v", np.array([1.0, 2.0]))
    assert stored["f"] == 0.25 and type(stored["f"]) is float
    assert type(stored["i"]) is int and type(stored["a"]) is float and type(stored["t"]) is float
    assert f"{stored['f']:.3f}" == "0.250" and repr(stored["f"]) == "0.25"
    assert isinstance(stored["v"], np.ndarray)  # arrays are left alone
