"""Server-side batching: requests that arrive within a few milliseconds of each other become
one model call (the model's cost per call dwarfs its cost per example at small batches)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

Predict = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]

MAX_BATCH = 512  # examples per model call
MAX_WAIT_S = 0.002  # how long the first request of a batch waits for others


@dataclass
class _Pending:
    inputs: dict[str, np.ndarray]
    count: int
    future: asyncio.Future[dict[str, np.ndarray]]


class Batcher:
    """`await batcher(inputs)`: the outputs for these inputs, computed in one call with those
    of other requests queued at the same moment; one model call at a time, off the event loop."""

    def __init__(self, predict: Predict, max_batch: int = MAX_BATCH,
                 max_wait_s: float = MAX_WAIT_S) -> None:
        self.predict, self.max_batch, self.max_wait_s = predict, max_batch, max_wait_s
        self.queue: asyncio.Queue[_Pending] | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="model")
        self.worker: asyncio.Task[None] | None = None

    async def __call__(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.queue is None:  # created in the server's event loop, on the first request
            self.queue = asyncio.Queue()
            self.worker = asyncio.create_task(self._work())
        future: asyncio.Future[dict[str, np.ndarray]] = asyncio.get_running_loop().create_future()
        await self.queue.put(_Pending(inputs, len(next(iter(inputs.values()))), future))
        return await future

    async def _gather(self) -> list[_Pending]:
        assert self.queue is not None
        batch = [await self.queue.get()]
        size = batch[0].count
        deadline = asyncio.get_running_loop().time() + self.max_wait_s
        while size < self.max_batch:
            timeout = deadline - asyncio.get_running_loop().time()
            try:
                item = self.queue.get_nowait() if timeout <= 0 else \
                    await asyncio.wait_for(self.queue.get(), timeout)
            except (asyncio.QueueEmpty, asyncio.TimeoutError):
                break
            batch.append(item)
            size += item.count
        return batch

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather()
            merged = {k: np.concatenate([p.inputs[k] for p in batch]) for k in batch[0].inputs}
            try:
                outputs = await loop.run_in_executor(self.executor, self.predict, merged)
            except Exception as exc:  # noqa: BLE001 - each waiting request gets the failure
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            start = 0
            for pending in batch:
                part = {k: v[start:start + pending.count] for k, v in outputs.items()}
                start += pending.count
                if not pending.future.done():
                    pending.future.set_result(part)


class Unbatched:
    """One model call per request (for comparison, and `--no-batching`)."""

    def __init__(self, predict: Predict) -> None:
        self.predict = predict

    async def __call__(self, inputs: dict[str, np.ndarray]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.predict, inputs)
