"""companion.data.public's loaders on tiny files in the real formats (gzipped IDX, CIFAR-10's tar.gz of
pickled batches, aclImdb's tar.gz of text files), built here and served from 127.0.0.1."""

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from test_download import listing, server  # noqa: F401  (server is the shared fixture)

from companion.data import public
from companion.data.download import ChecksumError, DownloadError
from companion.data.public import Source

FAST = dict(retries=0, backoff=0.0, timeout=5)
RNG = np.random.default_rng(0)


def idx_bytes(array, magic):
    """A gzipped IDX file: the magic number, the sizes (big-endian uint32), then the uint8 values."""
    header = int(magic).to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def tar_gz(members):
    """A tar.gz holding {name: bytes}."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def serve(server, folder, files):
    """Serve {name: bytes} under /folder/ and return the Source that lists them with their sha256."""
    for name, data in files.items():
        server.route(f"/{folder}/{name}", body=data)
    sums = {name: ("sha256", hashlib.sha256(data).hexdigest()) for name, data in files.items()}
    return Source(folder, (f"{server.url}/{folder}/",), sums)


def mnist_files(n_train=5, n_test=3):
    sets = {split: (RNG.integers(0, 256, (n, 28, 28)), RNG.integers(0, 10, n))
            for split, n in (("train", n_train), ("t10k", n_test))}  # fmt: skip
    files = {}
    for prefix, (images, labels) in sets.items():
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(images, 2051)
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(labels, 2049)
    return sets, files


@pytest.mark.parametrize("loader", [public.load_mnist, public.load_fashion_mnist])
def test_idx_sets_round_trip(loader, server, tmp_path):
    sets, files = mnist_files()
    source = serve(server, "digits", files)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = loader(split, cache_dir=tmp_path, source=source, **FAST)
        assert images.dtype == np.uint8 and images.shape == (len(sets[prefix][1]), 28, 28)
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(images, sets[prefix][0])
        np.testing.assert_array_equal(labels, sets[prefix][1])
    scaled, _ = loader("train", cache_dir=tmp_path, source=source, as_float=True, **FAST)
    assert scaled.dtype == np.float32 and 0 <= scaled.min() and scaled.max() <= 1
    np.testing.assert_allclose(scaled * 255, sets["train"][0], atol=1e-4)
    assert all(hits == 1 for hits in server.hits.values())  # loaded three times, each file fetched once
    assert listing(tmp_path / "digits") == sorted(files)


def test_mnist_and_fashion_mnist_do_not_share_a_cache_folder(server, tmp_path):
    (digits, d_files), (clothes, c_files) = mnist_files(4, 2), mnist_files(6, 2)
    d_src, c_src = serve(server, "mnist", d_files), serve(server, "fashion-mnist", c_files)
    x_d, _ = public.load_mnist("train", cache_dir=tmp_path, source=d_src, **FAST)
    x_c, _ = public.load_fashion_mnist("train", cache_dir=tmp_path, source=c_src, **FAST)
    np.testing.assert_array_equal(x_d, digits["train"][0])
    np.testing.assert_array_equal(x_c, clothes["train"][0])


def test_real_sources_list_both_splits_with_published_md5s():
    for source in (public.MNIST, public.FASHION_MNIST):
        assert sorted(source.files) == sorted(f"{p}-{k}-ubyte.gz" for p in ("train", "t10k")
                                              for k in ("images-idx3", "labels-idx1"))  # fmt: skip
    for source in (public.MNIST, public.FASHION_MNIST, public.CIFAR10, public.IMDB):
        for algorithm, digest in source.files.values():
            assert algorithm == "md5" and len(digest) == 32 and int(digest, 16) >= 0
        assert all(m.startswith("http") and m.endswith("/") for m in source.mirrors)
    assert public.MNIST.folder != public.FASHION_MNIST.folder  # same file names, different files


def test_parse_idx_other_types_and_shapes():
    values = np.arange(-6, 6, dtype=">i4").reshape(2, 3, 2)
    data = bytes([0, 0, 0x0C, 3]) + b"".join(int(s).to_bytes(4, "big") for s in values.shape) + values.tobytes()
    parsed = public.parse_idx(data)
    np.testing.assert_array_equal(parsed, values)
    assert parsed.dtype == np.int32 and parsed.dtype.isnative


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x01\x02\x08\x01", "not an IDX file"),
        (b"\x00\x00\x07\x01" + b"\x00" * 8, "not an IDX file"),  # 0x07 is no IDX type
        (b"\x00\x00\x08\x03\x00\x00", "truncated inside its header"),
        (bytes([0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3]), r"header \(5,\) says 13"),  # 3 of 5 bytes
        (bytes([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]), "truncated or padded"),
    ],
)
def test_parse_idx_rejects_malformed_files(data, match):
    with pytest.raises(ValueError, match=match):
        public.parse_idx(data, name="x.idx")


def test_malformed_idx_files_are_named(tmp_path):
    labels = tmp_path / "labels.gz"
    labels.write_bytes(idx_bytes(np.arange(4), 2049))
    with pytest.raises(ValueError, match=r"magic number 2049, expected 2051"):
        public.read_idx_gz(labels, magic=2051)
    raw = tmp_path / "raw.gz"
    raw.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        public.read_idx_gz(raw)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(idx_bytes(np.zeros((3, 28, 28)), 2051)[:-10])
    with pytest.raises(ValueError, match="cut.gz"):
        public.read_idx_gz(cut)


def test_image_and_label_counts_must_agree(server, tmp_path):
    _, files = mnist_files()
    files["train-labels-idx1-ubyte.gz"] = idx_bytes(np.arange(4) % 10, 2049)  # 4 labels for 5 images
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        public.load_mnist("train", cache_dir=tmp_path, source=serve(server, "m", files), **FAST)


def cifar_batch(n, label="batch"):
    """(images (n, 32, 32, 3), labels, pickled batch as the real files hold it: b"data" rows of 1024 red,
    1024 green, 1024 blue values)."""
    images, labels = RNG.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), RNG.integers(0, 10, n).tolist()
    batch = {b"batch_label": label.encode(), b"labels": labels,
             b"data": images.transpose(0, 3, 1, 2).reshape(n, 3072),
             b"filenames": [f"img_{i}.png".encode() for i in range(n)]}  # fmt: skip
    return images, labels, pickle.dumps(batch, protocol=2)


def cifar_archive(sizes=(2, 3, 1, 2, 2, 3)):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches = {name: cifar_batch(n, name) for name, n in zip(names, sizes)}
    members = {f"cifar-10-batches-py/{name}": b[2] for name, b in batches.items()}
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": [b"airplane"]}, protocol=2)
    return batches, tar_gz(members)


def test_cifar10_round_trip(server, tmp_path):
    batches, archive = cifar_archive()
    source = serve(server, "cifar10", {"cifar-10-python.tar.gz": archive})
    images, labels = public.load_cifar10("train", cache_dir=tmp_path, source=source, **FAST)
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    assert images.dtype == np.uint8 and images.shape == (sum(len(b[1]) for b in train), 32, 32, 3)
    np.testing.assert_array_equal(images, np.concatenate([b[0] for b in train]))  # batches 1..5 in order
    np.testing.assert_array_equal(labels, np.concatenate([b[1] for b in train]))
    test_x, test_y = public.load_cifar10("test", cache_dir=tmp_path, source=source, as_float=True, **FAST)
    np.testing.assert_allclose(test_x * 255, batches["test_batch"][0], atol=1e-4)
    np.testing.assert_array_equal(test_y, batches["test_batch"][1])
    assert server.hits["/cifar10/cifar-10-python.tar.gz"] == 1
    assert listing(tmp_path / "cifar10") == ["cifar-10-python.tar.gz"]  # read in memory, nothing extracted


def test_cifar_batch_pickled_by_numpy_1_module_path():
    """The real batches (Python 2, NumPy 1.x) name numpy.core.multiarray._reconstruct; NumPy 2 writes
    numpy._core.multiarray. Both must load, whichever NumPy reads them."""
    images, labels, data = cifar_batch(2)
    assert b"cnumpy._core.multiarray\n_reconstruct" in data
    old_path = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    got_x, got_y = public.parse_cifar_batch(old_path)
    np.testing.assert_array_equal(got_x, images)
    np.testing.assert_array_equal(got_y, labels)


def py2_batch(images, labels):
    """The pickle opcodes Python 2's cPickle (protocol 2) writes for a CIFAR batch: str values as
    SHORT_BINSTRING/BINSTRING (read back as bytes with encoding="bytes"), the array rebuilt by
    numpy.core.multiarray._reconstruct with NumPy 1.x's dtype state."""

    def string(b):
        return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + len(b).to_bytes(4, "little") + b)

    def ints(*values):
        return b"".join(b"K" + bytes([v]) if v < 256 else b"M" + v.to_bytes(2, "little") for v in values)

    n = len(labels)
    data = images.transpose(0, 3, 1, 2).reshape(n, 3072).tobytes()
    array = (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + ints(0) + b"\x85" + string(b"b")
             + b"\x87R(" + ints(1, n, 3072) + b"\x86cnumpy\ndtype\n" + string(b"u1") + ints(0, 1) + b"\x87R("
             + ints(3) + string(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff" + ints(0) + b"tb\x89"
             + string(data) + b"tb")  # fmt: skip
    return (b"\x80\x02}(" + string(b"batch_label") + string(b"training batch 1 of 5") + string(b"labels")
            + b"](" + ints(*labels) + b"e" + string(b"data") + array + b"u.")  # fmt: skip


def test_cifar_batch_as_python_2_wrote_it():
    images = RNG.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    data = py2_batch(images, [3, 0, 9])
    assert b"_codecs" not in data and b"X" not in data[:40]  # no Python 3 unicode strings
    got_x, got_y = public.parse_cifar_batch(data)
    np.testing.assert_array_equal(got_x, images)
    np.testing.assert_array_equal(got_y, [3, 0, 9])


class _Codec:
    def __reduce__(self):
        import _codecs

        return (_codecs.encode, ("abc", "rot13"))


class _Sneaky:
    def __reduce__(self):
        return (os.getcwd, ())  # harmless, but any callable could sit here


def test_cifar_batch_that_calls_code_is_refused(server, tmp_path):
    evil = pickle.dumps({b"data": _Sneaky(), b"labels": [0]}, protocol=2)
    with pytest.raises(ValueError, match="may not refer to .*getcwd"):
        public.parse_cifar_batch(evil, name="evil")
    rot13 = pickle.dumps({b"data": _Codec(), b"labels": [0]}, protocol=2)
    with pytest.raises(ValueError, match="may not use the 'rot13' codec"):
        public.parse_cifar_batch(rot13, name="rot13")


@pytest.mark.parametrize(
    "batch, match",
    [
        ({b"labels": [1]}, "no b'data'"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [1]}, "and 1 labels"),
        ({b"data": np.zeros((1, 3000), np.uint8), b"labels": [1]}, r"\(1, 3000\)"),
        ({b"data": np.zeros((1, 3072), np.float64), b"labels": [1]}, "float64"),
    ],
)
def test_malformed_cifar_batches(batch, match):
    with pytest.raises(ValueError, match=match):
        public.parse_cifar_batch(pickle.dumps(batch, protocol=2), name="b")


