"""Loading a state dict into a NumPy layer (the checks every layer with ``load_state_dict`` shares), and the
bookkeeping NumPy layers share: the train/eval switch, and state dicts of a ``_params`` dict."""

import numpy as np


def checked_state(state, own, strict=True):
    """{name: array} from ``state`` (arrays or torch tensors), checked against ``own`` ({name: current array}).

    The keys must be ``own``'s (all of them when ``strict``, a subset otherwise) and each shape the current
    one; values come back cast to the current dtype. Raises ValueError naming the key otherwise.
    """
    if strict and set(state) != set(own):
        raise ValueError(f"state_dict keys differ: missing {sorted(set(own) - set(state))}, "
                         f"unexpected {sorted(set(state) - set(own))}")
    out = {}
    for key, value in state.items():
        if key not in own:
            raise ValueError(f"unexpected key {key!r}")
        value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
        if value.shape != own[key].shape:
            raise ValueError(f"{key}: expected shape {own[key].shape}, got {value.shape}")
        out[key] = value.astype(own[key].dtype)
    return out


class TrainMode:
    """``train()`` / ``eval()`` as torch.nn.Module has them: they set ``training`` and return the layer."""

    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)


class DictParams(TrainMode):
    """A layer whose parameters live in ``self._params``, {torch name: array} in torch's state-dict order."""

    def parameters(self):
        """{torch name: array}, in the order of torch's state dict."""
        return dict(self._params)

    def state_dict(self):
        return self.parameters()

    def load_state_dict(self, state):
        """Copy parameters in from a dict with torch's names and shapes (arrays or tensors)."""
        self._params = checked_state(state, self._params)
