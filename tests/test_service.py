"""The digits service through FastAPI's TestClient: predictions, the model file, and every bad input
answered with a 4xx that names the problem (never a 500)."""

import os
import pickle

import numpy as np
import pytest
import torch

from companion import torch as ct
from companion.data import shipped
from companion.data.splits import Standardizer, train_val_test_split
from companion.deploy import models
from companion.deploy.loadtest import free_port, load_test
from companion.deploy.models import ServedModel, load_model, save_model, train_breast_cancer_model, train_digits_model
from companion.deploy.service import app_from_env, bad_requests, create_app
from companion.deploy.service import in_process_client as TestClient


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "digits.pt"
    accuracy = train_digits_model(path)
    return path, accuracy


@pytest.fixture(scope="module")
def client(digits_file):
    return TestClient(create_app(digits_file[0], max_batch=8, max_body_bytes=8000))


@pytest.fixture(scope="module")
def digits():
    return shipped.load_digits()


def test_digits_model_learns_and_is_stored_as_plain_data(digits_file):
    path, accuracy = digits_file
    assert accuracy > 0.9
    payload = torch.load(path, weights_only=True)  # only tensors and plain types: weights_only loads it
    assert set(payload) == {"state_dict", "metadata"}
    meta = payload["metadata"]
    assert meta["input_size"] == 64 and meta["class_names"] == [str(d) for d in range(10)]
    assert meta["sizes"] == [64, 64, 10] and meta["test_accuracy"] == accuracy
    assert [p.parent for p in path.parent.iterdir()] == [path.parent] and len(list(path.parent.iterdir())) == 1


def test_load_model_reproduces_the_saved_network(tmp_path):
    net = ct.build_mlp([5, 7, 3], ["relu", "linear"], rng=np.random.default_rng(0), dtype=torch.float32)
    meta = {"version": "v-test", "input_size": 5, "class_names": ["a", "b", "c"], "sizes": [5, 7, 3],
            "activations": ["relu", "linear"]}
    save_model(tmp_path / "m.pt", net, meta)
    served = load_model(tmp_path / "m.pt")
    x = np.random.default_rng(1).normal(size=(11, 5))
    expected = torch.softmax(net(torch.as_tensor(x, dtype=torch.float32)), 1).detach().double().numpy()
    np.testing.assert_array_equal(served.predict_proba(x), expected)
    assert served.version == "v-test" and served.class_names == ["a", "b", "c"] and not served.net.training


