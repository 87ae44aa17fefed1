"""Text as data (chapter: Recurrent neural networks): the book's own prose as a corpus, tokens, a
vocabulary, and batches of token windows for language models.

Nothing is downloaded: :func:`book_corpus` returns a snapshot of the prose of the chapters before the recurrent
chapter, shipped inside the package (``book_corpus.json`` beside this module, written from the notebooks by
``tools/snapshot_corpus.py``), so that an edit to a sentence of those chapters does not move the numbers of the
pages that train language models on them; ``book_corpus(book_dir=...)`` reads the notebooks themselves.
"""

import json
import pathlib
import re
from collections import Counter

import numpy as np

#: The chapters of the corpus (the ones written before the recurrent chapter), in reading order: the snapshot
#: holds exactly these.
CORPUS_CHAPTERS = ("00_introduction", "01_history", "02_forward_propagation", "03_losses_and_optimizers",
                   "04_backpropagation", "05_training_and_evaluation", "06_overfitting_and_regularization",
                   "07_mlp", "08_cnn", "08b_modern_cnn")

#: The frozen corpus: {"written_by": ..., "chapters": {chapter name: its cleaned, lower-cased prose}}.
SNAPSHOT = pathlib.Path(__file__).with_name("book_corpus.json")

_FENCE = re.compile(r"^(`{3,}|:{3,})\s*(\{[^}]*\})?")
_MATH_BLOCK = re.compile(r"\$\$.*?\$\$", re.S)
_MATH_INLINE = re.compile(r"\$[^$\n]+\$")
_ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")  # {glue:text}`x`, {cite}`key`, {doc}`page`
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<[^>]+>")
_MARKUP = re.compile(r"[#*_>|]")


def _book_dir(book_dir=None):
    """The folder that holds the chapters: the one given, else book/ beside the package or in the working
    directory (a clone of the repository), the working directory itself, or book/ in a clone made in the
    working directory (as in Colab)."""
    if book_dir is not None:
        candidates = [pathlib.Path(book_dir)]
    else:
        here = pathlib.Path(__file__).resolve().parents[2]
        cwd = pathlib.Path.cwd()
        candidates = [here / "book", cwd / "book", cwd, cwd.parent / "book", *sorted(cwd.glob("*/book"))]
    for folder in candidates:
        if (folder / f"{CORPUS_CHAPTERS[0]}.ipynb").exists():
            return folder
    raise FileNotFoundError(f"no chapter notebooks ({CORPUS_CHAPTERS[0]}.ipynb, …) in any of "
                            f"{[str(c) for c in candidates]}; pass book_dir= the repository's book/ folder (in "
                            "Colab, where only the package is installed, clone the book's repository into the "
                            "working folder first: !git clone --depth 1 <the repository's address>)")


def clean_markdown(source):
    """The prose of a markdown cell: code blocks, math, roles, inline code, links' targets, HTML and
    markup characters removed; admonitions keep their text, without their option lines."""
    lines, fence, keep = [], None, True
    for line in source.splitlines():
        match = _FENCE.match(line.strip())
        if fence is None and match:
            fence, keep = match.group(1), match.group(2) is not None and "{code" not in match.group(2)
            continue
        if fence is not None and line.strip() == fence:
            fence = None
            continue
        if fence is not None and (not keep or line.strip().startswith(":")):
            continue
        lines.append(line)
    text = _MATH_BLOCK.sub(" ", "\n".join(lines))
    for pattern in (_MATH_INLINE, _ROLE, _CODE, _HTML):
        text = pattern.sub(" ", text)
    text = _MARKUP.sub(" ", _LINK.sub(r"\1", text))
    return re.sub(r"\s+", " ", text).strip()


def chapter_text(path):
    """One notebook's markdown cells, cleaned (:func:`clean_markdown`), lower-cased, joined by spaces."""
    cells = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]
    parts = [clean_markdown("".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]
    return " ".join(p for p in parts if p).lower()


def book_corpus(chapters=CORPUS_CHAPTERS, book_dir=None):
    """{chapter name: its cleaned, lower-cased prose (:func:`chapter_text`)}, in the order given: from the
    snapshot shipped with the package (:data:`SNAPSHOT`) by default, or read from the notebooks in
    ``book_dir`` now when it is given."""
    if book_dir is not None:
        folder = _book_dir(book_dir)
        return {name: chapter_text(folder / f"{name}.ipynb") for name in chapters}
    frozen = read_snapshot()
    missing = [name for name in chapters if name not in frozen]
    if missing:
        raise ValueError(f"chapters {missing} are not in the corpus snapshot {SNAPSHOT.name}, which holds "
                         f"{list(frozen)}; pass book_dir= the repository's book/ folder to read them from the "
                         "notebooks")
    return {name: frozen[name] for name in chapters}


def read_snapshot(path=SNAPSHOT):
    """The frozen corpus, {chapter name: prose}, in reading order."""
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["chapters"]


def write_snapshot(book_dir=None, path=SNAPSHOT, chapters=CORPUS_CHAPTERS):
    """Freeze the prose of ``chapters``, read from the notebooks now (``book_dir``: as :func:`_book_dir`
    finds it), into ``path``; returns the corpus written."""
    corpus = {name: chapter_text(_book_dir(book_dir) / f"{name}.ipynb") for name in chapters}
    record = {"written_by": "tools/snapshot_corpus.py (companion.data.text.write_snapshot)", "chapters": corpus}
    pathlib.Path(path).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return corpus


_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)*|\d+|[^\sa-z\d]")


