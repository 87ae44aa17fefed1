"""A FastAPI service for one of the book's classifiers (the digits MLP, or the breast-cancer MLP).

    app = create_app("digits.pt")          # the model is loaded here, once
    POST /predict        {"features": [64 floats]}
                         -> {"label", "class_name", "probabilities", "model_version"}
    POST /predict/batch  {"rows": [[64 floats], ... up to max_batch rows]}
                         -> {"predictions": [{"label", "class_name", "probabilities"}, ...], "model_version"}
    GET  /health         -> {"status": "ok", "model_version", "input_size", "class_names", "max_batch"}

Bad input never reaches the model and never gives a 500: a body over the byte limit gets 413, a
Content-Type other than JSON 415, malformed JSON 400, and a wrong length, a NaN or infinity, a
string, an empty or oversized batch 422; each with ``{"detail": "<what is wrong, and where>"}``.

Run it for real with ``COMPANION_CHECKPOINT=digits.pt uvicorn companion.deploy.service:app_from_env
--factory`` (see the Dockerfile beside this module and :mod:`companion.deploy.loadtest`).
"""

import math
import os

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, field_validator

MAX_BATCH = 256
MAX_BODY_BYTES = 1 << 20  # 1 MiB: a full batch of 256 digit rows written with 17 digits each is ~0.4 MiB


class Prediction(BaseModel):
    label: int = Field(description="the predicted class index (the most probable class)")
    class_name: str
    probabilities: list[float] = Field(description="one probability per class, summing to 1")


class PredictResponse(Prediction):
    model_version: str


class BatchResponse(BaseModel):
    predictions: list[Prediction]
    model_version: str


class Health(BaseModel):
    status: str
    model_version: str
    input_size: int
    class_names: list[str]
    max_batch: int


def _check_row(values, input_size, where):
    """A ValueError naming ``where`` unless ``values`` holds input_size finite numbers."""
    if len(values) != input_size:
        raise ValueError(f"{where} must hold {input_size} numbers (one per input feature), got {len(values)}")
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ValueError(f"{where}[{i}] is {v}; every value must be a finite number (no NaN or infinity)")
    return values


def request_models(input_size, max_batch=MAX_BATCH):
    """The two request bodies for a model with ``input_size`` inputs (pydantic, strict numbers)."""

    class PredictRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        features: list[StrictFloat] = Field(description=f"{input_size} input values (numbers, not strings)")

        @field_validator("features")
        @classmethod
        def _shape(cls, values):
            return _check_row(values, input_size, "features")

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        rows: list[list[StrictFloat]] = Field(description=f"1 to {max_batch} rows of {input_size} values")

        @field_validator("rows")
        @classmethod
        def _shape(cls, rows):
            if not rows:
                raise ValueError("rows is empty; send at least one row")
            if len(rows) > max_batch:
                raise ValueError(f"rows holds {len(rows)} rows; at most {max_batch} per request")
            return [_check_row(row, input_size, f"rows[{i}]") for i, row in enumerate(rows)]

    return PredictRequest, BatchRequest


class RequestGuard:
    """ASGI middleware: 413 for a body over ``max_body_bytes``, 415 for a non-JSON POST body.

    The size is checked on the Content-Length header first and again while the body streams in
    (a chunked request has no Content-Length), so an oversized body is never held in full.
    """

    def __init__(self, app, max_body_bytes=MAX_BODY_BYTES):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return await self._refuse(413, self._too_big(int(declared)), scope, receive, send)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            shown = repr(media_type) if media_type else "none"
            return await self._refuse(415, f"Content-Type must be application/json, got {shown}",
                                      scope, receive, send)
        body, messages = 0, []
        while True:  # read the whole body (bounded by the limit), then replay it to the app
            message = await receive()
            messages.append(message)
            body += len(message.get("body", b""))
            if body > self.max_body_bytes:
                return await self._refuse(413, self._too_big(f"more than {body}"), scope, receive, send)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        return await self.app(scope, replay, send)

    def _too_big(self, size):
        return f"request body of {size} bytes is over the limit of {self.max_body_bytes} bytes"

    @staticmethod
    async def _refuse(status, message, scope, receive, send):
        await JSONResponse({"detail": message}, status_code=status)(scope, receive, send)


def _describe(error):
    """One validation error as 'where: what, got <input>' (FastAPI's leading 'body' dropped)."""
    where = ""
    for part in error["loc"][1:]:
        where += f"[{part}]" if isinstance(part, int) else f".{part}" if where else str(part)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing" and not where:
        return "request body is missing: send a JSON object"
    if error["type"].endswith("_type"):  # a value of the wrong kind: show what came
        message += f", got {error['input']!r}"[:80]
    return message if where and message.startswith(where) else f"{where or 'request body'}: {message}"


async def _validation_error(request: Request, exc: RequestValidationError):
    errors = exc.errors()
    malformed = [e for e in errors if e["type"] == "json_invalid"]
    if malformed:  # the body is not JSON at all
        reason = malformed[0].get("ctx", {}).get("error", "not valid JSON")
        return JSONResponse({"detail": f"malformed JSON: {reason} (at character {malformed[0]['loc'][-1]})"},
                            status_code=400)
    detail = "; ".join(_describe(e) for e in errors[:3])
    if len(errors) > 3:
        detail += f" (and {len(errors) - 3} more errors)"
    return JSONResponse({"detail": detail}, status_code=422)