def test_cifar_archive_missing_a_batch(server, tmp_path):
    archive = tar_gz({"cifar-10-batches-py/test_batch": cifar_batch(1)[2]})
    source = serve(server, "c", {"cifar-10-python.tar.gz": archive})
    with pytest.raises(ValueError, match="lacks cifar-10-batches-py/data_batch_1"):
        public.load_cifar10("train", cache_dir=tmp_path, source=source, **FAST)
    assert public.load_cifar10("test", cache_dir=tmp_path, source=source, **FAST)[0].shape == (1, 32, 32, 3)


REVIEWS = {
    "aclImdb/train/pos/10_9.txt": "A joy.<br />Ten out of ten — magnifique.",
    "aclImdb/train/pos/2_7.txt": "Good enough.",
    "aclImdb/train/neg/3_1.txt": "Dreadful.",
    "aclImdb/test/neg/0_2.txt": "Boring.",
    "aclImdb/test/pos/1_8.txt": "Lovely.",
    "aclImdb/train/unsup/0_0.txt": "No label here.",
    "aclImdb/imdb.vocab": "the\nand\n",
    "aclImdb/train/labeledBow.feat": "0 0:1\n",
}


def test_imdb_round_trip(server, tmp_path):
    archive = tar_gz({name: text.encode("utf-8") for name, text in REVIEWS.items()})
    source = serve(server, "imdb", {"aclImdb_v1.tar.gz": archive})
    texts, labels = public.load_imdb("train", cache_dir=tmp_path, source=source, **FAST)
    assert texts.dtype == object and labels.dtype == np.int64
    # negatives first, then positives, each by review id (2 before 10: numbers, not strings)
    assert list(texts) == ["Dreadful.", "Good enough.", "A joy.<br />Ten out of ten — magnifique."]
    assert list(labels) == [0, 1, 1]
    texts, labels = public.load_imdb("test", cache_dir=tmp_path, source=source, **FAST)
    assert list(texts) == ["Boring.", "Lovely."] and list(labels) == [0, 1]


