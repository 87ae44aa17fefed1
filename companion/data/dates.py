"""A generated translation task: dates as people write them, to ISO 8601 (YYYY-MM-DD).

"Saturday, November 28th 2026", "28 Nov 2026", "11/28/26" and "28.11.2026" all become "2026-11-28".
Everything is generated from a seed: nothing is downloaded. The names are English and fixed here, not
taken from the machine's locale, so every reader gets the same pairs.
"""

import datetime

import numpy as np

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2049, 12, 31)  # two-digit years are unambiguous: 50-99 are 19xx, 00-49 are 20xx
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


def ordinal(day):
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _parts(d):
    month, weekday = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return dict(d=d.day, dd=f"{d.day:02d}", mm=f"{d.month:02d}", m=d.month, yyyy=d.year, yy=f"{d.year % 100:02d}",
                month=month, mon=month[:3], weekday=weekday, wkd=weekday[:3], th=ordinal(d.day))


FORMATS = (  # str.format templates over _parts' names; one per way of writing a date
    "{d} {mon} {yyyy}",                  # 28 Nov 2026
    "{d} {month} {yyyy}",                # 28 November 2026
    "{mm}/{dd}/{yy}",                    # 11/28/26 (month first, as in the US)
    "{m}/{d}/{yyyy}",                    # 11/28/2026
    "{dd}.{mm}.{yyyy}",                  # 28.11.2026 (day first, as in much of Europe)
    "{weekday}, {month} {th} {yyyy}",    # Saturday, November 28th 2026
    "{month} {d}, {yyyy}",               # November 28, 2026
    "{mon} {d} {yyyy}",                  # Nov 28 2026
    "{wkd} {d} {mon} {yy}",              # Sat 28 Nov 26
    "{th} of {month} {yyyy}",            # 28th of November 2026
    "{yyyy}/{mm}/{dd}",                  # 2026/11/28
    "{month} {yyyy}, {th}",              # November 2026, 28th
)


def write_date(date, fmt):
    """The date written in ``fmt``, one of FORMATS (or any template over the same names)."""
    return fmt.format(**_parts(date))


def iso(date):
    """'YYYY-MM-DD'."""
    return date.isoformat()


def random_dates(n, rng=None, first=FIRST_DAY, last=LAST_DAY):
    """n dates drawn uniformly from first..last inclusive."""
    if first > last:
        raise ValueError(f"first ({first}) is after last ({last})")
    rng = np.random.default_rng(rng)
    offsets = rng.integers(0, (last - first).days + 1, size=n)
    return [first + datetime.timedelta(days=int(k)) for k in offsets]


def date_pairs(n, rng=None, formats=FORMATS, with_format=False):
    """n pairs (written, iso): a random date in a random one of ``formats``, and its ISO form.

    with_format: triples (written, iso, format) instead, to break results down by format.
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    if not formats:
        raise ValueError("formats is empty")
    rng = np.random.default_rng(rng)
    dates = random_dates(n, rng)
    which = rng.integers(0, len(formats), size=n)
    return [(write_date(d, formats[k]), iso(d)) + ((formats[k],) if with_format else ())
            for d, k in zip(dates, which)]


def train_test_pairs(n_train, n_test, rng=None, formats=FORMATS):
    """(train, test) lists of (written, iso, format) triples; no written date of test occurs in train.

    Test pairs are drawn after the training ones and redrawn while they repeat a training input, so
    exact-match accuracy on test measures rewriting inputs the model has not seen.
    """
    rng = np.random.default_rng(rng)
    train = date_pairs(n_train, rng, formats, with_format=True)
    seen, test = {written for written, _, _ in train}, []
    while len(test) < n_test:
        test += [p for p in date_pairs(n_test - len(test), rng, formats, with_format=True) if p[0] not in seen]
    return train, test


class CharVocab:
    """Characters <-> integer ids, with <pad> = 0, <bos> = 1 and <eos> = 2 first.

    ``encode`` raises a ValueError on a character it does not know (a date task has a closed alphabet).
    """

    def __init__(self, chars):
        self.itos = [PAD, BOS, EOS] + sorted(set(chars))
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        self.pad, self.bos, self.eos = 0, 1, 2

    def __len__(self):
        return len(self.itos)

    def encode(self, text):
        unknown = sorted(set(text) - set(self.stoi))
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {unknown}")
        return [self.stoi[c] for c in text]

    def decode(self, ids):
        """The text of ``ids`` up to the first <eos>, with <pad> and <bos> skipped."""
        out = []
        for i in ids:
            i = int(i)
            if i == self.eos:
                break
            if i not in (self.pad, self.bos):
                out.append(self.itos[i])
        return "".join(out)


def source_vocab():
    """Every character any format can write: digits, the names' letters, space and , / . punctuation."""
    names = "".join(MONTHS + WEEKDAYS) + "stndrdthof"
    return CharVocab("0123456789 ,/." + names)


