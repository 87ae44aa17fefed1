"""The generated date task: every format writes the date it is given, and the encodings round-trip."""

import datetime
import re

import numpy as np
import pytest

from companion.data import dates

DAY = datetime.date(2026, 11, 28)
# Each format and the strptime pattern that reads it back once ordinal suffixes are removed. strptime is the
# independent referee (English names under the C locale); two-digit years are checked apart (its pivot is 69).
PARSERS = {
    "{d} {mon} {yyyy}": "%d %b %Y", "{d} {month} {yyyy}": "%d %B %Y", "{m}/{d}/{yyyy}": "%m/%d/%Y",
    "{dd}.{mm}.{yyyy}": "%d.%m.%Y", "{weekday}, {month} {th} {yyyy}": "%A, %B %d %Y",
    "{month} {d}, {yyyy}": "%B %d, %Y", "{mon} {d} {yyyy}": "%b %d %Y", "{th} of {month} {yyyy}": "%d of %B %Y",
    "{yyyy}/{mm}/{dd}": "%Y/%m/%d", "{month} {yyyy}, {th}": "%B %Y, %d",
}


def test_the_docstring_examples():
    written = [dates.write_date(DAY, fmt) for fmt in dates.FORMATS]
    assert "28 Nov 2026" in written and "11/28/26" in written and "Saturday, November 28th 2026" in written
    assert "28.11.2026" in written and "Sat 28 Nov 26" in written and "November 2026, 28th" in written
    assert dates.iso(DAY) == "2026-11-28"


def test_ordinals():
    assert [dates.ordinal(d) for d in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 30, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "30th", "31st"]


def test_every_format_reads_back_to_the_same_date():
    assert set(PARSERS) | {"{mm}/{dd}/{yy}", "{wkd} {d} {mon} {yy}"} == set(dates.FORMATS)
    for day in dates.random_dates(300, rng=0):
        for fmt, pattern in PARSERS.items():
            text = re.sub(r"(\d+)(st|nd|rd|th)", r"\1", dates.write_date(day, fmt))
            assert datetime.datetime.strptime(text, pattern).date() == day, (fmt, day)
        month, dd, yy = dates.write_date(day, "{mm}/{dd}/{yy}").split("/")
        assert (int(month), int(dd), int(yy)) == (day.month, day.day, day.year % 100)
        assert dates.write_date(day, "{wkd} {d} {mon} {yy}").split()[0] == day.strftime("%a")


def test_two_digit_years_are_unambiguous_in_the_range():
    years = range(dates.FIRST_DAY.year, dates.LAST_DAY.year + 1)
    assert len({y % 100 for y in years}) == len(years) == 100


def test_pairs_are_seeded_in_range_and_use_every_format():
    pairs = dates.date_pairs(2000, rng=3, with_format=True)
    assert pairs == dates.date_pairs(2000, rng=3, with_format=True)
    assert {fmt for _, _, fmt in pairs} == set(dates.FORMATS)
    isos = [datetime.date.fromisoformat(iso) for _, iso, _ in pairs]
    assert min(isos) >= dates.FIRST_DAY and max(isos) <= dates.LAST_DAY
    for written, iso, fmt in pairs[:50]:
        assert dates.write_date(datetime.date.fromisoformat(iso), fmt) == written
    assert len(dates.date_pairs(3, rng=0)[0]) == 2
    with pytest.raises(ValueError, match="non-negative"):
        dates.date_pairs(-1)
    with pytest.raises(ValueError, match="formats is empty"):
        dates.date_pairs(3, formats=())
    with pytest.raises(ValueError, match="is after"):
        dates.random_dates(3, first=DAY, last=datetime.date(2000, 1, 1))


def test_train_and_test_share_no_written_date():
    train, test = dates.train_test_pairs(3000, 500, rng=0)
    assert len(train) == 3000 and len(test) == 500
    assert not {w for w, _, _ in train} & {w for w, _, _ in test}


def test_vocabularies_cover_every_format_and_round_trip():
    src, tgt = dates.source_vocab(), dates.target_vocab()
    assert (src.pad, src.bos, src.eos) == (0, 1, 2) and src.itos[:3] == ["<pad>", "<bos>", "<eos>"]
    for written, iso in dates.date_pairs(3000, rng=1):
        assert src.decode(src.encode(written)) == written
        assert tgt.decode(tgt.encode(iso)) == iso
    assert len(tgt) == 3 + 11
    assert tgt.decode([1, *tgt.encode("12"), 2, *tgt.encode("9")]) == "12"  # stops at <eos>, skips <bos>
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['x'\]"):
        tgt.encode("1x")


def test_encode_batch_pads_after_the_end_and_counts_bos_and_eos():
    vocab = dates.target_vocab()
    ids, lengths = dates.encode_batch(["12", "3"], vocab, bos=True, eos=True)
    one, two, three = vocab.encode("123")
    np.testing.assert_array_equal(ids, [[1, one, two, 2], [1, three, 2, 0]])
    np.testing.assert_array_equal(lengths, [4, 3])
    assert ids.dtype == np.int64
    assert dates.encode_batch(["1"], vocab, length=5)[0].shape == (1, 5)
    with pytest.raises(ValueError, match="does not fit length=1"):
        dates.encode_batch(["12"], vocab, length=1)


def test_encode_pairs_gives_sources_with_lengths_and_targets_with_eos():
    pairs = dates.date_pairs(5, rng=1)
    src_vocab, tgt_vocab = dates.source_vocab(), dates.target_vocab()
    src, lengths, tgt = dates.encode_pairs(pairs)
    assert src.shape == (5, max(len(w) for w, _ in pairs)) and tgt.shape == (5, 11)
    for (written, iso), row, n, target in zip(pairs, src, lengths, tgt):
        assert n == len(written) and src_vocab.decode(row[:n]) == written
        assert (row[n:] == src_vocab.pad).all()
        assert tgt_vocab.decode(target) == iso and target[-1] == tgt_vocab.eos


def test_shift_right_puts_bos_first_and_drops_the_last_target():
    targets = np.array([[5, 6, 7, 2], [8, 9, 2, 0]])
    np.testing.assert_array_equal(dates.shift_right(targets, 1), [[1, 5, 6, 7], [1, 8, 9, 2]])


def test_part_accuracy_and_accuracy_by_group():
    expected = ["2026-11-28", "1999-01-05", "2001-12-31"]
    predicted = ["2026-11-29", "1999-01-05", "2010-12-31"]
    assert dates.part_accuracy(predicted, expected) == {"year": 2 / 3, "month": 1.0, "day": 2 / 3}
    assert dates.accuracy_by(["a", "b", "a"], predicted, expected) == {"a": (2, 0.0), "b": (1, 1.0)}
    with pytest.raises(ValueError, match="as many predictions as targets"):
        dates.part_accuracy(predicted[:2], expected)
    with pytest.raises(ValueError, match="differ in length"):
        dates.accuracy_by(["a"], predicted, expected)
