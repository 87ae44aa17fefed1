"""Loading a state dict into a NumPy layer: the checks every layer with ``load_state_dict`` shares."""

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
