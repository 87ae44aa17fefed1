"""The roadmap pages' offline stand-ins: the real loaders' types, balanced classes, repeatable draws, and the
reviews' negation property (a bag-of-words model near chance, a reader of word order exact)."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from companion.data import standins
from companion.data.download import DownloadError
from companion.data.shipped import load_digits
from companion.data.text import tokenize


def test_digits_images_are_the_shipped_digits_as_uint8_images_split_without_overlap():
    (x_tr, y_tr), (x_te, y_te) = standins.digits_images("train"), standins.digits_images("test")
    X, y = load_digits()
    assert x_tr.dtype == x_te.dtype == np.uint8 and x_tr.shape[1:] == x_te.shape[1:] == (8, 8)
    assert y_tr.dtype == y_te.dtype == np.int64
    assert len(y_tr) + len(y_te) == len(y) and x_tr.max() == 255 and x_tr.min() == 0
    assert np.array_equal(np.bincount(y_tr) + np.bincount(y_te), np.bincount(y))
    assert np.all(np.abs(np.bincount(y_te) / len(y_te) - np.bincount(y) / len(y)) < 0.01)  # stratified
    # every image is one of the shipped ones, none is in both splits
    shipped = {r.tobytes() for r in np.rint(X * 255).astype(np.uint8)}
    train_rows = {r.tobytes() for r in x_tr.reshape(len(x_tr), -1)}
    test_rows = {r.tobytes() for r in x_te.reshape(len(x_te), -1)}
    assert train_rows <= shipped and test_rows <= shipped and not train_rows & test_rows


def test_colour_shapes_have_cifar10s_format_and_balanced_classes():
    x, y = standins.make_colour_shapes(53, seed=3)
    assert x.shape == (53, 32, 32, 3) and x.dtype == np.uint8 and y.dtype == np.int64
    counts = np.bincount(y, minlength=10)
    assert counts.min() == 5 and counts.max() == 6 and set(y.tolist()) == set(range(10))
    assert len(set(standins.SHAPE_CLASSES)) == 10
    small, _ = standins.make_colour_shapes(4, size=12, seed=0)
    assert small.shape == (4, 12, 12, 3)


def test_colour_shapes_repeat_with_a_seed_and_differ_between_seeds():
    a, b, c = (standins.make_colour_shapes(20, seed=s) for s in (7, 7, 8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_colour_shapes_colour_and_position_follow_the_rules():
    x, y = standins.make_colour_shapes(600, seed=0)
    red_minus_blue = (x[..., 0].astype(float) - x[..., 2]).reshape(len(x), -1)     # (N, size * size)
    reddest = np.percentile(red_minus_blue, 97, axis=1)                          # the shape's pixels, if red
    bluest = np.percentile(-red_minus_blue, 97, axis=1)
    red = y < 5                                                                  # SHAPE_CLASSES: red first
    assert all(name.startswith("red") == (k < 5) for k, name in enumerate(standins.SHAPE_CLASSES))
    assert (reddest[red] > bluest[red]).mean() > 0.95 and (bluest[~red] > reddest[~red]).mean() > 0.95
    # the reddest pixels of red shapes move around the image: a random position
    centres = [np.argwhere(d.reshape(32, 32) >= r).mean(0) for d, r in zip(red_minus_blue[red], reddest[red])]
    assert np.std(centres, axis=0).min() > 3                                      # pixels


def test_shape_masks_differ_and_move_with_their_centre():
    yy, xx = np.mgrid[0:32, 0:32].astype(float)
    masks = [standins._shape_mask(s, yy, xx, 15.0, 15.0, 8.0) for s in standins.SHAPES]
    assert all(m.sum() > 40 for m in masks)
    assert all((a != b).sum() > 20 for i, a in enumerate(masks) for b in masks[i + 1:])
    for s, m in zip(standins.SHAPES, masks):
        assert np.array_equal(np.roll(m, (3, 5), axis=(0, 1)), standins._shape_mask(s, yy, xx, 18.0, 20.0, 8.0))
    with pytest.raises(ValueError, match="shape must be one of"):
        standins._shape_mask("star", yy, xx, 15.0, 15.0, 8.0)


def test_splits_are_fixed_draws_that_do_not_overlap():
    x_tr, y_tr = standins.colour_shapes("train")
    x_te, _ = standins.colour_shapes("test")
    assert (len(x_tr), len(x_te)) == standins.SIZES["shapes"]
    assert np.array_equal(standins.colour_shapes("train")[0][:5], x_tr[:5])
    assert not {i.tobytes() for i in x_tr} & {i.tobytes() for i in x_te}
    texts_tr, _ = standins.generated_reviews("train")
    texts_te, y_te = standins.generated_reviews("test")
    assert (len(texts_tr), len(texts_te)) == standins.SIZES["reviews"] and y_te.mean() == 0.5
    assert not set(texts_tr) & set(texts_te)                      # short reviews recur: the test split drops them
    drawn, _ = standins.make_reviews(2 * len(texts_te), seed=1)
    assert len(set(drawn) & set(texts_tr)) > 0                      # ... which the raw draws would share
    rest = iter(drawn)
    assert all(any(t == d for d in rest) for t in texts_te)        # a subsequence: in the drawn order


def test_reviews_have_imdbs_format_and_balanced_labels():
    texts, labels = standins.make_reviews(101, seed=2)
    assert texts.dtype == object and texts.shape == (101,) and all(isinstance(t, str) and t for t in texts)
    assert labels.dtype == np.int64 and labels.sum() == 51 and set(labels.tolist()) == {0, 1}
    again, labels_again = standins.make_reviews(101, seed=2)
    assert list(again) == list(texts) and np.array_equal(labels, labels_again)
    assert list(standins.make_reviews(101, seed=3)[0]) != list(texts)
    vocabulary = set(standins.POSITIVE + standins.NEGATIVE + standins.INTENSIFIERS + standins.NEGATIONS)
    assert {w for t in texts for w in tokenize(t)} & vocabulary == vocabulary


def _read_in_order(text):
    """The label a reader of word order gives: each sentiment word counts +1 or -1, flipped by a negation
    earlier in its phrase."""
    score, negated = 0, False
    for word in tokenize(text):
        if word in ("and", "."):
            negated = False
        elif word in standins.NEGATIONS:
            negated = True
        elif word in standins.POSITIVE + standins.NEGATIVE:
            score += (1 if word in standins.POSITIVE else -1) * (-1 if negated else 1)
    assert score != 0
    return int(score > 0)


def _bag_of_words_accuracy(negation):
    """Test accuracy of a logistic regression on word counts (scikit-learn), trained on other reviews."""
    train, test = standins.make_reviews(3000, seed=0, negation=negation), standins.make_reviews(1000, seed=1, negation=negation)
    counts = CountVectorizer(token_pattern=r"[a-z]+").fit(train[0])
    model = LogisticRegression(max_iter=2000).fit(counts.transform(train[0]), train[1])
    return model.score(counts.transform(test[0]), test[1])


def test_word_order_decides_every_label_and_negation_fools_a_bag_of_words():
    texts, labels = standins.make_reviews(2000, seed=5)
    assert [_read_in_order(t) for t in texts] == labels.tolist()
    assert sum(" not " in t or " never " in t for t in texts) > 0.6 * len(texts)   # most reviews negate something
    # each sentiment word and each negation about as frequent in both classes ...
    for word in standins.POSITIVE + standins.NEGATIVE + standins.NEGATIONS:
        rates = [np.mean([word in tokenize(t) for t in texts[labels == c]]) for c in (0, 1)]
        assert abs(rates[0] - rates[1]) < 0.05, (word, rates)
    # ... so counting words is close to guessing, and without negations it is near perfect
    assert _bag_of_words_accuracy(0.5) < 0.62
    assert _bag_of_words_accuracy(0.0) > 0.97


def test_load_splits_uses_the_real_loader_where_it_works():
    def load_fake(split, **kwargs):
        assert kwargs == {"timeout": 3, "retries": 0}
        return np.full((2, 8, 8), {"train": 1, "test": 2}[split], np.uint8), np.zeros(2, np.int64)

    (x_tr, _), (x_te, _), message = standins.load_splits(load_fake, standins.digits_images, timeout=3, retries=0)
    assert x_tr[0, 0, 0] == 1 and x_te[0, 0, 0] == 2 and message.startswith("load_fake('train')")


def test_load_splits_falls_back_to_both_splits_of_the_standin():
    def load_offline(split, **kwargs):
        raise DownloadError("could not download https://example.invalid/x: no network")

    train, test, message = standins.load_splits(load_offline, standins.digits_images)
    assert message.startswith("offline, so digits_images() instead") and "no network" in message
    assert np.array_equal(train[1], standins.digits_images("train")[1])
    assert np.array_equal(test[1], standins.digits_images("test")[1])


@pytest.mark.parametrize("call, match", [
    (lambda: standins.make_colour_shapes(0), "n must be a positive integer"),
    (lambda: standins.make_colour_shapes(2.5), "n must be a positive integer"),
    (lambda: standins.make_colour_shapes(3, size=4), "size must be at least 8"),
    (lambda: standins.make_reviews(10, negation=1.5), "negation must be a probability"),
    (lambda: standins.make_reviews(10, max_phrases=0), "max_phrases must be a positive integer"),
    (lambda: standins.digits_images("valid"), "split must be 'train' or 'test'"),
    (lambda: standins.colour_shapes("val"), "split must be 'train' or 'test'"),
])
def test_bad_arguments_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call()
