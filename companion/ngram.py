"""n-gram language models, counted with NumPy (chapter: Recurrent neural networks): the baseline a
recurrent language model must beat.

An n-gram model predicts token w_t from the n - 1 tokens before it, by counting:

* add-k: P(w | u) = (c(u, w) + k) / (c(u) + k V), u the n - 1 previous tokens, V the vocabulary size;
* interpolated: P(w | u) = Σ_j λ_j P_j(w | last j - 1 tokens of u), a mixture of the maximum-likelihood
  estimates of orders j = 1 … n (weights λ summing to one), the unigram estimate add-k smoothed so that
  no token has probability zero (Jelinek and Mercer's interpolation). An order whose context never
  occurred in training has no estimate; the weights of the orders that have one are renormalized.

Perplexity is exp of the mean negative log-likelihood per token, exp(-(1/T) Σ_t log P(w_t | w_<t)).
"""

import numpy as np


def perplexity(log_probs):
    """exp(-mean(log_probs)): log_probs are the natural-log probabilities the model gave each token."""
    log_probs = np.asarray(log_probs, dtype=float)
    if log_probs.size == 0:
        raise ValueError("perplexity needs at least one log-probability")
    return float(np.exp(-log_probs.mean()))


class NgramModel:
    """``NgramModel(order, vocab_size, smoothing="add-k", k=1.0, lambdas=None)``; ``fit(ids)`` counts a
    token stream (ints in [0, vocab_size)); ``log_prob(ids, context=None)`` scores every token of a stream.

    For the first tokens of a stream, with fewer than n - 1 predecessors (``context``, the tokens that came
    before the stream, supplies them), the model of the highest order the history allows is used.
    ``lambdas`` (length ``order``, from order 1 up) default to equal weights.
    """

    def __init__(self, order, vocab_size, smoothing="add-k", k=1.0, lambdas=None):
        if int(order) != order or order < 1:
            raise ValueError(f"order must be a positive integer, got {order}")
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be positive, got {vocab_size}")
        if smoothing not in ("add-k", "interpolated"):
            raise ValueError(f"smoothing must be 'add-k' or 'interpolated', got {smoothing!r}")
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        if lambdas is not None:
            lambdas = np.asarray(lambdas, dtype=float)
            if lambdas.shape != (order,) or np.any(lambdas < 0) or not np.isclose(lambdas.sum(), 1.0):
                raise ValueError(f"lambdas must be {order} non-negative weights summing to 1, got {lambdas}")
        self.order, self.vocab_size, self.smoothing, self.k = int(order), int(vocab_size), smoothing, float(k)
        self.lambdas = np.full(order, 1.0 / order) if lambdas is None else lambdas
        self._counts = None

    def _keys(self, ids, n):
        """(len - n + 1,) int64 codes of the n-grams of ``ids``: Σ_j ids[t + j] V^(n - 1 - j)."""
        keys = np.zeros(len(ids) - n + 1, dtype=np.int64)
        for j in range(n):
            keys = keys * self.vocab_size + ids[j:len(ids) - n + 1 + j]
        return keys

    def fit(self, ids):
        """Count every j-gram, j = 1 … order, of the stream; returns self."""
        ids = self._check_ids(ids)
        if len(ids) < self.order:
            raise ValueError(f"a stream of {len(ids)} tokens is too short for {self.order}-grams")
        if self.vocab_size ** self.order >= 2 ** 62:
            raise ValueError("vocab_size ** order is too large for the int64 n-gram codes")
        self._total = len(ids)
        # c(u, w): every j-gram; c(u): the (j-1)-grams that some token follows (not the stream's last)
        self._counts = {n: np.unique(self._keys(ids, n), return_counts=True) for n in range(1, self.order + 1)}
        self._contexts = {n: np.unique(self._keys(ids[:-1], n - 1), return_counts=True)
                          for n in range(2, self.order + 1)}
        return self

    @staticmethod
    def _count(table_counts, keys):
        """The count of each code in a (codes, counts) table (0 for unseen ones)."""
        table, counts = table_counts
        where = np.minimum(np.searchsorted(table, keys), len(table) - 1)
        return np.where(table[where] == keys, counts[where], 0)

    def _probs(self, n, grams):
        """(P_n(w | context), context seen) for (M, n) arrays of n-grams: add-k, or for the interpolated
        model the maximum-likelihood estimate (orders above 1; 0 where the context was never seen)."""
        full = self._count(self._counts[n], self._gram_keys(grams))
        context = self._count(self._contexts[n], self._gram_keys(grams[:, :-1])) if n > 1 else \
            np.full(len(grams), self._total)
        if self.smoothing == "add-k" or n == 1:
            return (full + self.k) / (context + self.k * self.vocab_size), context > 0
        return np.divide(full, context, out=np.zeros(len(grams)), where=context > 0), context > 0

    def _gram_keys(self, grams):
        keys = np.zeros(len(grams), dtype=np.int64)
        for j in range(grams.shape[1]):
            keys = keys * self.vocab_size + grams[:, j]
        return keys

    def _prob_of_order(self, n, grams):
        if self.smoothing == "add-k":
            return self._probs(n, grams)[0]
        probs, seen = zip(*(self._probs(j, grams[:, n - j:]) for j in range(1, n + 1)))
        # an order whose context never occurred has no estimate: its weight goes to the orders that do
        weights = np.array(seen, dtype=float) * self.lambdas[:n, None]        # (n, M)
        return (weights * np.array(probs)).sum(axis=0) / weights.sum(axis=0)

    def log_prob(self, ids, context=None):
        """(len(ids),) natural-log probability of each token given the tokens before it."""
        if self._counts is None:
            raise ValueError("the model has not been fitted: call fit(ids) first")
        ids = self._check_ids(ids)
        context = self._check_ids([] if context is None else context)[-(self.order - 1):] if self.order > 1 \
            else np.zeros(0, np.int64)
        stream = np.concatenate([context, ids])
        start = len(context)
        out = np.empty(len(ids))
        for t in range(len(ids)):        # the first tokens, with a short history, one at a time
            have = start + t
            if have >= self.order - 1:
                break
            out[t] = np.log(self._prob_of_order(have + 1, stream[None, :have + 1]))[0]
        else:
            return out
        first = t
        n = self.order
        grams = np.lib.stride_tricks.sliding_window_view(stream[start + first - n + 1:], n)  # (M, n)
        out[first:] = np.log(self._prob_of_order(n, grams))
        return out

    def perplexity(self, ids, context=None):
        """exp of the mean negative log-likelihood of the stream's tokens."""
        return perplexity(self.log_prob(ids, context))

    def next_probs(self, context):
        """(vocab_size,) P(w | context) for every token w; it sums to one."""
        if self._counts is None:
            raise ValueError("the model has not been fitted: call fit(ids) first")
        context = self._check_ids(context)
        n = min(self.order, len(context) + 1)
        history = context[len(context) - (n - 1):] if n > 1 else context[:0]
        grams = np.column_stack([np.repeat(history[None], self.vocab_size, axis=0),
                                 np.arange(self.vocab_size)]).astype(np.int64)
        return self._prob_of_order(n, grams)

    def _check_ids(self, ids):
        ids = np.asarray(ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"token ids must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}), got {ids.min()} … {ids.max()}")
        return ids


def unseen_fraction(train_ids, test_ids, n):
    """The share of the n-grams of ``test_ids`` (every window of n tokens) that never occur in ``train_ids``."""
    train_ids, test_ids = (np.asarray(a, dtype=np.int64).ravel() for a in (train_ids, test_ids))
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    if len(test_ids) < n:
        raise ValueError(f"a test stream of {len(test_ids)} tokens has no {n}-grams")
    windows = [np.lib.stride_tricks.sliding_window_view(a, n) if len(a) >= n else np.zeros((0, n), np.int64)
               for a in (train_ids, test_ids)]
    seen = set(map(tuple, windows[0].tolist()))
    return float(np.mean([g not in seen for g in map(tuple, windows[1].tolist())]))
