"""companion.data.text: the book's prose as a corpus, tokens, the vocabulary and the batches a language
model trains on."""

import json
import pathlib
import sys

import numpy as np
import pytest

from companion.data import text

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import snapshot_corpus  # noqa: E402


def _notebook(tmp_path, name, cells):
    nb = {"cells": [{"cell_type": kind, "metadata": {}, "source": src} for kind, src in cells]}
    (tmp_path / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def test_clean_markdown_keeps_prose_and_drops_code_math_roles_and_markup():
    source = ("# A *title*\n\nSome **bold** prose with $x^2$ and {glue:text}`acc:.2f`, see {cite}`a2020` "
              "and `code()`; a [link](https://x.org).\n\n$$\ny = mx\n$$\n\n```python\nprint('no')\n```\n\n"
              "```{admonition} Kept\n:class: tip\nAdmonition text stays.\n```\n<b>html</b>")
    cleaned = text.clean_markdown(source)
    assert cleaned == "A title Some bold prose with and , see and ; a link. Admonition text stays. html"


def test_book_corpus_reads_markdown_cells_in_the_given_order(tmp_path):
    _notebook(tmp_path, "00_introduction", [("markdown", "Hello **World**"), ("code", "print('skip')")])
    _notebook(tmp_path, "b", [("markdown", "Second $x$ page")])
    corpus = text.book_corpus(("00_introduction", "b"), book_dir=tmp_path)
    assert corpus == {"00_introduction": "hello world", "b": "second page"}


def test_book_corpus_is_the_snapshot_of_the_corpus_chapters():
    corpus = text.book_corpus()
    assert list(corpus) == list(text.CORPUS_CHAPTERS)
    assert corpus == text.read_snapshot()
    assert all(len(prose) > 1000 and prose == prose.lower() for prose in corpus.values())
    assert "```" not in "".join(corpus.values()) and "{glue" not in "".join(corpus.values())
    assert list(text.book_corpus(("08_cnn", "01_history"))) == ["08_cnn", "01_history"]   # the order asked for


def test_book_corpus_does_not_read_the_notebooks(monkeypatch):
    # an edit to a chapter's prose must not move the language-model pages: the default path opens no notebook
    def no_notebooks(path):
        raise AssertionError(f"read {path}")
    monkeypatch.setattr(text, "chapter_text", no_notebooks)
    assert text.book_corpus() == text.read_snapshot()


def test_the_snapshot_is_still_the_books_prose():
    # each chapter of the snapshot must still be, sentence for sentence, mostly prose found in the book now
    # (anywhere in it: a paragraph may move to another page), so the file cannot silently become other text;
    # ordinary edits leave it far above the bar (the 08b/08c split kept 87% of 08b's sentences word for word)
    book = snapshot_corpus.current_book_prose()
    shares = {name: snapshot_corpus.share_found(prose, book) for name, prose in text.read_snapshot().items()}
    assert min(shares.values()) > 0.5, shares
    # the measure can fail: the same words in another order are not found
    words = text.read_snapshot()["07_mlp"].split()
    shuffled = " ".join(np.random.default_rng(0).permutation(words))
    assert snapshot_corpus.share_found(shuffled, book) < 0.05


def test_share_found_counts_whole_sentences():
    assert snapshot_corpus.sentences("one two three four five six. short one. a b c d e f g!") == [
        "one two three four five six.", "a b c d e f g!"]
    assert snapshot_corpus.share_found("one two three four five six. a b c d e f g!",
                                       "xx one two three four five six. yy") == 0.5
    with pytest.raises(ValueError, match="long enough"):
        snapshot_corpus.share_found("too short.", "anything")


def test_write_snapshot_round_trips(tmp_path):
    _notebook(tmp_path, "00_introduction", [("markdown", "Hello **World**"), ("code", "print('skip')")])
    _notebook(tmp_path, "b", [("markdown", "Second $x$ page")])
    path = tmp_path / "snap.json"
    written = text.write_snapshot(tmp_path, path=path, chapters=("00_introduction", "b"))
    assert written == {"00_introduction": "hello world", "b": "second page"}
    assert text.read_snapshot(path) == written
    assert json.loads(path.read_text(encoding="utf-8"))["written_by"].startswith("tools/snapshot_corpus.py")


def test_a_chapter_outside_the_snapshot_is_a_clear_error():
    with pytest.raises(ValueError, match="book_dir"):
        text.book_corpus(("00_introduction", "09_rnn"))
    assert "09_rnn" in text.book_corpus(("09_rnn",), book_dir=ROOT / "book")   # the notebooks themselves


def test_missing_book_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="book_dir"):
        text.book_corpus(book_dir=tmp_path)