def tokenize(text, level="word"):
    """Characters (``level="char"``: every character, spaces included) or words (``"word"``: runs of
    letters, with inner apostrophes, runs of digits, and each other non-space character alone)."""
    if level == "char":
        return list(text)
    if level == "word":
        return _WORD.findall(text)
    raise ValueError(f"level must be 'char' or 'word', got {level!r}")


class Vocab:
    """Tokens ↔ indices. Index 0 is ``unk`` (the unknown token); the tokens seen at least ``min_freq``
    times follow, most frequent first (ties in order of first appearance). Rarer and unseen tokens map
    to 0."""

    def __init__(self, tokens, min_freq=1, unk="<unk>"):
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, got {min_freq}")
        self.counts = Counter(tokens)
        kept = sorted((t for t, c in self.counts.items() if c >= min_freq and t != unk),
                      key=lambda t: -self.counts[t])  # sorted is stable: ties keep first appearance
        self.unk = unk
        self.idx_to_token = [unk] + kept
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, token):
        return self.token_to_idx.get(token, 0)

    def encode(self, tokens):
        """(len(tokens),) int64 indices."""
        return np.array([self.token_to_idx.get(t, 0) for t in tokens], dtype=np.int64)

    def decode(self, indices, sep=""):
        """The tokens of ``indices`` joined by ``sep``."""
        return sep.join(self.idx_to_token[int(i)] for i in np.ravel(indices))

    def frequencies(self):
        """The counts of the kept tokens, most frequent first ((len - 1,), the unknown token excluded)."""
        return np.array([self.counts[t] for t in self.idx_to_token[1:]])


def split_stream(ids, valid_fraction=0.1):
    """(train, valid): the first and the last ``valid_fraction`` of a token stream, in order."""
    ids = np.asarray(ids)
    if not 0 < valid_fraction < 1:
        raise ValueError(f"valid_fraction must lie strictly between 0 and 1, got {valid_fraction}")
    cut = int(round(len(ids) * (1 - valid_fraction)))
    return ids[:cut], ids[cut:]


def random_windows(ids, batch_size, seq_len, rng):
    """One epoch of (x, y) batches of independent windows at random positions: x (N, T) and y (N, T),
    y the tokens one step after x. Windows do not overlap; a last partial batch is dropped."""
    ids = np.asarray(ids)
    _check_sizes(len(ids), batch_size, seq_len)
    offset = int(rng.integers(seq_len))                          # a new cut of the stream each epoch
    starts = np.arange(offset, len(ids) - seq_len - 1, seq_len)
    starts = rng.permutation(starts)
    for b in range(len(starts) // batch_size):
        s = starts[b * batch_size:(b + 1) * batch_size, None] + np.arange(seq_len)  # (N, T)
        yield ids[s], ids[s + 1]


def stream_batches(ids, batch_size, seq_len):
    """Batches for truncated backpropagation through time: the stream is cut into ``batch_size`` rows,
    and batch k holds columns k·T … (k+1)·T - 1 of every row, so row n of batch k+1 continues row n of
    batch k and a model can carry its hidden state across. Yields (x, y), each (N, T)."""
    ids = np.asarray(ids)
    _check_sizes(len(ids), batch_size, seq_len)
    width = (len(ids) - 1) // batch_size
    x = ids[:width * batch_size].reshape(batch_size, width)
    y = ids[1:width * batch_size + 1].reshape(batch_size, width)
    for k in range(width // seq_len):
        yield x[:, k * seq_len:(k + 1) * seq_len], y[:, k * seq_len:(k + 1) * seq_len]


def _check_sizes(n, batch_size, seq_len):
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size and seq_len must be positive, got {batch_size} and {seq_len}")
    if n < batch_size * seq_len + 1:
        raise ValueError(f"a stream of {n} tokens is too short for one batch of {batch_size} windows of "
                         f"{seq_len} tokens")
