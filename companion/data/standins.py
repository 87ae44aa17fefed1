"""Offline stand-ins for MNIST, CIFAR-10 and IMDB reviews, for the roadmap pages where nothing can be downloaded.

The roadmap pages (an MLP on MNIST, a CNN on CIFAR-10, an LSTM on IMDB reviews) load the real data sets with
:mod:`companion.data.public` where downloads work (Colab); offline (CI, a machine without a network) they get
these instead, with the same return types as the real loaders, so the rest of a page does not care which it
got. Only the digits are real data; the other two are **generated**, by the rules below, and say so:

- :func:`digits_images`: the real 8x8 handwritten digits that ship with scikit-learn
  (:func:`companion.data.shipped.load_digits`), used **as they are** (8x8, not upsampled to MNIST's 28x28),
  as uint8 images (N, 8, 8) in 0..255 like :func:`~companion.data.public.load_mnist`'s (N, 28, 28).
- :func:`make_colour_shapes`: generated uint8 images (N, size, size, 3) like CIFAR-10's, of ten classes
  (:data:`SHAPE_CLASSES`: five shapes in two colours) at a random position and scale, on a random background
  with clutter and pixel noise. Which class an image is depends on the shape's outline wherever it lies, so
  a convolutional network, which looks for the same local pattern everywhere, learns it from fewer images
  than a network that sees each pixel position as a separate input.
- :func:`make_reviews`: generated review texts, an object array of str like
  :func:`~companion.data.public.load_imdb`'s, labelled 1 positive / 0 negative, from a small vocabulary of
  subjects, sentiment words, intensifiers and negations ("the plot was not very good"). Every phrase of a
  review carries the review's sentiment, and with probability ``negation`` it says so by negating a word of
  the opposite sentiment ("not boring" in a positive review). With the default ``negation=0.5`` each sentiment
  word is about as frequent in positive as in negative reviews, and so is each negation: counting words (a
  bag-of-words model) tells the classes apart little better than guessing, while a model that reads the words
  in order can learn that "not" flips the next sentiment word.

Each ``split`` is a fixed draw: "train" and "test" use different seeds, and the reviews' test split leaves out
any review that the training split holds, so no test image or review is also a training one. :func:`load_splits` gives a page both splits of a real data set where downloads
work, else of a stand-in, with :func:`companion.data.public.load_or_fallback`'s message.
"""

import numpy as np

from companion.data.public import load_or_fallback
from companion.data.shipped import load_digits
from companion.data.splits import train_val_test_split

SHAPES = ("disc", "ring", "square", "triangle", "cross")
COLOURS = {"red": (210, 45, 40), "blue": (40, 80, 215)}
#: The ten classes of :func:`make_colour_shapes`, label k -> name (colour-major: 0..4 red, 5..9 blue).
SHAPE_CLASSES = tuple(f"{colour} {shape}" for colour in COLOURS for shape in SHAPES)

POSITIVE = ("good", "great", "wonderful", "brilliant", "enjoyable", "funny", "moving")
NEGATIVE = ("bad", "boring", "awful", "dull", "terrible", "silly", "predictable")
INTENSIFIERS = ("very", "really", "truly", "quite")
NEGATIONS = ("not", "never")
SUBJECTS = ("the plot", "the acting", "the film", "the story", "the music", "the ending", "the cast",
            "the script", "the dialogue", "the camera work")
VERBS = ("was", "is")
OPENERS = ("i saw this film last week .", "we watched it on a sunday .", "my friends took me to see it .",
           "i rented it on a whim .", "")

#: Sizes of the stand-ins' splits (train, test).
SIZES = {"shapes": (1500, 500), "reviews": (2000, 500)}
_SPLIT_SEEDS = {"train": 0, "test": 1}


# ---- digits (real, 8x8) ----


