"""Drawing the next token from logits in PyTorch: softmax(z / T), top-k, T = 0 greedy (NumPy twin's rules)."""

import torch

from companion._losses import check_sampling_args


def top_k_logits(logits, k):
    """logits (..., V) with all but the k largest of each row set to -inf (exactly k kept)."""
    values, keep = torch.topk(logits, k, dim=-1)
    return torch.full_like(logits, float("-inf")).scatter(-1, keep, values)


def sample_next(logits, temperature=1.0, top_k=None, generator=None):
    """One token per row drawn from softmax(logits / temperature), among the top_k largest if given.

    Shapes: logits (V,) or (N, V); returns a long tensor () or (N,) on logits' device. temperature 0
    returns the argmax. generator: a ``torch.Generator`` for repeatable draws (None: torch's global one).
    """
    check_sampling_args(logits, temperature, top_k)
    with torch.no_grad():
        if temperature == 0:
            return logits.argmax(dim=-1)
        # shift the largest logit to 0 first (softmax ignores it): a tiny temperature then sends the others
        # to -inf rather than overflowing every entry (NaN probabilities); the maximum stays 0 even where
        # T rounds to 0 in the logits' dtype (float32 below about 1e-45), which would make it 0/0
        shifted = logits - logits.amax(dim=-1, keepdim=True)
        z = torch.where(shifted == 0, torch.zeros_like(shifted), shifted / temperature)
        probs = torch.softmax(z if top_k is None else top_k_logits(z, top_k), dim=-1)
        return torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator).reshape(logits.shape[:-1])
