"""Write (or compare) the frozen corpus of the language-model pages: the cleaned prose of the chapters in
companion.data.text.CORPUS_CHAPTERS, stored in companion/data/book_corpus.json (package data, so a plain
`pip install` carries it, in Colab too).

Chapters 09 and 10b train language models on this prose, and some of their numbers sit close to the
margins their pages state; reading the notebooks at run time let any edit to chapters 00-08b move them.
Rewrite the snapshot only on purpose, then re-run those two pages and re-read what they say.

    python tools/snapshot_corpus.py           rewrite the snapshot from book/ now
    python tools/snapshot_corpus.py --check   how much of the snapshot is still in the book (changes nothing)
"""

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from companion.data import text  # noqa: E402

_SENTENCE_END = re.compile(r"(?<=[.!?]) ")


def sentences(prose, min_words=6):
    """The sentences of cleaned prose that have at least ``min_words`` words (short ones such as "see
    below." say nothing about where a text came from)."""
    return [s for s in _SENTENCE_END.split(prose) if len(s.split()) >= min_words]


def share_found(prose, book_prose, min_words=6):
    """The share of ``prose``'s sentences (:func:`sentences`) found word for word in ``book_prose``."""
    found = [s in book_prose for s in sentences(prose, min_words)]
    if not found:
        raise ValueError("the prose has no sentence long enough to look for")
    return sum(found) / len(found)


def current_book_prose(book_dir=ROOT / "book"):
    """The cleaned prose of every notebook in book/ now, joined: a sentence that moved to another page
    (a chapter split in two) is still found."""
    return " ".join(text.chapter_text(p) for p in sorted(pathlib.Path(book_dir).glob("*.ipynb")))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="print each chapter's share still in the book")
    args = parser.parse_args(argv)
    if args.check:
        book = current_book_prose()
        for name, prose in text.read_snapshot().items():
            print(f"{name}: {share_found(prose, book):.1%} of the snapshot's sentences still in the book")
        return 0
    corpus = text.write_snapshot(ROOT / "book")
    print(f"wrote {text.SNAPSHOT.relative_to(ROOT)}: {len(corpus)} chapters, "
          f"{sum(map(len, corpus.values())):,} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