def digits_images(split="train", test=0.25, seed=0):
    """The shipped 8x8 digits as MNIST-like uint8 images: (images (N, 8, 8) in 0..255, labels int64 (N,)).

    A stratified split of the 1,797 images (``test`` of each digit held out, ``seed`` fixed), so "train"
    and "test" never overlap. The pixels (0..16 in the file) are scaled to 0..255 and rounded.
    """
    X, y = load_digits()
    parts = train_val_test_split(X, y, val=0.0, test=test, stratify=True, seed=seed)
    X_part, y_part = parts.train if _check_split(split) == "train" else parts.test
    images = np.rint(X_part * 255).astype(np.uint8).reshape(-1, 8, 8)
    return images, y_part.astype(np.int64)


# ---- coloured shapes (generated, CIFAR-10's format) ----


def _shape_mask(shape, yy, xx, cy, cx, r):
    """Boolean mask (size, size) of ``shape`` centred at (cy, cx) with half-extent r (pixels)."""
    dy, dx = yy - cy, xx - cx
    if shape == "disc":
        return dy**2 + dx**2 <= r**2
    if shape == "ring":
        d2 = dy**2 + dx**2
        return (d2 <= r**2) & (d2 >= (0.55 * r) ** 2)
    if shape == "square":
        return np.maximum(np.abs(dy), np.abs(dx)) <= 0.8 * r
    if shape == "triangle":  # apex up: the half-width grows from 0 at the top to r at the base
        depth = dy + r
        return (depth >= 0) & (dy <= 0.8 * r) & (np.abs(dx) <= 0.6 * depth)
    if shape == "cross":
        bar = 0.3 * r
        return ((np.abs(dx) <= bar) & (np.abs(dy) <= r)) | ((np.abs(dy) <= bar) & (np.abs(dx) <= r))
    raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")


def _draw_shape_image(label, size, rng, yy, xx):
    """One float image (size, size, 3) in 0..255 of class ``label``."""
    image = np.empty((size, size, 3))
    image[:] = rng.uniform(40, 150, size=3)                          # a dull background colour
    image += rng.normal(0, 1, size=(1, 1, 3)) * (yy[..., None] - size / 2) * 1.5   # a gentle gradient
    for _ in range(int(rng.integers(2, 6))):                         # clutter: small blobs of any colour
        h, w = rng.integers(2, 5, size=2)
        top, left = rng.integers(0, size - h), rng.integers(0, size - w)
        image[top:top + h, left:left + w] = rng.uniform(0, 255, size=3)
    colour = list(COLOURS.values())[label // len(SHAPES)]
    shape = SHAPES[label % len(SHAPES)]
    r = rng.uniform(0.18, 0.34) * size                               # scale: about a third to two thirds across
    cy, cx = rng.uniform(r, size - 1 - r, size=2)                    # position: anywhere it fits
    mask = _shape_mask(shape, yy, xx, cy, cx, r)
    image[mask] = np.clip(np.array(colour) + rng.normal(0, 25, size=3), 0, 255)
    return image + rng.normal(0, 12, size=image.shape)               # pixel noise


def make_colour_shapes(n, size=32, seed=0):
    """Generated CIFAR-10-like images: (images uint8 (n, size, size, 3), labels int64 (n,) in 0..9).

    Label k is :data:`SHAPE_CLASSES`\\[k\\]: shape ``SHAPES[k % 5]`` (disc, ring, square, triangle, cross)
    in colour ``red`` (k < 5) or ``blue`` (k >= 5), each colour jittered per image. The shape's centre and
    size are random (half-extent 0.18 to 0.34 of the side), on a random flat background with a gentle
    gradient, two to five small blobs of random colours (clutter), and Gaussian pixel noise (standard
    deviation 12), clipped to 0..255. Classes are balanced: each appears ``n // 10`` or ``n // 10 + 1``
    times, in a shuffled order. The same ``seed`` gives the same images.
    """
    n, size = _check_count(n, "n"), _check_count(size, "size")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPE_CLASSES)).astype(np.int64)
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i] = np.clip(np.rint(_draw_shape_image(int(label), size, rng, yy, xx)), 0, 255)
    return images, labels


def colour_shapes(split="train"):
    """A fixed split of :func:`make_colour_shapes` (sizes in :data:`SIZES`), CIFAR-10's stand-in."""
    n = SIZES["shapes"][0 if _check_split(split) == "train" else 1]
    return make_colour_shapes(n, seed=_SPLIT_SEEDS[split])


