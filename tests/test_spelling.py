"""One spelling convention across the book: Oxford spelling.

That is British spelling (colour, behaviour, tumour, neighbour, centre, modelling, analyse) with the
-ize / -ization endings (initialize, regularization, normalization), which also match the names in
the code (torch.nn.init, weight regularization, batch normalization). The scan reads the prose of every
chapter (markdown cells, inline code and roles removed) and the book's markdown pages.
"""

import json
import pathlib
import re

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOT_PROSE = re.compile(r"\{[\w:]+\}`[^`]*`|`[^`\n]*`|https?://\S+|\]\([^)]*\)|\$\$.*?\$\$|\$[^$\n]*\$", re.S)
WORD = re.compile(r"[A-Za-z]+")

# Words that end in -ise in every spelling, Oxford included (and -wise words, checked apart).
ISE_EVERYWHERE = {
    "advise", "apprise", "arise", "bruise", "chastise", "circumcise", "comprise", "compromise", "concise",
    "cruise", "demise", "despise", "devise", "disguise", "enterprise", "excise", "exercise", "expertise",
    "franchise", "improvise", "incise", "merchandise", "noise", "denoise", "paradise", "poise", "praise",
    "precise", "premise", "promise", "raise", "reprise", "revise", "rise", "supervise", "surmise",
    "surprise", "televise", "treatise", "turquoise", "otherwise", "likewise", "imprecise",
}
ISE_FORM = re.compile(r"^(?P<stem>[a-z]+is)(e|es|ed|ing|er|ers|ation|ations|ational)$")
AMERICAN = re.compile(
    r"^(colors?|colored|coloring|behaviors?|behavioral|neighbors?|neighborhoods?|neighboring|tumors?|"
    r"favors?|favorite|honors?|labors?|flavors?|humors?|rumors?|vapors?|harbors?|"
    r"centers?|centered|centering|modeling|modeled|modeler|labeled|labeling|traveled|traveling|"
    r"signaled|signaling|canceled|canceling|analyze[sd]?|analyzing|paralyze[sd]?|gray)$")
OXFORD = {"colors": "colours", "gray": "grey", "labeled": "labelled", "labeling": "labelling"}
# Names keep their owners' spelling: an American institution's Center stays a Center.
PROPER_NAMES = re.compile(r"National Geophysical Data Center")


def prose(path):
    if path.suffix == ".md":
        texts = [path.read_text()]
    else:
        cells = json.loads(path.read_text())["cells"]
        texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return "\n".join(texts)


def misspellings(text):
    """Words in the prose of ``text`` (code, roles and math removed) that break the Oxford convention."""
    found = []
    for word in WORD.findall(PROPER_NAMES.sub(" ", NOT_PROSE.sub(" ", text))):
        lower = word.lower()
        match = ISE_FORM.match(lower)
        if match and not lower.endswith("wise") and not any(
                lower.startswith(root[:-1]) and lower[len(root) - 1:] in ("e", "es", "ed", "ing", "er", "ers")
                for root in ISE_EVERYWHERE):
            found.append(word)
        elif AMERICAN.match(lower):
            found.append(word)
    return found


def pages():
    return sorted(BOOK.glob("*.ipynb")) + sorted(BOOK.glob("*.md"))


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.name)
def test_prose_uses_oxford_spelling(path):
    wrong = misspellings(prose(path))
    assert not wrong, (f"{path.name}: {sorted(set(wrong))} — the book uses Oxford spelling: -ize/-ization "
                       "(initialize, normalization), -yse (analyse), British -our/-re/-ll- (colour, centre, modelling)")


def test_the_scan_tells_the_conventions_apart():
    text = ("We normalise the colors, analyze the behavior and the centre; an exercise, otherwise rises, "
            "pairwise noise; we initialize and regularization, `optimise()` in code")
    assert misspellings(text) == ["normalise", "colors", "analyze", "behavior"]


def test_proper_names_keep_their_spelling_and_nothing_else_does():
    assert misspellings("NOAA's National Geophysical Data Center") == []
    assert misspellings("the center of the data") == ["center"]
