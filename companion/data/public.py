"""Public data sets for readers with a network (Colab): MNIST, Fashion-MNIST, CIFAR-10 and IMDB reviews.

Each loader fetches the publisher's own files once through :func:`companion.data.download.fetch`
(cached, checksum-verified, written atomically; see there for the retry rules and errors) and parses the
original format with NumPy:

- :func:`load_mnist`: handwritten digits, images uint8 (N, 28, 28), labels 0..9; gzipped IDX files
  (LeCun et al., 1998).
- :func:`load_fashion_mnist`: clothing, the same format and shapes (Xiao et al., 2017, Zalando Research).
- :func:`load_cifar10`: images uint8 (N, 32, 32, 3) in ten classes; cifar-10-python.tar.gz, pickled
  batches (Krizhevsky, 2009).
- :func:`load_imdb`: movie reviews, texts (N,) object array of str, labels 1 positive / 0 negative;
  aclImdb_v1.tar.gz, one text file per review (Maas et al., 2011).

Labels are int64. ``as_float=True`` gives images as float32 in [0, 1] (pixel / 255) instead of uint8.
Sizes: MNIST and Fashion-MNIST 60,000 train / 10,000 test; CIFAR-10 50,000 / 10,000; IMDB 25,000 / 25,000
(the 50,000 unlabelled ``unsup`` reviews are skipped). :func:`as_dataset` wraps the arrays in a
``torch.utils.data.Dataset``; torch is imported only then. :func:`load_or_fallback` returns a shipped set
instead where downloads fail, with a message saying so.

A process killed mid-download (SIGKILL, a power cut) can leave a hidden ``.<name>.*.part`` file in the
cache; it is never read as the data set, and may be deleted.

Checksums: no publisher gives a sha256 (CIFAR-10's page and Fashion-MNIST's README give md5s), so the md5s
here are the ones torchvision (MNIST, Fashion-MNIST, CIFAR-10) and torchtext (IMDB) check; :func:`fetch`
checks whichever a :class:`Source` lists. Each loader takes
``source=`` so the tests can point it at a local server with their own files and hashes.
"""

import gzip
import io
import pickle
import re
import tarfile
from dataclasses import dataclass

import numpy as np

from companion.data.download import DiskFullError, DownloadError, cache_folder, fetch

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Source:
    """Where a data set lives: ``mirrors`` (base URLs, tried in order), ``files`` (file name ->
    (algorithm, hex checksum)) and ``folder`` (its subfolder of the cache: MNIST and Fashion-MNIST share
    file names)."""

    folder: str
    mirrors: tuple
    files: dict


MNIST = Source(
    "mnist",
    ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    {
        "train-images-idx3-ubyte.gz": ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train-labels-idx1-ubyte.gz": ("md5", "d53e105ee54ea40749a09fcbcd1e9432"),
        "t10k-images-idx3-ubyte.gz": ("md5", "9fb629c4189551a2d022fa330f9573f3"),
        "t10k-labels-idx1-ubyte.gz": ("md5", "ec29112dd5afa0611ce80d1b7f02629c"),
    },
)
FASHION_MNIST = Source(
    "fashion-mnist",
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    {
        "train-images-idx3-ubyte.gz": ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train-labels-idx1-ubyte.gz": ("md5", "25c81989df183df01b3e8a0aad5dffbe"),
        "t10k-images-idx3-ubyte.gz": ("md5", "bef4ecab320f06d8554ea6380940ec79"),
        "t10k-labels-idx1-ubyte.gz": ("md5", "bb300cfdad3c16e7a12a480ee83cd310"),
    },
)
CIFAR10 = Source(
    "cifar10",
    ("https://www.cs.toronto.edu/~kriz/",),
    {"cifar-10-python.tar.gz": ("md5", "c58f30108f718f92721af3b95e74349a")},
)
IMDB = Source(
    "imdb",
    ("https://ai.stanford.edu/~amaas/data/sentiment/",),
    {"aclImdb_v1.tar.gz": ("md5", "7c2ac02c03563afcf9b574c7e56c153a")},
)

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")  # fmt: skip
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def fetch_source_file(source, filename, cache_dir=None, **fetch_kwargs):
    """Fetch ``filename`` of ``source`` into ``cache_dir / source.folder``, trying each mirror in turn.

    A full disk stops at once; any other failure moves on to the next mirror, and when every mirror has
    failed the error lists what each one did. ``fetch_kwargs`` go to :func:`fetch` (retries, backoff,
    timeout). Returns the verified file's path.
    """
    algorithm, digest = source.files[filename]
    folder = cache_folder(cache_dir) / source.folder
    errors = []
    for base in source.mirrors:
        try:
            return fetch(base + filename, cache_dir=folder, **{algorithm: digest}, **fetch_kwargs)
        except DiskFullError:
            raise
        except DownloadError as err:
            errors.append(err)
    if len(errors) == 1:
        raise errors[0]
    raise DownloadError(f"every mirror of {filename} failed: " + " | ".join(map(str, errors)))


