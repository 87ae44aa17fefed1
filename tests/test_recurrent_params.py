"""The sequence layers' parameter names, shapes and order are torch.nn.RNN / LSTM / GRU's own."""

import itertools

import numpy as np
import pytest
import torch

from companion._recurrent import param_shapes, sequence_init

LAYERS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
CASES = [(kind, layers, bias, bidirectional, proj)
         for kind in LAYERS for layers, bias, bidirectional in itertools.product((1, 3), (True, False), (False, True))
         for proj in ((0, 2) if kind == "lstm" else (0,))]


@pytest.mark.parametrize("kind, layers, bias, bidirectional, proj", CASES)
def test_names_shapes_and_order_match_torch(kind, layers, bias, bidirectional, proj):
    extra = {"proj_size": proj} if proj else {}
    module = LAYERS[kind](5, 7, num_layers=layers, bias=bias, bidirectional=bidirectional, **extra)
    want = [(name, tuple(p.shape)) for name, p in module.state_dict().items()]
    assert list(param_shapes(kind, 5, 7, layers, bias, bidirectional, proj).items()) == want


def test_init_is_uniform_within_torch_bound_and_loads_into_torch():
    params = sequence_init("lstm", 3, 16, num_layers=2, bidirectional=True, rng=np.random.default_rng(0))
    for value in params.values():
        assert np.abs(value).max() <= 0.25 and np.abs(value).max() > 0.2
    module = torch.nn.LSTM(3, 16, num_layers=2, bidirectional=True).double()
    module.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})


@pytest.mark.parametrize("kwargs, match", [
    ({"proj_size": 2, "kind": "gru"}, "proj_size"),
    ({"proj_size": 7}, "proj_size"),
    ({"num_layers": 0}, "num_layers"),
    ({"hidden_size": 0}, "hidden_size"),
])
def test_bad_arguments_are_named(kwargs, match):
    args = {"kind": "lstm", "input_size": 5, "hidden_size": 7} | kwargs
    with pytest.raises(ValueError, match=match):
        param_shapes(**args)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_layer_class_names_the_same_layer_in_both_backends(kind):
    import companion.np as cnp
    import companion.torch as ct
    assert cnp.layer_class(kind).__name__ == ct.layer_class(kind).__name__ == kind.upper()
    for backend in (cnp, ct):
        with pytest.raises(ValueError, match="cell must be one of"):
            backend.layer_class("transformer")
