"""The HTTP server's routes, TensorFlow Serving's REST API: clients written for TF Serving
work unchanged. The server never dies on a request: a bad one gets 400 and a JSON error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from nntrain.errors import first_line
from nntrain.serve.protocol import RequestError, Signature, parse_body, response, to_batches

Predict = Callable[[dict[str, np.ndarray]], Awaitable[dict[str, np.ndarray]]]
Classes = Callable[[dict[str, np.ndarray]], dict[str, list[Any]]]

DTYPES = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int32": "DT_INT32",
          "int64": "DT_INT64", "string": "DT_STRING", "uint8": "DT_UINT8", "bool": "DT_BOOL"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _tensor(name: str, dtype: str, shape: tuple[Any, ...]) -> dict[str, Any]:
    dims = [{"size": str(-1 if d is None else d), "name": ""} for d in (None, *shape)]
    return {"dtype": DTYPES.get(dtype, dtype), "tensor_shape": {"dim": dims, "unknown_rank": False},
            "name": name}


def metadata(signature: Signature, output_shapes: dict[str, tuple[Any, ...]]) -> dict[str, Any]:
    """GET .../metadata as TF Serving writes it, plus nntrain's own: columns and class names."""
    inputs = {s.name: _tensor(s.name, s.dtype, s.shape) for s in signature.inputs}
    outputs = {n: _tensor(n, "float32", output_shapes[n]) for n in signature.outputs}
    return {"model_spec": {"name": signature.name, "signature_name": "",
                           "version": signature.version},
            "metadata": {"signature_def": {"signature_def": {"serving_default": {
                "inputs": inputs, "outputs": outputs,
                "method_name": "tensorflow/serving/predict"}}}},
            "nntrain": {"columns": {s.name: s.columns for s in signature.inputs if s.columns},
                        "class_names": signature.class_names}}


async def _answer(body: bytes, signature: Signature, predict: Predict, classes: Classes) -> Any:
    try:
        data = parse_body(body)
        batches = to_batches(data, signature)
    except RequestError as exc:
        return _error(400, str(exc))
    try:
        outputs = await predict(batches)
    except Exception as exc:  # noqa: BLE001 - a failing model call must not stop the server
        return _error(500, f"the model failed on this request: {first_line(exc)[:300]}")
    return response(outputs, classes(outputs), signature, "inputs" in data)


def create_app(signature: Signature, predict: Predict, classes: Classes,
               output_shapes: dict[str, tuple[Any, ...]]) -> FastAPI:
    app = FastAPI(title=f"nntrain serve: {signature.name}", docs_url=None, redoc_url=None)
    status = {"model_version_status": [{"version": signature.version, "state": "AVAILABLE",
                                        "status": {"error_code": "OK", "error_message": ""}}]}
    described = metadata(signature, output_shapes)

    def unknown(name: str, version: str | None) -> JSONResponse | None:
        if name != signature.name:
            return _error(404, f"Servable not found for request: model '{name}' (this server "
                               f"serves '{signature.name}')")
        if version is not None and version != signature.version:
            return _error(404, f"model '{name}' has no version {version} (it serves version "
                               f"{signature.version})")
        return None

    @app.get("/v1/models/{name}")
    @app.get("/v1/models/{name}/versions/{version}")
    async def model_status(name: str, version: str | None = None) -> Any:
        return unknown(name, version) or status

    @app.get("/v1/models/{name}/metadata")
    @app.get("/v1/models/{name}/versions/{version}/metadata")
    async def model_metadata(name: str, version: str | None = None) -> Any:
        return unknown(name, version) or described

    @app.post("/v1/models/{name}:predict")
    @app.post("/v1/models/{name}/versions/{version}:predict")
    async def model_predict(name: str, request: Request, version: str | None = None) -> Any:
        return unknown(name, version) or await _answer(await request.body(), signature,
                                                       predict, classes)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        return _error(404, f"no such endpoint: {request.method} {request.url.path} (try GET "
                           f"/v1/models/{signature.name} or POST "
                           f"/v1/models/{signature.name}:predict)")

    @app.exception_handler(405)
    async def wrong_method(request: Request, exc: Exception) -> JSONResponse:
        return _error(405, f"{request.method} is not allowed on {request.url.path}")

    return app
