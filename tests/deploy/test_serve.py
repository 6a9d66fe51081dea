"""`nntrain serve` as a real process on a free port of 127.0.0.1, spoken to over real HTTP
as a TensorFlow Serving client would."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from nntrain.cli.app import app
from tests.conftest import REPO
from tests.reliability.helpers import as_in_a_terminal

IRIS = REPO / "datasets" / "iris.csv"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("iris") / "run"
    result = CliRunner().invoke(app, ["fit", str(REPO / "configs/iris.yaml"), "--run-dir",
                                      str(run), "--set", "train.epochs=15",
                                      "--set", "callbacks.tensorboard=false"])
    assert result.exit_code == 0, result.output
    return run


class Server:
    def __init__(self, run: Path, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1/models/iris"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nntrain", "serve", str(run), "--port", str(self.port), *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=as_in_a_terminal)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        self.stop()
        raise AssertionError(f"the server did not start: {self.process.communicate()}")

    def predict(self, body: object) -> httpx.Response:
        return httpx.post(f"{self.url}:predict", json=body, timeout=30)

    def stop(self) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=30)
        return self.process.returncode, out, err


@pytest.fixture(scope="module")
def server(iris_run: Path) -> Iterator[Server]:
    running = Server(iris_run)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def predicted(iris_run: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """What `nntrain predict` answers for every flower of datasets/iris.csv."""
    output = tmp_path_factory.mktemp("predict") / "iris.csv"
    result = CliRunner().invoke(app, ["predict", str(iris_run), "--input", str(IRIS),
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(output)


def test_status_and_metadata_speak_tf_servings_format(server: Server) -> None:
    status = httpx.get(server.url).json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"
    meta = httpx.get(f"{server.url}/metadata").json()
    signature = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["inputs"]["input"]["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in signature["inputs"]["input"]["tensor_shape"]["dim"]] == ["-1", "4"]
    assert list(signature["outputs"]) == ["species"]
    assert meta["nntrain"]["class_names"]["species"] == ["setosa", "versicolor", "virginica"]


def test_rows_named_rows_and_columns_all_predict_what_nntrain_predict_does(
        server: Server, predicted: pd.DataFrame) -> None:
    table = pd.read_csv(IRIS).drop(columns="species")
    probabilities = predicted[["prob_setosa", "prob_versicolor", "prob_virginica"]].to_numpy()
    rows = server.predict({"instances": table.to_numpy().tolist()})
    named = server.predict({"instances": table.to_dict(orient="records")})
    columns = server.predict({"inputs": table.to_dict(orient="list")})
    for answer in (rows, named, columns):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        np.testing.assert_allclose(body["predictions"], probabilities, atol=1e-6)
        assert body["classes"] == predicted["class"].tolist()
    assert columns.json()["outputs"] == columns.json()["predictions"]  # TF Serving's key


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(
        server: Server, predicted: pd.DataFrame) -> None:
    rows = pd.read_csv(IRIS).drop(columns="species").to_numpy().tolist()
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda row: server.predict({"instances": [row]}), rows))
    assert all(a.status_code == 200 for a in answers)
    assert [a.json()["classes"][0] for a in answers] == predicted["class"].tolist()


MALFORMED: list[tuple[object, str]] = [
    ("not json at all", "not JSON"),
    ([1, 2, 3], "JSON object"),
    ({}, "exactly one of"),
    ({"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]}, "exactly one of"),
    ({"examples": [[1, 2, 3, 4]]}, "exactly one of"),
    ({"instances": []}, "non-empty"),
    ({"instances": "5.1,3.5,1.4,0.2"}, "non-empty list"),
    ({"instances": [[1, 2, 3]]}, "shape [4]"),
    ({"instances": [[1, 2, 3, 4, 5]]}, "shape [4]"),
    ({"instances": [[[1, 2], [3, 4], [5, 6]]]}, "shape [4]"),
    ({"instances": [[1, 2, 3, 4], [1, 2]]}, "different shapes"),
    ({"instances": [["a", "b", "c", "d"]]}, "takes numbers"),
    ({"instances": [[1, 2, None, 4]]}, "takes numbers"),
    ({"instances": [[1, 2, True, 4]]}, "takes numbers"),
    ({"instances": [[1, 2, {"x": 1}, 4]]}, "takes numbers"),
    ({"instances": [5.1]}, "shape [4]"),
    ({"instances": [{"sepal_length": 1}]}, "lack(s) column 'sepal_width'"),
    ({"instances": [{"petal_colour": 1}]}, "unknown key"),
    ({"instances": [{"input": [1, 2, 3, 4]}, [1, 2, 3, 4]]}, "mixes"),
    ({"instances": [{"input": [1, 2, 3]}]}, "shape [4]"),
    ({"inputs": {"sepal_length": [1, 2], "sepal_width": [1]}}, "differ in length"),
    ({"inputs": {"sepal_length": 1}}, "list of values"),
    ({"inputs": {}}, "list of values"),
    ({"inputs": [[1, 2, 3]]}, "shape [4]"),
    ({"inputs": "text"}, "takes numbers"),
    ('{"instances": [[1e999, 2, 3, 4]]}', "too large"),
    ('{"instances": [[NaN, 1, 2, 3]]}', "NaN"),
    ('{"instances": [[Infinity, 1, 2, 3]]}', "Infinity"),
    ("[" * 100_000 + "]" * 100_000, "nests"),
    ({"instances": [[1, 2, 3, 4]] * 10_001}, "limit is 10000"),
]


def test_thirty_malformed_requests_each_get_400_saying_what_was_wrong(server: Server) -> None:
    assert len(MALFORMED) == 30
    for body, says in MALFORMED:
        content = body if isinstance(body, str) else json.dumps(body)
        answer = httpx.post(f"{server.url}:predict", content=content, timeout=30)
        assert answer.status_code == 400, (body if len(content) < 200 else content[:80])
        assert says in answer.json()["error"], (answer.json(), says)
    assert server.predict({"instances": [[5.1, 3.5, 1.4, 0.2]]}).json()["classes"] == ["setosa"]


def test_a_wrong_model_name_or_path_is_404_with_json(server: Server) -> None:
    answer = httpx.post(server.url.replace("iris", "tulip") + ":predict",
                        json={"instances": [[1, 2, 3, 4]]})
    assert answer.status_code == 404 and "serves 'iris'" in answer.json()["error"]
    assert httpx.get(f"http://127.0.0.1:{server.port}/v2/x").status_code == 404


def test_ctrl_c_stops_the_server_cleanly(server: Server) -> None:
    code, out, err = server.stop()
    assert code in (0, 130), err
    assert "Traceback" not in out + err
    assert "serving iris at" in out


def test_a_port_in_use_is_said_before_the_model_loads(iris_run: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "nntrain", "serve", str(iris_run),
                                 "--port", str(port)], cwd=REPO, capture_output=True, text=True,
                                timeout=120)
    assert result.returncode == 1
    assert "--port" in result.stderr and f"127.0.0.1:{port}" in result.stderr


def test_without_the_serve_extra_it_says_what_to_install(iris_run: Path) -> None:
    blocked = ("import sys; sys.modules['fastapi'] = None; from nntrain.cli.app import main; "
               f"sys.argv = ['nntrain', 'serve', {str(iris_run)!r}]; main()")
    result = subprocess.run([sys.executable, "-c", blocked], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "needs fastapi" in result.stderr and 'pip install -e ".[serve]"' in result.stderr
    assert "Traceback" not in result.stderr