def test_tokenize_characters_and_words():
    assert text.tokenize("a b.", "char") == ["a", " ", "b", "."]
    assert text.tokenize("it's 2 nets, (ok)", "word") == ["it's", "2", "nets", ",", "(", "ok", ")"]
    with pytest.raises(ValueError, match="level"):
        text.tokenize("x", "byte")


def test_vocab_orders_by_frequency_and_sends_rare_and_unseen_tokens_to_unk():
    tokens = list("abracadabra")                  # a 5, b 2, r 2, c 1, d 1
    vocab = text.Vocab(tokens, min_freq=2)
    assert vocab.idx_to_token == ["<unk>", "a", "b", "r"]   # ties keep first appearance
    assert len(vocab) == 4 and vocab["a"] == 1 and vocab["c"] == 0 and vocab["z"] == 0
    ids = vocab.encode(list("barc"))
    assert ids.dtype == np.int64 and ids.tolist() == [2, 1, 3, 0]
    assert vocab.decode(ids) == "bar<unk>" and vocab.decode(ids, sep=" ") == "b a r <unk>"
    assert vocab.frequencies().tolist() == [5, 2, 2]
    with pytest.raises(ValueError, match="min_freq"):
        text.Vocab(tokens, min_freq=0)


def test_split_stream_keeps_order():
    train, valid = text.split_stream(np.arange(10), valid_fraction=0.2)
    assert train.tolist() == list(range(8)) and valid.tolist() == [8, 9]
    with pytest.raises(ValueError, match="valid_fraction"):
        text.split_stream(np.arange(10), 1.0)


def test_random_windows_are_shifted_targets_without_overlap():
    ids = np.arange(1000)
    batches = list(text.random_windows(ids, 4, 10, np.random.default_rng(0)))
    assert batches and all(x.shape == y.shape == (4, 10) for x, y in batches)
    starts = np.concatenate([x[:, 0] for x, _ in batches])
    assert len(set(starts.tolist())) == len(starts)
    for x, y in batches:
        np.testing.assert_array_equal(y, x + 1)          # ids = positions: y is the next token
        np.testing.assert_array_equal(np.diff(x, axis=1), 1)
    assert np.all(np.diff(np.sort(starts)) >= 10)        # windows do not overlap


def test_stream_batches_continue_each_row_across_batches():
    ids = np.arange(101)
    batches = list(text.stream_batches(ids, batch_size=4, seq_len=5))
    assert len(batches) == 5                             # rows of 25 tokens: five chunks of 5
    for (x1, _), (x2, _) in zip(batches, batches[1:]):
        np.testing.assert_array_equal(x2[:, 0], x1[:, -1] + 1)   # row n of batch k+1 continues row n of batch k
    for x, y in batches:
        np.testing.assert_array_equal(y, x + 1)
    with pytest.raises(ValueError, match="too short"):
        list(text.stream_batches(np.arange(10), 4, 5))
    with pytest.raises(ValueError, match="positive"):
        list(text.stream_batches(ids, 0, 5))


def test_a_clone_in_the_working_folder_is_found(tmp_path, monkeypatch):
    clone = tmp_path / "some-clone" / "book"
    clone.mkdir(parents=True)
    for name in text.CORPUS_CHAPTERS:
        _notebook(clone, name, [("markdown", f"Chapter {name}")])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(text, "__file__", str(tmp_path / "site-packages" / "companion" / "data" / "text.py"))
    assert text._book_dir() == clone
    assert text.write_snapshot(path=tmp_path / "snap.json")["07_mlp"] == "chapter 07 mlp"