def test_imdb_archive_without_reviews(server, tmp_path):
    source = serve(server, "i", {"aclImdb_v1.tar.gz": tar_gz({"aclImdb/README": b"hi"})})
    with pytest.raises(ValueError, match="no aclImdb/train/pos or /neg reviews"):
        public.load_imdb("train", cache_dir=tmp_path, source=source, **FAST)


def test_not_a_tar_gz(server, tmp_path):
    source = serve(server, "i", {"aclImdb_v1.tar.gz": b"<html>captive portal</html>"})
    with pytest.raises(ValueError, match="not a readable tar.gz"):
        public.load_imdb("train", cache_dir=tmp_path, source=source, **FAST)


def test_second_mirror_is_tried_and_failures_are_listed(server, tmp_path):
    _, files = mnist_files()
    good = serve(server, "good", files)
    source = Source("m", (f"{server.url}/gone/", good.mirrors[0]), good.files)  # /gone/ has no routes: 404
    server.routes.update({f"/gone/{n}": (b"", (404,)) for n in files})
    images, _ = public.load_mnist("test", cache_dir=tmp_path, source=source, **FAST)
    assert images.shape == (3, 28, 28)
    dead = Source("m2", (f"{server.url}/gone/", f"{server.url}/gone/"), good.files)
    with pytest.raises(DownloadError, match="every mirror of t10k-images-idx3-ubyte.gz failed.*404.*404"):
        public.load_mnist("test", cache_dir=tmp_path, source=dead, **FAST)
    assert listing(tmp_path / "m2") == []