# ---- reviews (generated, IMDB's format) ----


def _phrase(positive, negated, rng):
    """'the plot was not very good': a phrase whose meaning is ``positive`` (the word's sentiment is flipped
    when ``negated``)."""
    word_is_positive = positive != negated
    words = [SUBJECTS[rng.integers(len(SUBJECTS))], VERBS[rng.integers(len(VERBS))]]
    if negated:
        words.append(NEGATIONS[rng.integers(len(NEGATIONS))])
    if rng.random() < 0.4:
        words.append(INTENSIFIERS[rng.integers(len(INTENSIFIERS))])
    pool = POSITIVE if word_is_positive else NEGATIVE
    words.append(pool[rng.integers(len(pool))])
    return " ".join(words)


def make_reviews(n, seed=0, negation=0.5, max_phrases=3):
    """Generated movie reviews: (texts, an object array (n,) of str, labels int64 (n,): 1 positive, 0 negative).

    Each review is an optional opening sentence and 1 to ``max_phrases`` phrases joined by "and" or "." (lower
    case, punctuation as separate tokens). Every phrase carries the review's label; each is negated with
    probability ``negation`` ("not" or "never" before an optional intensifier and a sentiment word of the
    opposite polarity: "the music was never boring" in a positive review). Labels are balanced (``n // 2``
    negatives, the rest positive, shuffled). The same ``seed`` gives the same reviews.
    """
    n, max_phrases = _check_count(n, "n"), _check_count(max_phrases, "max_phrases")
    if not 0 <= negation <= 1:
        raise ValueError(f"negation must be a probability in [0, 1], got {negation!r}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) >= n // 2).astype(np.int64)
    texts = np.empty(n, dtype=object)
    for i, label in enumerate(labels):
        phrases = [_phrase(bool(label), rng.random() < negation, rng)
                   for _ in range(int(rng.integers(1, max_phrases + 1)))]
        body = phrases[0]
        for p in phrases[1:]:
            body += (" and " if rng.random() < 0.5 else " . ") + p
        opener = OPENERS[rng.integers(len(OPENERS))]
        texts[i] = f"{opener} {body} .".strip()
    return texts, labels


def generated_reviews(split="train"):
    """A fixed split of :func:`make_reviews` (sizes in :data:`SIZES`), IMDB's stand-in.

    A short review can come out of both draws, so the test split leaves out every review that the training
    split holds (it draws twice as many and keeps the first fresh ones, half of each label, in the drawn order).
    """
    n_train, n_test = SIZES["reviews"]
    train = make_reviews(n_train, seed=_SPLIT_SEEDS["train"])
    if _check_split(split) == "train":
        return train
    texts, labels = make_reviews(2 * n_test, seed=_SPLIT_SEEDS["test"])
    fresh = ~np.isin(texts, train[0])
    keep = np.sort(np.concatenate([np.flatnonzero(fresh & (labels == c))[:n_test // 2] for c in (0, 1)]))
    return texts[keep], labels[keep]


# ---- both splits, real or stand-in ----


def load_splits(load, standin, **fetch_kwargs):
    """``((x_train, y_train), (x_test, y_test), message)``: the real set where downloads work, else the stand-in.

    ``load`` is a loader of :mod:`companion.data.public` (``load_mnist``, ``load_cifar10``, ``load_imdb``),
    ``standin`` one of this module's (``digits_images``, ``colour_shapes``, ``generated_reviews``), which
    :func:`~companion.data.public.load_or_fallback` calls for the train split; if that fell back, the test
    split is the stand-in's too, never a mix of both. ``fetch_kwargs`` go to the loader (``timeout=3,
    retries=0`` makes an offline machine fall back within a second or so). ``message`` is
    ``load_or_fallback``'s: it starts with "offline" when the stand-in came back.
    """
    x, y, message = load_or_fallback(load, standin, "train", **fetch_kwargs)
    test = standin("test") if message.startswith("offline") else load("test", **fetch_kwargs)
    return (x, y), test, message


def _check_split(split):
    if split not in _SPLIT_SEEDS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def _check_count(value, name):
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