def _prediction(probabilities, class_names):
    label = int(np.argmax(probabilities))
    return Prediction(label=label, class_name=class_names[label], probabilities=probabilities.tolist())


def create_app(checkpoint_path, max_batch=MAX_BATCH, max_body_bytes=MAX_BODY_BYTES):
    """A FastAPI app serving the model in ``checkpoint_path`` (written by ``models.save_model``).

    The model is loaded here, once (``torch.load(weights_only=True)``), and shared by every request;
    a missing or foreign file fails now, not at the first request. ``max_batch`` bounds the rows of
    one batch request, ``max_body_bytes`` the size of any request body.
    """
    from companion.deploy.models import load_model  # torch loads here, not when uvicorn imports the module

    model = load_model(checkpoint_path)
    PredictRequest, BatchRequest = request_models(model.input_size, max_batch)
    app = FastAPI(title=f"{model.metadata.get('description', 'classifier')}", version=model.version)
    app.state.model = model
    app.add_middleware(RequestGuard, max_body_bytes=max_body_bytes)
    app.add_exception_handler(RequestValidationError, _validation_error)

    @app.get("/health", response_model=Health)
    def health():
        return Health(status="ok", model_version=model.version, input_size=model.input_size,
                      class_names=model.class_names, max_batch=max_batch)

    @app.post("/predict", response_model=PredictResponse)
    def predict(request: PredictRequest):  # a plain def: FastAPI runs it in its thread pool
        probabilities = model.predict_proba([request.features])[0]
        return PredictResponse(**_prediction(probabilities, model.class_names).model_dump(),
                               model_version=model.version)

    @app.post("/predict/batch", response_model=BatchResponse)
    def predict_batch(request: BatchRequest):
        probabilities = model.predict_proba(request.rows)
        return BatchResponse(predictions=[_prediction(p, model.class_names) for p in probabilities],
                             model_version=model.version)

    return app


def in_process_client(app):
    """FastAPI's TestClient for ``app``: requests answered in-process, no server or socket (for tests and
    a notebook cell). Starlette's warning on import (it would like ``httpx2``) is silenced."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app)


def bad_requests(input_size=64, max_batch=MAX_BATCH, max_body_bytes=MAX_BODY_BYTES):
    """One bad request of each kind the service must refuse: {name: (path, keywords for client.post)}.

    For a table in the book (send each, show status and detail) and for the tests, which hold each to
    its status and message. ``input_size``, ``max_batch`` and ``max_body_bytes`` are the app's.
    """
    row, as_json = [0.5] * input_size, {"content-type": "application/json"}
    tail = ", 0.5" * (input_size - 1)
    n_over = max_body_bytes // (15 * input_size) + 1  # each value is written with at least 15 characters
    oversized = {"rows": [[0.1234567891234] * input_size] * n_over}
    return {
        "too few values": ("/predict", {"json": {"features": row[:-1]}}),
        "too many values": ("/predict", {"json": {"features": row + [0.5]}}),
        "a NaN": ("/predict", {"content": '{"features": [NaN' + tail + "]}", "headers": as_json}),
        "an infinity": ("/predict", {"content": '{"features": [1e999' + tail + "]}", "headers": as_json}),
        "a string": ("/predict", {"json": {"features": ["0.5"] + row[1:]}}),
        "a boolean": ("/predict", {"json": {"features": [True] + row[1:]}}),
        "a nested list": ("/predict", {"json": {"features": [row]}}),
        "not a list": ("/predict", {"json": {"features": "pixels"}}),
        "no features": ("/predict", {"json": {}}),
        "an unknown field": ("/predict", {"json": {"features": row, "pixels": row}}),
        "not an object": ("/predict", {"json": [row]}),
        "an empty body": ("/predict", {"headers": as_json}),
        "malformed JSON": ("/predict", {"content": '{"features": [0.5,', "headers": as_json}),
        "wrong content type": ("/predict", {"content": '{"features": []}', "headers": {"content-type": "text/plain"}}),
        "form data": ("/predict", {"data": {"features": "0.5"}}),
        "no content type": ("/predict", {"content": b'{"features": []}'}),
        "an oversized body": ("/predict/batch", {"json": oversized}),
        "an empty batch": ("/predict/batch", {"json": {"rows": []}}),
        "too many rows": ("/predict/batch", {"json": {"rows": [row] * (max_batch + 1)}}),
        "a short row": ("/predict/batch", {"json": {"rows": [row, row[:10]]}}),
        "a NaN in a row": ("/predict/batch", {"content": '{"rows": [[NaN' + tail + "]]}", "headers": as_json}),
        "strings in a row": ("/predict/batch", {"json": {"rows": [["x"] * input_size]}}),
    }


def app_from_env():
    """``create_app`` configured by the environment, for ``uvicorn --factory``: COMPANION_CHECKPOINT
    (required), COMPANION_MAX_BATCH and COMPANION_MAX_BODY_BYTES (optional)."""
    path = os.environ.get("COMPANION_CHECKPOINT")
    if not path:
        raise RuntimeError("set COMPANION_CHECKPOINT to the model file the service should load")
    if not os.path.isfile(path):  # say so before the seconds it takes to import torch
        raise FileNotFoundError(f"COMPANION_CHECKPOINT is {path!r}, and there is no such file")
    return create_app(path, int(os.environ.get("COMPANION_MAX_BATCH", MAX_BATCH)),
                      int(os.environ.get("COMPANION_MAX_BODY_BYTES", MAX_BODY_BYTES)))