def test_a_wrong_file_from_the_server_is_a_checksum_error(server, tmp_path):
    _, files = mnist_files()
    source = serve(server, "m", files)
    server.routes["/m/t10k-images-idx3-ubyte.gz"] = (files["train-images-idx3-ubyte.gz"], ("ok",))
    with pytest.raises(ChecksumError, match="t10k-images"):
        public.load_mnist("test", cache_dir=tmp_path, source=source, **FAST)
    assert "t10k-images-idx3-ubyte.gz" not in listing(tmp_path / "m")


def test_split_must_be_train_or_test():
    for loader in (public.load_mnist, public.load_fashion_mnist, public.load_cifar10, public.load_imdb):
        with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
            loader("valid")


def test_as_dataset_gives_tensors_like_to_tensor(server, tmp_path):
    import torch

    x = RNG.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    ds = public.as_dataset(x, np.arange(4))
    image, label = ds[2]
    assert len(ds) == 4 and image.shape == (3, 32, 32) and image.dtype == torch.float32
    torch.testing.assert_close(image, torch.from_numpy(x[2]).permute(2, 0, 1).float() / 255)
    assert label.dtype == torch.int64 and int(label) == 2
    gray, _ = public.as_dataset(x[..., 0], np.arange(4))[0]
    assert gray.shape == (1, 32, 32)
    batch_x, batch_y = next(iter(torch.utils.data.DataLoader(ds, batch_size=3)))
    assert batch_x.shape == (3, 3, 32, 32) and batch_y.tolist() == [0, 1, 2]
    texts = np.array(["good", "bad"], dtype=object)
    assert public.as_dataset(texts, [1, 0])[1][0] == "bad"
    assert public.as_dataset(x, [0, 1, 2, 3], transform=lambda v: v.shape)[0][0] == (32, 32, 3)
    with pytest.raises(ValueError, match="differ in length: 4 and 3"):
        public.as_dataset(x, [0, 1, 2])


def test_loaders_do_not_import_torch():
    code = "import sys, companion.data.public, companion.data.download; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_or_fallback_uses_the_shipped_set_offline(server, tmp_path):
    from companion._runtime import free_port

    def digits():
        return np.zeros((7, 8, 8)), np.arange(7)

    offline = Source("m", (f"http://127.0.0.1:{free_port()}/",), serve(server, "x", mnist_files()[1]).files)
    x, y, message = public.load_or_fallback(public.load_mnist, digits, "test", cache_dir=tmp_path,
                                            source=offline, **FAST)  # fmt: skip
    assert x.shape == (7, 8, 8) and len(y) == 7
    assert message.startswith("offline, so digits() instead (7 samples)") and "refused" in message.lower()
    online = serve(server, "y", mnist_files(5, 3)[1])
    x, y, message = public.load_or_fallback(public.load_mnist, digits, "test", cache_dir=tmp_path,
                                            source=online, **FAST)  # fmt: skip
    assert x.shape == (3, 28, 28) and message == "load_mnist('test'): 3 samples, downloaded or cached"
    broken = serve(server, "z", {"aclImdb_v1.tar.gz": b"not a tar"})
    with pytest.raises(ValueError, match="not a readable tar.gz"):  # a bad file is not hidden by the fallback
        public.load_or_fallback(public.load_imdb, digits, cache_dir=tmp_path, source=broken, **FAST)
