"""Drawing the next token from a language model's logits (chapter: Recurrent neural networks).

p = softmax(z / T) over the vocabulary, optionally restricted to the k largest logits (top-k sampling,
the rest set to -inf before the softmax). Temperature T < 1 sharpens the distribution, T > 1 flattens
it, and T = 0 is greedy decoding: always the argmax.
"""

import numpy as np

from companion._losses import check_sampling_args
from companion.np.activations import softmax


def top_k_logits(logits, k):
    """logits (..., V) with all but the k largest of each row set to -inf (exactly k kept; ties by position)."""
    keep = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, keep, np.take_along_axis(logits, keep, axis=-1), axis=-1)
    return out


def sample_next(logits, temperature=1.0, top_k=None, rng=None):
    """One token per row drawn from softmax(logits / temperature), among the top_k largest if given.

    Shapes: logits (V,) or (N, V); returns an int, or an int64 array (N,). temperature 0 returns the
    argmax (the first on ties, as ``argmax`` does). rng: a ``numpy.random.Generator``; None uses NumPy's
    global generator (which :func:`companion.seed` seeds).
    """
    logits = np.asarray(logits, dtype=np.float64)
    check_sampling_args(logits, temperature, top_k)
    if temperature == 0:
        choice = logits.argmax(axis=-1)
    else:
        # the largest logit is moved to 0 first (softmax ignores the shift), so that a tiny temperature sends
        # the others to -inf instead of overflowing every entry to +-inf (which would give NaN)
        with np.errstate(over="ignore"):
            z = (logits - logits.max(axis=-1, keepdims=True)) / temperature
        probs = softmax(np.atleast_2d(z if top_k is None else top_k_logits(z, top_k)))
        uniform = (np.random.random if rng is None else rng.random)((probs.shape[0], 1))
        # inverse CDF: the first class whose cumulative probability exceeds u times the total (the total,
        # not 1, so that rounding can never pick past the last class, nor a class of probability 0)
        cumulative = probs.cumsum(axis=-1)
        choice = (cumulative <= uniform * cumulative[:, -1:]).sum(axis=-1)
        choice = choice.reshape(logits.shape[:-1])
    return int(choice) if logits.ndim == 1 else choice.astype(np.int64)