def target_vocab():
    """Digits and '-': the ISO form's alphabet."""
    return CharVocab("0123456789-")


def encode_batch(texts, vocab, bos=False, eos=False, length=None):
    """(ids, lengths): texts as an int64 array (N, T) padded with <pad> after the end, and (N,) lengths.

    ``bos`` / ``eos`` put <bos> before / <eos> after each text (counted in its length); ``length`` pads
    to a fixed T (a ValueError if a text is longer), else T is the longest text's length.
    """
    rows = [([vocab.bos] if bos else []) + vocab.encode(t) + ([vocab.eos] if eos else []) for t in texts]
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    width = int(lengths.max(initial=0)) if length is None else length
    if lengths.size and lengths.max() > width:
        raise ValueError(f"a text of length {lengths.max()} does not fit length={width}")
    ids = np.full((len(rows), width), vocab.pad, dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
    return ids, lengths


def encode_pairs(pairs, src_vocab=None, tgt_vocab=None):
    """(src (N, S), lengths (N,), tgt (N, 11)): (written, iso, ...) pairs as the encoder-decoder's arrays.

    The written dates padded after their end with their lengths, and each ISO target followed by <eos>.
    The vocabularies default to :func:`source_vocab` and :func:`target_vocab`.
    """
    src_vocab = source_vocab() if src_vocab is None else src_vocab
    tgt_vocab = target_vocab() if tgt_vocab is None else tgt_vocab
    src, lengths = encode_batch([pair[0] for pair in pairs], src_vocab)
    tgt, _ = encode_batch([pair[1] for pair in pairs], tgt_vocab, eos=True)
    return src, lengths, tgt


def shift_right(targets, bos):
    """The decoder's inputs under teacher forcing: <bos> then the targets but the last, (N, T) -> (N, T).

    At step t the decoder reads the true token t-1 (the <bos> at t = 0) and is trained to output token t.
    """
    targets = np.asarray(targets)
    return np.concatenate([np.full(targets.shape[:-1] + (1,), bos, dtype=targets.dtype), targets[..., :-1]], axis=-1)


ISO_PARTS = {"year": slice(0, 4), "month": slice(5, 7), "day": slice(8, 10)}


def part_accuracy(predicted, expected):
    """{"year", "month", "day"}: the fraction of predicted ISO strings whose part equals the expected one's."""
    if len(predicted) != len(expected) or not expected:
        raise ValueError(f"need as many predictions as targets, at least one: got {len(predicted)} and {len(expected)}")
    return {part: float(np.mean([p[where] == e[where] for p, e in zip(predicted, expected)]))
            for part, where in ISO_PARTS.items()}


def accuracy_by(groups, predicted, expected):
    """{group: (count, exact-match fraction)} over the pairs, grouped by ``groups`` (e.g. each pair's format)."""
    if not len(groups) == len(predicted) == len(expected):
        raise ValueError(f"groups, predicted and expected differ in length: {len(groups)}, {len(predicted)}, "
                         f"{len(expected)}")
    hits = {}
    for group, p, e in zip(groups, predicted, expected):
        hits.setdefault(group, []).append(p == e)
    return {group: (len(h), float(np.mean(h))) for group, h in hits.items()}
