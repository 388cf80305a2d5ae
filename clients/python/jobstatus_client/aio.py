"""The asyncio client: the same waits as `JobStatusClient`, as coroutines (cancel them as any other)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Iterable

import httpx

from .exchange import ClientOptions, batches, deliver, merged, observe, operation
from .results import JobResult, WaitTimeout
from .waiting import Ask, Finish, JobWait, ListWait, Sleep


class AsyncJobStatusClient(ClientOptions):
    """`JobStatusClient` for asyncio:

        async with AsyncJobStatusClient("https://jobs.example.com", token) as client:
            result = await client.wait(job_id, timeout=600)
            async for result in client.completions(ids):
                ...

    More ids than `batch_size` are followed by one held request per batch, as concurrent tasks.
    """


    async def __aenter__(self) -> "AsyncJobStatusClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.api.get_async_httpx_client().aclose()

    async def wait(self, job_id: str, timeout: float | None = None) -> JobResult:
        """As `JobStatusClient.wait`."""
        machine = JobWait(job_id, timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
        action = machine.start()
        while True:
            if isinstance(action, Ask):
                action = await self._send(machine, action, job_id)
            elif isinstance(action, Sleep):
                await asyncio.sleep(action.seconds)
                action = machine.slept()
            elif isinstance(action, Finish):
                return action.result
            else:
                raise action.error

    async def completions(self, ids: Iterable[str], timeout: float | None = None) -> AsyncIterator[JobResult]:
        """As `JobStatusClient.completions`. The batches' tasks are cancelled when the iterator is
        closed: to stop early, iterate inside `contextlib.aclosing(client.completions(ids))`."""
        groups = batches(ids, self.batch_size)
        if not groups:
            return
        if len(groups) == 1:
            machine = ListWait(groups[0], timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
            async for result in self._follow(machine):
                yield result
            return
        results: asyncio.Queue = asyncio.Queue()

        async def follow(batch: list[str]) -> None:
            machine = ListWait(batch, timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
            try:
                async for result in self._follow(machine):
                    await results.put(result)
                await results.put(None)
            except Exception as error:  # handed to the iterating task
                await results.put(error)

        tasks = [asyncio.create_task(follow(batch)) for batch in groups]
        running = len(tasks)
        timeouts = []
        try:
            while running:
                item = await results.get()
                if item is None:
                    running -= 1
                elif isinstance(item, WaitTimeout):
                    timeouts.append(item)
                    running -= 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
            if timeouts:
                raise merged(timeouts)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_all(self, ids: Iterable[str], timeout: float | None = None) -> dict[str, JobResult]:
        """As `JobStatusClient.wait_all`."""
        listed = list(dict.fromkeys(ids))
        finished = {result.id: result async for result in self.completions(listed, timeout)}
        return {job_id: finished[job_id] for job_id in listed}

    async def _follow(self, machine: ListWait) -> AsyncIterator[JobResult]:
        action = machine.start()
        while True:
            if isinstance(action, Ask):
                action = await self._send(machine, action, None)
                for result in machine.take_finished():
                    yield result
            elif isinstance(action, Sleep):
                await asyncio.sleep(action.seconds)
                action = machine.slept()
            elif isinstance(action, Finish):
                return
            else:
                raise action.error

    async def _send(self, machine: JobWait | ListWait, ask: Ask, job_id: str | None):
        module, request = operation(ask, job_id)
        self._counted()
        started = time.monotonic()
        try:
            response = await self.api.get_async_httpx_client().request(**request)
        except httpx.TransportError as error:
            observe(self.observer, self.api, request, None, started, error)
            return machine.unreachable(error)
        observe(self.observer, self.api, request, response, started)
        return deliver(machine, module, self.api, response)
