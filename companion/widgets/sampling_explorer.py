"""Chapter "Recurrent neural networks": sample text from a character n-gram model of the book's prose at a
chosen temperature and top-k (NumPy only: the model counts, ``sample_next`` draws)."""

import html

import ipywidgets as widgets
import numpy as np

from companion.data import text
from companion.ngram import NgramModel
from companion.np.sampling import sample_next


class SamplingExplorer(widgets.VBox):
    """A character n-gram model (interpolated, order ``order``) fitted to ``prose`` (by default the book's
    chapters, :func:`companion.data.text.book_corpus`); each draw
    continues ``prompt`` for ``length`` characters, every character from
    softmax(log P(· | context) / temperature), restricted to the top_k likeliest when top-k is on.
    ``samples`` holds the current texts (three draws from seeds 0, 1, 2)."""

    def __init__(self, order=5, book_dir=None, prose=None):
        if prose is None:                              # the book's prose: the snapshot, or book_dir's notebooks
            prose = " ".join(text.book_corpus(book_dir=book_dir).values())
        chars = text.tokenize(prose, "char")
        self.vocab = text.Vocab(chars)
        self.model = NgramModel(order, len(self.vocab), smoothing="interpolated", k=0.01,
                                lambdas=_lambdas(order)).fit(self.vocab.encode(chars))
        style = {"description_width": "100px"}
        self.prompt = widgets.Text(value="the network", description="prompt", style=style)
        self.temperature = widgets.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="temperature",
                                               continuous_update=False, style=style)
        self.top_k = widgets.IntSlider(value=0, min=0, max=len(self.vocab), description="top-k (0: off)",
                                       continuous_update=False, style=style)
        self.length = widgets.IntSlider(value=120, min=20, max=400, step=20, description="characters",
                                        continuous_update=False, style=style)
        self.out = widgets.HTML()
        for control in (self.prompt, self.temperature, self.top_k, self.length):
            control.observe(self._update, names="value")
        super().__init__([self.prompt, self.temperature, self.top_k, self.length, self.out])
        self._update()

    def generate(self, seed):
        """One continuation of the prompt (a string of ``length`` characters)."""
        rng = np.random.default_rng(seed)
        ids = list(self.vocab.encode(text.tokenize(self.prompt.value.lower(), "char")))
        top_k = self.top_k.value or None
        out = []
        for _ in range(self.length.value):
            logits = np.log(self.model.next_probs(np.array(ids, dtype=np.int64)))
            logits[0] = -1e9                                     # never write the unknown token
            token = sample_next(logits, temperature=self.temperature.value, top_k=top_k, rng=rng)
            ids.append(token)
            out.append(token)
        return self.vocab.decode(out)

    def _update(self, change=None):
        self.samples = [self.generate(seed) for seed in range(3)]
        setting = (f"temperature {self.temperature.value:.1f}, "
                   + (f"top-{self.top_k.value}" if self.top_k.value else "all characters"))
        rows = "".join(f"<li><code><b>{html.escape(self.prompt.value.lower())}</b>{html.escape(s)}</code></li>"
                       for s in self.samples)
        self.out.value = f"<p>{setting}:</p><ol class='nnx-samples'>{rows}</ol>"


def _lambdas(order):
    """Interpolation weights growing with the order (1, 2, …, normalized): longer contexts trusted more."""
    w = np.arange(1, order + 1, dtype=float)
    return w / w.sum()
