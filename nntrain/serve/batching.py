"""Server-side batching: requests that queue while the model runs become its next call (the
model's cost per call dwarfs its cost per example at small batches)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

Predict = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]

MAX_BATCH = 512  # examples per model call


@dataclass
class _Pending:
    inputs: dict[str, np.ndarray]
    count: int
    future: asyncio.Future[dict[str, np.ndarray]]


class Batcher:
    """`await batcher(inputs)`: the outputs for these inputs, computed in one call with those
    of other requests queued at the same moment; one model call at a time, off the event loop."""

    def __init__(self, predict: Predict, max_batch: int = MAX_BATCH) -> None:
        self.predict, self.max_batch = predict, max_batch
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
        """The first waiting request and every one queued behind it: no waiting for more, so
        one client alone pays nothing, while under load the requests that arrived during
        the last model call make the next batch."""
        assert self.queue is not None
        batch = [await self.queue.get()]
        size = batch[0].count
        while size < self.max_batch and not self.queue.empty():
            batch.append(self.queue.get_nowait())
            size += batch[-1].count
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