def test_breast_cancer_model_standardizes_inside(tmp_path):
    path = tmp_path / "bc.pt"
    accuracy = train_breast_cancer_model(path)
    served = load_model(path)
    X, y = shipped.load_breast_cancer()
    split = train_val_test_split(X, y, val=0.15, test=0.15, stratify=True, seed=0)
    scaler = Standardizer().fit(split.train[0])
    np.testing.assert_allclose(served.input_mean.numpy(), scaler.mean, rtol=1e-6)
    # Raw measurements in, the stored scaling applied: the test accuracy the trainer reported
    predicted = served.predict_proba(split.test[0]).argmax(1)
    assert np.mean(predicted == split.test[1]) == pytest.approx(accuracy) and accuracy > 0.9
    unscaled = ServedModel(served.net, served.metadata)  # the same net without its scaling is far worse
    assert np.mean(unscaled.predict_proba(split.test[0]).argmax(1) == split.test[1]) < accuracy - 0.1
    app = TestClient(create_app(path))
    assert app.get("/health").json()["class_names"] == ["malignant", "benign"]
    response = app.post("/predict", json={"features": split.test[0][0].tolist()})
    assert response.json()["class_name"] == ["malignant", "benign"][predicted[0]]
    wrong = app.post("/predict", json={"features": [0.0] * 64})
    assert wrong.status_code == 422 and "features must hold 30 numbers" in wrong.json()["detail"]
    statuses = {name: app.post(path, **request).status_code for name, (path, request) in bad_requests(30).items()}
    assert all(400 <= status < 500 for status in statuses.values()), statuses
    assert statuses["an oversized body"] == 413 and statuses["too many rows"] == 422  # the default limits


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    net = ct.build_mlp([2, 2], ["linear"], rng=np.random.default_rng(0))
    meta = {"version": "1", "input_size": 2, "class_names": ["x", "y"], "sizes": [2, 2], "activations": ["linear"]}
    path = tmp_path / "m.pt"
    save_model(path, net, meta)
    before = path.read_bytes()

    def broken_save(obj, f):  # f: the temporary path (or an open file)
        if hasattr(f, "write"):
            f.write(b"half a file")
        else:
            with open(f, "wb") as out:
                out.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(models.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_model(path, net, {**meta, "version": "2"})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.pt"]
    with pytest.raises(ValueError, match="lacks \\['class_names'\\]"):
        save_model(path, net, {k: v for k, v in meta.items() if k != "class_names"})
    with pytest.raises(ValueError, match="must start at input_size 3"):
        save_model(path, net, {**meta, "input_size": 3})


class _NotData:
    def __reduce__(self):  # what a malicious pickle does: call a function while loading
        return (os.getcwd, ())


def test_load_model_refuses_foreign_and_unsafe_files(tmp_path):
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(ValueError, match="not a model file written by save_model"):
        load_model(tmp_path / "tensor.pt")
    with open(tmp_path / "code.pt", "wb") as f:
        pickle.dump({"state_dict": {}, "metadata": _NotData()}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load_model(tmp_path / "code.pt")
    with pytest.raises(FileNotFoundError):
        create_app(tmp_path / "missing.pt")  # at start-up, not at the first request


def test_health(client):
    body = client.get("/health").json()
    assert body == {"status": "ok", "model_version": "digits-mlp-1", "input_size": 64,
                    "class_names": [str(d) for d in range(10)], "max_batch": 8}


def test_predict_matches_the_model(client, digits_file, digits):
    X, y = digits
    served = load_model(digits_file[0])
    for i in (0, 1, 500):
        body = client.post("/predict", json={"features": X[i].tolist()}).json()
        probabilities = np.array(body["probabilities"])
        np.testing.assert_array_equal(probabilities, served.predict_proba(X[i:i + 1])[0])
        assert body["label"] == probabilities.argmax() and body["class_name"] == str(body["label"])
        assert body["model_version"] == "digits-mlp-1" and probabilities.sum() == pytest.approx(1)


def test_batch_equals_single_requests(client, digits):
    X = digits[0][:8]
    batch = client.post("/predict/batch", json={"rows": X.tolist()}).json()
    assert batch["model_version"] == "digits-mlp-1" and len(batch["predictions"]) == 8
    for row, prediction in zip(X, batch["predictions"]):
        single = client.post("/predict", json={"features": row.tolist()}).json()
        assert single["label"] == prediction["label"]
        np.testing.assert_allclose(single["probabilities"], prediction["probabilities"], atol=1e-6)


def test_the_model_is_loaded_once(digits_file, monkeypatch):
    calls = []
    real_load = models.torch.load
    monkeypatch.setattr(models.torch, "load", lambda *a, **k: calls.append(k) or real_load(*a, **k))
    app = TestClient(create_app(digits_file[0]))
    for _ in range(3):
        assert app.post("/predict", json={"features": [0.0] * 64}).status_code == 200
    assert calls == [{"map_location": "cpu", "weights_only": True}]


ROW = [0.5] * 64
JSON = {"content-type": "application/json"}
EXPECTED = {  # each bad request (service.bad_requests): its status, and words its message must contain
    "too few values": (422, "features must hold 64 numbers (one per input feature), got 63"),
    "too many values": (422, "got 65"),
    "a NaN": (422, "features[0] is nan; every value must be a finite number"),
    "an infinity": (422, "features[0] is inf"),
    "a string": (422, "features[0]: Input should be a valid number, got '0.5'"),
    "a boolean": (422, "features[0]: Input should be a valid number, got True"),
    "a nested list": (422, "features[0]: Input should be a valid number"),
    "not a list": (422, "features: Input should be a valid list"),
    "no features": (422, "features: Field required"),
    "an unknown field": (422, "pixels: Extra inputs"),
    "not an object": (422, "request body: Input should be a valid dictionary"),
    "an empty body": (422, "request body is missing"),
    "malformed JSON": (400, "malformed JSON"),
    "wrong content type": (415, "Content-Type must be application/json, got 'text/plain'"),
    "form data": (415, "got 'application/x-www-form-urlencoded'"),
    "no content type": (415, "got none"),
    "an oversized body": (413, "over the limit of 8000 bytes"),
    "an empty batch": (422, "rows is empty"),
    "too many rows": (422, "rows holds 9 rows; at most 8"),
    "a short row": (422, "rows[1] must hold 64 numbers (one per input feature), got 10"),
    "a NaN in a row": (422, "rows[0][0] is nan"),
    "strings in a row": (422, "(and 61 more errors)"),
}


def test_every_bad_request_has_an_expectation():
    assert list(bad_requests()) == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_bad_input_gets_a_4xx_naming_the_problem(client, name):
    path, request = bad_requests(64, max_batch=8, max_body_bytes=8000)[name]
    status, words = EXPECTED[name]
    response = client.post(path, **request)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_a_chunked_oversized_body_is_refused(client):
    # No Content-Length: the limit is enforced while the body streams in
    chunks = (b'{"rows": [' + b"0.5, " * 400 for _ in range(10))
    response = client.post("/predict/batch", content=chunks, headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "over the limit of 8000 bytes" in response.json()["detail"]


def test_random_junk_never_gets_a_500(client):
    rng = np.random.default_rng(0)
    values = [None, True, "x", 1e308, -0.0, [], {}, [[]], {"features": None}, "NaN", 2 ** 70]
    for _ in range(60):
        junk = {"features": [values[i] for i in rng.integers(len(values), size=rng.integers(0, 70))]}
        if rng.random() < 0.3:
            junk = values[rng.integers(len(values))]
        status = client.post("/predict", json=junk).status_code
        assert 400 <= status < 500, junk
    for _ in range(20):
        raw = rng.integers(0, 256, size=rng.integers(1, 200)).astype(np.uint8).tobytes()
        assert 400 <= client.post("/predict/batch", content=raw, headers=JSON).status_code < 500


def test_wrong_methods_and_paths(client):
    assert client.get("/predict").status_code == 405
    assert client.post("/nowhere", json={}).status_code == 404


def test_app_from_env(digits_file, monkeypatch):
    monkeypatch.delenv("COMPANION_CHECKPOINT", raising=False)
    with pytest.raises(RuntimeError, match="set COMPANION_CHECKPOINT"):
        app_from_env()
    monkeypatch.setenv("COMPANION_CHECKPOINT", "nowhere/model.pt")
    with pytest.raises(FileNotFoundError, match="'nowhere/model.pt', and there is no such file"):
        app_from_env()
    monkeypatch.setenv("COMPANION_CHECKPOINT", str(digits_file[0]))
    monkeypatch.setenv("COMPANION_MAX_BATCH", "3")
    assert TestClient(app_from_env()).get("/health").json()["max_batch"] == 3


def test_load_test_counts_failures_without_a_server():
    nobody = f"http://127.0.0.1:{free_port()}/predict"  # nothing listens there: every request fails
    result = load_test(nobody, [{"features": ROW}], n_requests=10, concurrency=2, timeout=2)
    assert result.errors == 10 and result.n_requests == 10 and np.isnan(result.p50_ms)
    assert "ConnectError" in result.error_examples[0] and len(result.error_examples) == 5
    with pytest.raises(ValueError, match="payloads is empty"):
        load_test(nobody, [])


def test_command_line_trains_and_saves(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(models.TRAINERS, "digits", lambda path: train_digits_model(path, epochs=1))
    models.main(["digits", str(tmp_path / "model.pt")])
    assert "saved digits to" in capsys.readouterr().out
    assert load_model(tmp_path / "model.pt").input_size == 64
    with pytest.raises(SystemExit):
        models.main(["cats", str(tmp_path / "cats.pt")])
