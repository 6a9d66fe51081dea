"""`nntrain serve` under load: requests/s and p50 / p99 latency for 1 and 32 concurrent
clients, with server-side batching on and off, on loopback only.

    python benchmarks/serving.py                     # iris MLP and the digits CNN
    python benchmarks/serving.py --requests 500      # a quicker look

Each model is trained once (a few epochs: speed, not accuracy, is measured), then served by a
real `nntrain serve` process per setting; the clients are asyncio connections in this process,
each sending one-example requests back to back on its own keep-alive connection, bounded by
--requests and --seconds per row.
Client and server share this machine's cores, so absolute numbers are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
MODELS = {  # config, epochs, one request body
    "iris MLP": ("configs/iris.yaml", 5,
                 {"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
                                 "petal_width": 0.2}]}),
    "digits CNN": ("configs/tiny/small_cnn.yaml", 2,
                   {"instances": [[float(i % 17) for i in range(64)]]}),
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _train(config: str, epochs: int, run: Path) -> Path:
    subprocess.run([sys.executable, "-m", "nntrain", "fit", config, "--run-dir", str(run),
                    "--set", f"train.epochs={epochs}", "--set", "callbacks.tensorboard=false"],
                   cwd=REPO, check=True, capture_output=True)
    return run


def _serve(run: Path, batching: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "nntrain", "serve", str(run), "--port",
                               str(port), "--batching" if batching else "--no-batching"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    name = json.loads((run / "status.json").read_text())["name"]
    url = f"http://127.0.0.1:{port}/v1/models/{name}"
    for _ in range(600):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}")


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str,
                body: bytes) -> bytes:
    """One keep-alive HTTP/1.1 POST on an open connection: a client light enough that the
    server, not the client, is what is measured (httpx costs ~1 ms of CPU per request)."""
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                 f"\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    answer = await reader.readexactly(length)
    assert head.startswith(b"HTTP/1.1 200"), head + answer
    return answer


async def _load(url: str, body: bytes, clients: int, requests: int, seconds: float
                ) -> dict[str, float]:
    latencies: list[float] = []
    sent = 0
    port = int(url.split(":")[2].split("/")[0])
    path = url.split(str(port), 1)[1] + ":predict"
    deadline = time.monotonic() + seconds

    async def one_client() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while sent < requests and time.monotonic() < deadline:
            sent += 1
            start = time.perf_counter()
            await _post(reader, writer, path, body)
            latencies.append(time.perf_counter() - start)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    wall = time.perf_counter() - start
    ordered = sorted(latencies)
    return {"requests": len(ordered), "rps": len(ordered) / wall,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per row, at most")
    parser.add_argument("--seconds", type=float, default=20, help="per row, at most")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for model, (config, epochs, request) in MODELS.items():
            run = _train(config, epochs, Path(scratch) / model.replace(" ", "_"))
            body = json.dumps(request).encode()
            for batching in (True, False):
                server, url = _serve(run, batching)
                try:
                    asyncio.run(_load(url, body, 4, 100, 10))  # warm-up: traces, connections
                    for clients in (1, 32):
                        result = asyncio.run(_load(url, body, clients, args.requests,
                                                   args.seconds))
                        rows.append((model, "on" if batching else "off", clients, result))
                        print(rows[-1], flush=True)
                finally:
                    server.send_signal(signal.SIGINT)
                    server.wait(timeout=30)
    print("\n| model | batching | clients | requests | requests/s | p50 | p99 |")
    print("|---|---|---|---|---|---|---|")
    for model, batching, clients, r in rows:
        print(f"| {model} | {batching} | {clients} | {r['requests']} | {r['rps']:.0f} | "
              f"{r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms |")


if __name__ == "__main__":
    main()
