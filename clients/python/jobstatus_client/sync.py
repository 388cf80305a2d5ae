"""The synchronous client: `wait`, `wait_all` and `completions` over one keep-alive connection pool."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any, Iterable, Iterator

import httpx

from .exchange import ClientOptions, batches, deliver, merged, observe, operation
from .results import JobResult, WaitTimeout
from .waiting import Ask, Finish, JobWait, ListWait, Sleep


class JobStatusClient(ClientOptions):
    """Follows jobs of a jobstatus service until they finish, the way it is meant to be polled.

        with JobStatusClient("https://jobs.example.com", token) as client:
            result = client.wait(job_id, timeout=600)          # a JobResult
            for result in client.completions(ids):             # as each finishes
                ...

    `max_wait` is the longest hold asked for (the service caps it at `polling.max_wait`);
    `batch_size` the most ids per list request (`polling.max_batch`); `max_retries` how many
    failures to reach the service in a row are retried. `observer` is called with each `Exchange`;
    `httpx_args` go to httpx (event hooks, a transport, TLS settings). `requests_sent` counts.
    """

    def __enter__(self) -> "JobStatusClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self.api.get_httpx_client().close()

    def wait(self, job_id: str, timeout: float | None = None) -> JobResult:
        """The job once it has finished (processed, failed, failed_with_error, or not_found).

        Raises `WaitTimeout` when `timeout` seconds pass first, `JobStatusError` when the service
        refuses (401, 403, …), `JobStatusUnavailable` when it cannot be reached for long."""
        machine = JobWait(job_id, timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
        return self._run(machine, job_id)

    def completions(self, ids: Iterable[str], timeout: float | None = None) -> Iterator[JobResult]:
        """Each listed job as it finishes, in the order they finish (an id listed twice, once).

        More ids than `batch_size` are followed by one held request per batch, each on a thread of
        its own; when the caller stops early (or one batch fails), a held request already sent
        finishes on its thread, within `max_wait`, and nothing more is sent. Raises as `wait` does
        (a `WaitTimeout`'s `last` has every listed job's last state, by id)."""
        groups = batches(ids, self.batch_size)
        if not groups:
            return
        if len(groups) == 1:
            machine = ListWait(groups[0], timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
            yield from self._follow(machine, stop=None)
            return
        yield from self._follow_in_threads(groups, timeout)

    def wait_all(self, ids: Iterable[str], timeout: float | None = None) -> dict[str, JobResult]:
        """Every listed job once all have finished, by id, in the order listed."""
        listed = list(dict.fromkeys(ids))
        finished = {result.id: result for result in self.completions(listed, timeout)}
        return {job_id: finished[job_id] for job_id in listed}

    # Carrying out the machines' actions

    def _run(self, machine: JobWait, job_id: str) -> JobResult:
        action = machine.start()
        while True:
            if isinstance(action, Ask):
                action = self._send(machine, action, job_id)
            elif isinstance(action, Sleep):
                time.sleep(action.seconds)
                action = machine.slept()
            elif isinstance(action, Finish):
                return action.result
            else:
                raise action.error

    def _follow(self, machine: ListWait, stop: threading.Event | None) -> Iterator[JobResult]:
        """Drives a list machine, handing out what finishes after each answer."""
        action = machine.start()
        while True:
            if stop is not None and stop.is_set():
                return
            if isinstance(action, Ask):
                action = self._send(machine, action, None)
                yield from machine.take_finished()
            elif isinstance(action, Sleep):
                time.sleep(action.seconds)
                action = machine.slept()
            elif isinstance(action, Finish):
                return
            else:
                raise action.error

    def _follow_in_threads(self, groups: list[list[str]], timeout: float | None) -> Iterator[JobResult]:
        results: queue.Queue = queue.Queue()
        stop = threading.Event()

        def follow(batch: list[str]) -> None:
            machine = ListWait(batch, timeout=timeout, max_wait=self.max_wait, max_retries=self.max_retries)
            try:
                for result in self._follow(machine, stop):
                    results.put(result)
                results.put(None)
            except Exception as error:  # handed to the caller's thread
                results.put(error)

        threads = [threading.Thread(target=follow, args=(batch,), daemon=True) for batch in groups]
        for thread in threads:
            thread.start()
        running = len(threads)
        timeouts = []
        try:
            while running:
                item = results.get()
                if item is None:
                    running -= 1
                elif isinstance(item, WaitTimeout):
                    # The batches share the deadline: the others end by it too; one timeout, with all.
                    timeouts.append(item)
                    running -= 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
            if timeouts:
                raise merged(timeouts)
        finally:
            stop.set()

    def _send(self, machine: JobWait | ListWait, ask: Ask, job_id: str | None):
        module, request = operation(ask, job_id)
        self._counted()
        started = time.monotonic()
        try:
            response = self.api.get_httpx_client().request(**request)
        except httpx.TransportError as error:
            observe(self.observer, self.api, request, None, started, error)
            return machine.unreachable(error)
        observe(self.observer, self.api, request, response, started)
        return deliver(machine, module, self.api, response)