# ---- IDX (MNIST, Fashion-MNIST) ----

_IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(data, name="IDX data"):
    """Parse the bytes of an IDX file into an array.

    Layout (big-endian): two zero bytes, a type byte (0x08 uint8, ..., 0x0E float64), a byte with the
    number of dimensions d, then d uint32 sizes, then the values in C order. MNIST's image files start
    with the magic number 2051 (0x00000803: uint8, 3 dimensions), its label files with 2049 (uint8, 1-D).
    Raises ValueError naming ``name`` when the header is not IDX or the length does not match the sizes.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{name} is not an IDX file: its first bytes are {bytes(data[:4])!r}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name} is truncated inside its header ({len(data)} bytes, {header} needed)")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    want = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != want:
        raise ValueError(f"{name} holds {len(data)} bytes, but its header {shape} says {want}: truncated or padded")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx_gz(path, magic=None):
    """Read a gzipped IDX file; ``magic`` (e.g. 2051 for images, 2049 for labels) is checked if given."""
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        raise ValueError(f"{path} is not a readable gzip file: {err}") from err
    if magic is not None and data[:4] != int(magic).to_bytes(4, "big"):
        found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
        raise ValueError(f"{path}: magic number {found}, expected {magic}")
    return parse_idx(data, name=str(path))


def _load_idx_set(source, split, cache_dir, as_float, fetch_kwargs):
    """(images (N, rows, cols), labels (N,) int64) of one split of an MNIST-format set."""
    prefix = {"train": "train", "test": "t10k"}[_check_split(split)]
    paths = [fetch_source_file(source, f"{prefix}-{kind}-ubyte.gz", cache_dir, **fetch_kwargs)
             for kind in ("images-idx3", "labels-idx1")]  # fmt: skip
    images, labels = read_idx_gz(paths[0], magic=2051), read_idx_gz(paths[1], magic=2049)
    if len(images) != len(labels):
        raise ValueError(f"{paths[0].name} has {len(images)} images but {paths[1].name} {len(labels)} labels")
    return _images(images, as_float), labels.astype(np.int64)


def load_mnist(split="train", *, cache_dir=None, as_float=False, source=MNIST, **fetch_kwargs):
    """MNIST handwritten digits: images uint8 (N, 28, 28) (float32 in [0, 1] with ``as_float``), labels
    int64 (N,) in 0..9. N is 60,000 for "train", 10,000 for "test". Downloads about 11 MB once."""
    return _load_idx_set(source, split, cache_dir, as_float, fetch_kwargs)


def load_fashion_mnist(split="train", *, cache_dir=None, as_float=False, source=FASHION_MNIST, **fetch_kwargs):
    """Fashion-MNIST clothing images, MNIST's format and shapes: images (N, 28, 28), labels (N,) in 0..9
    naming :data:`FASHION_MNIST_CLASSES`. Downloads about 30 MB once."""
    return _load_idx_set(source, split, cache_dir, as_float, fetch_kwargs)


# ---- CIFAR-10 ----


class _BatchUnpickler(pickle.Unpickler):
    """Unpickle a CIFAR batch allowing only what a NumPy array needs (no other code can run), a second
    guard after the checksum: a batch is a dict of bytes keys, lists, and one uint8 array."""

    def _latin1(text, encoding):  # how Python 3 pickles bytes at protocol 2; no other codec
        if encoding != "latin1":
            raise pickle.UnpicklingError(f"a CIFAR batch may not use the {encoding!r} codec; refused")
        return text.encode("latin1")

    _reconstruct = np.zeros(1).__reduce__()[0]  # numpy's array rebuilder, wherever this NumPy keeps it
    ALLOWED = {
        ("_codecs", "encode"): _latin1,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return self.ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"a CIFAR batch may not refer to {module}.{name}; refused")


def parse_cifar_batch(data, name="batch"):
    """(images uint8 (N, 32, 32, 3), labels int64 (N,)) from one pickled CIFAR-10 batch's bytes.

    The batch is a dict: b"data" a uint8 array (N, 3072), each row 1024 red, then 1024 green, then 1024
    blue values of a 32x32 image in row-major order; b"labels" a list of N ints in 0..9.
    """
    try:
        batch = _BatchUnpickler(io.BytesIO(data), encoding="bytes").load()  # Python 2 pickles: bytes keys
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise ValueError(f"{name} is not a CIFAR-10 batch: {err}") from err
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{name} is not a CIFAR-10 batch: no b'data' and b'labels'")
    pixels, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"], dtype=np.int64)
    if pixels.dtype != np.uint8 or pixels.ndim != 2 or pixels.shape[1] != 3072 or len(pixels) != len(labels):
        raise ValueError(f"{name}: data {pixels.dtype} {pixels.shape} and {len(labels)} labels; "
                         f"expected uint8 (N, 3072) and N labels")  # fmt: skip
    return pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels  # (N, 32, 32, 3)


def load_cifar10(split="train", *, cache_dir=None, as_float=False, source=CIFAR10, **fetch_kwargs):
    """CIFAR-10: images uint8 (N, 32, 32, 3) (float32 in [0, 1] with ``as_float``), labels int64 (N,)
    naming :data:`CIFAR10_CLASSES`. "train" is data_batch_1..5 in order (N = 50,000), "test" test_batch
    (10,000). The batches are read from the verified tar.gz in memory (nothing extracted to disk) and
    unpickled only after the checksum matched, with an unpickler that admits NumPy arrays only.
    Downloads about 163 MiB once."""
    wanted = [f"data_batch_{i}" for i in range(1, 6)] if _check_split(split) == "train" else ["test_batch"]
    path = fetch_source_file(source, "cifar-10-python.tar.gz", cache_dir, **fetch_kwargs)
    found = _read_tar_members(path, {f"cifar-10-batches-py/{w}" for w in wanted})
    parts = [parse_cifar_batch(found[f"cifar-10-batches-py/{w}"], name=f"{path.name}:{w}") for w in wanted]
    images, labels = (np.concatenate(p) for p in zip(*parts))
    return _images(images, as_float), labels


# ---- IMDB reviews ----

_IMDB_MEMBER = re.compile(r"aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt")


def load_imdb(split="train", *, cache_dir=None, source=IMDB, **fetch_kwargs):
    """IMDB movie reviews (Maas et al., 2011): texts, an object array (N,) of str, and labels int64 (N,),
    1 for a positive review (rating >= 7 of 10), 0 for a negative one (<= 4). N = 25,000 per split, half
    of each. Ordered negatives first, then positives, each by review id. The texts are as published (they
    keep HTML line breaks ``<br />``). Downloads about 80 MiB once; parsing takes some seconds."""
    split = _check_split(split)
    path = fetch_source_file(source, "aclImdb_v1.tar.gz", cache_dir, **fetch_kwargs)
    reviews = []
    with _open_tar(path) as tar:
        for member in tar:
            match = _IMDB_MEMBER.fullmatch(member.name)
            if member.isfile() and match and match[1] == split:
                text = tar.extractfile(member).read().decode("utf-8")
                reviews.append((match[2] == "pos", int(match[3]), text))
    if not reviews:
        raise ValueError(f"{path} holds no aclImdb/{split}/pos or /neg reviews")
    reviews.sort(key=lambda r: (r[0], r[1]))
    texts = np.empty(len(reviews), dtype=object)
    texts[:] = [r[2] for r in reviews]
    return texts, np.array([r[0] for r in reviews], dtype=np.int64)


# ---- shared pieces ----


def as_dataset(x, y, transform=None):
    """A ``torch.utils.data.Dataset`` of (x[i], y[i]) (see :class:`companion.data.torch_datasets.ArrayDataset`:
    uint8 images become float32 tensors (C, H, W) in [0, 1], texts stay str). Imports torch only now."""
    from companion.data.torch_datasets import ArrayDataset

    return ArrayDataset(x, y, transform=transform)


def load_or_fallback(load, fallback, split="train", **kwargs):
    """``(x, y, message)``: ``load(split, **kwargs)`` where downloads work, else ``fallback()``'s ``(x, y)``.

    For a notebook that runs in Colab and offline alike: ``message`` says which data came back, and why
    (the :class:`DownloadError`'s first line), so the cell can print it at the top of its output. Only a
    failed download falls back; a malformed file (ValueError) or a full disk still raises.
    """
    try:
        x, y = load(split, **kwargs)
        return x, y, f"{load.__name__}({split!r}): {len(y)} samples, downloaded or cached"
    except DiskFullError:
        raise
    except DownloadError as err:
        x, y = fallback()
        return x, y, f"offline, so {fallback.__name__}() instead ({len(y)} samples): {load.__name__} failed: {err}"


def _check_split(split):
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def _images(images, as_float):
    return images.astype(np.float32) / 255.0 if as_float else images


def _open_tar(path):
    try:
        return tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError, EOFError) as err:
        raise ValueError(f"{path} is not a readable tar.gz file: {err}") from err


def _read_tar_members(path, names):
    """{name: bytes} of the regular files ``names`` in the tar.gz at ``path``, in one pass; ValueError
    naming the missing ones."""
    found = {}
    with _open_tar(path) as tar:
        for member in tar:
            if member.name in names and member.isfile():
                found[member.name] = tar.extractfile(member).read()
    missing = sorted(set(names) - set(found))
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    return found
