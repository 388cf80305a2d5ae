"""Both clients (synchronous and asyncio) against a live front: every job state, a completion while a
wait is held, a list finishing in any order, a front restart during a wait, a 429 honoured."""

from __future__ import annotations

import asyncio
import concurrent.futures
import random
import shutil
import subprocess
import sys
import time

import httpx
import pytest

from conftest import OTHER_TOKEN, ROOT, TOKEN, until
from jobstatus_client import (
    AsyncJobStatusClient,
    JobStatusClient,
    JobStatusError,
    JobStatusUnavailable,
    WaitTimeout,
)
from jobstatus_client.generated.models import (
    FailedJob,
    FailedWithErrorJob,
    JobError,
    ProcessedJobWithData,
    ProcessedJobWithLinks,
    ValidationError,
)


class Runner:
    """One client kind behind one interface; what it sends is in `exchanges`."""

    def __init__(self, kind: str, url: str, token: str = TOKEN, **options):
        self.kind, self.url, self.token, self.options = kind, url, token, options
        self.exchanges = []
        self.requests_sent = 0

    def _client(self):
        kind = JobStatusClient if self.kind == "sync" else AsyncJobStatusClient
        return kind(self.url, self.token, observer=self.exchanges.append, **self.options)

    def wait(self, job_id, timeout=30):
        if self.kind == "sync":
            with self._client() as client:
                try:
                    return client.wait(job_id, timeout)
                finally:
                    self.requests_sent = client.requests_sent

        async def run():
            async with self._client() as client:
                try:
                    return await client.wait(job_id, timeout)
                finally:
                    self.requests_sent = client.requests_sent
        return asyncio.run(run())

    def completions(self, ids, timeout=30):
        """Every result with the number of requests answered when it came out."""
        if self.kind == "sync":
            with self._client() as client:
                return [(result, len(self.exchanges)) for result in client.completions(ids, timeout)]

        async def run():
            async with self._client() as client:
                return [(result, len(self.exchanges)) async for result in client.completions(ids, timeout)]
        return asyncio.run(run())

    def wait_all(self, ids, timeout=30):
        if self.kind == "sync":
            with self._client() as client:
                return client.wait_all(ids, timeout)

        async def run():
            async with self._client() as client:
                return await client.wait_all(ids, timeout)
        return asyncio.run(run())

    def in_background(self, method, *arguments):
        return concurrent.futures.ThreadPoolExecutor(1).submit(getattr(self, method), *arguments)


KINDS = ["sync", "asyncio"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_state(kind, shared_front, jobs):
    runner = Runner(kind, shared_front.url)
    links = jobs.pending()
    jobs.writer.processed_with_links(links, [{"entity": "encounter", "href": "/api/encounters/1"}])
    result = runner.wait(links)
    assert isinstance(result.state, ProcessedJobWithLinks) and result.status == "processed"
    assert [(link.entity, link.href) for link in result.links] == [("encounter", "/api/encounters/1")]
    assert [exchange.status for exchange in runner.exchanges] == [303], "the 303 is the answer, never followed"

    data = jobs.pending()
    jobs.writer.processed_with_data(data, {"declaration_id": "a1"})
    result = runner.wait(data)
    assert isinstance(result.state, ProcessedJobWithData) and result.response_data == {"declaration_id": "a1"}
    assert result.status_code == 200 and result.etag.startswith('W/"')

    failed = jobs.pending()
    jobs.writer.failed(failed, 403, "Patient not found")
    result = runner.wait(failed)
    assert isinstance(result.state, FailedJob)
    assert (result.status, result.status_code, result.error) == ("failed", 403, "Patient not found")

    conflict = jobs.pending()
    jobs.writer.failed(conflict, 409, {"type": "request_conflict", "message": "taken"})
    result = runner.wait(conflict)
    assert isinstance(result.error, JobError) and (result.error.type_, result.error.message) == ("request_conflict", "taken")

    invalid = jobs.pending()
    jobs.writer.failed(invalid, 422, {"type": "validation_failed", "message": "Validation failed.", "invalid": [
        {"entry_type": "json_data_property", "entry": "$.cvv", "rules": [{"rule": "required", "params": [], "description": "must be present"}]}]})
    result = runner.wait(invalid)
    assert isinstance(result.error, ValidationError) and result.error.invalid[0].entry == "$.cvv"
    assert result.error.invalid[0].rules[0].rule == "required"

    crashed = jobs.pending()
    jobs.writer.failed_with_error(crashed, "database unreachable")
    result = runner.wait(crashed)
    assert isinstance(result.state, FailedWithErrorJob)
    assert (result.status, result.status_code, result.error.message) == ("failed_with_error", 500, "database unreachable")

    assert runner.wait("Unknown00000000000000").status == "not_found"
    assert Runner(kind, shared_front.url, OTHER_TOKEN).wait(data).status == "not_found", "another client's job"

    pending = jobs.pending()
    started = time.monotonic()
    with pytest.raises(WaitTimeout) as timeout:
        runner.wait(pending, timeout=1.5)
    assert timeout.value.last.status == "pending" and timeout.value.last.eta
    assert 1.4 < time.monotonic() - started < 4, "held to the caller's deadline, not the server's"

    with pytest.raises(JobStatusError) as refused:
        Runner(kind, shared_front.url, "no-such-token").wait(data)
    assert (refused.value.status, refused.value.type) == (401, "access_denied")
    assert refused.value.envelope.meta.code == 401


@pytest.mark.parametrize("kind", KINDS)
def test_a_completion_wakes_the_held_wait(kind, shared_front, jobs):
    runner = Runner(kind, shared_front.url)
    job_id = jobs.pending()
    jobs.writer.progress(job_id)
    waiting = runner.in_background("wait", job_id, 30)
    until(lambda: jobs.watched(job_id), 10, "the wait's request, held")
    time.sleep(0.3)
    written = time.monotonic()
    jobs.writer.processed_with_data(job_id, {"ok": True})
    result = waiting.result(timeout=10)
    woke = time.monotonic() - written
    print(f"{kind}: the completion answered the held wait {woke * 1000:.0f} ms after the write, {runner.requests_sent} request")
    assert result.response_data == {"ok": True}
    assert woke < 2.0
    assert runner.requests_sent == 1, "one held request, woken by the write"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_size", [100, 5])
def test_a_list_finishing_in_any_order(kind, batch_size, shared_front, jobs):
    ids = [jobs.pending() for _ in range(12)]
    listed = ids + ["Unknown00000000000000"]
    runner = Runner(kind, shared_front.url, batch_size=batch_size)
    following = runner.in_background("completions", listed, 60)
    until(lambda: len(runner.exchanges) >= (len(listed) + batch_size - 1) // batch_size or None, 20, "the first answers")
    order = ids[:]
    random.shuffle(order)
    for index, job_id in enumerate(order):
        if index % 3 == 2:
            jobs.writer.failed(job_id, 404, "gone")
        else:
            jobs.writer.processed_with_data(job_id, {"n": index})
        time.sleep(0.05)
    written = time.monotonic()
    results = following.result(timeout=60)
    assert time.monotonic() - written < 5, "every batch's held request is woken by its writes"
    came = {result.id: answered for result, answered in results}
    assert sorted(came) == sorted(listed), "every id once"
    statuses = {result.id: result.status for result, _ in results}
    assert statuses["Unknown00000000000000"] == "not_found"
    assert all(statuses[job_id] == ("failed" if index % 3 == 2 else "processed") for index, job_id in enumerate(order))
    if batch_size >= len(listed):
        # One held list: a job written later never comes out of an earlier answer.
        answered = [came[job_id] for job_id in order]
        assert answered == sorted(answered), f"completions out of order: {answered}"
    print(f"{kind}, batches of {batch_size}: {len(listed)} jobs in {len(runner.exchanges)} requests")
    assert len(runner.exchanges) <= len(listed) + 3 * ((len(listed) + batch_size - 1) // batch_size)


@pytest.mark.parametrize("kind", KINDS)
def test_wait_all_returns_every_job_in_the_order_listed(kind, shared_front, jobs):
    ids = [jobs.pending() for _ in range(3)]
    for job_id in reversed(ids):
        jobs.writer.processed_with_data(job_id, {"id": job_id})
    results = Runner(kind, shared_front.url).wait_all(ids + ids[:1])
    assert list(results) == ids
    assert all(results[job_id].response_data == {"id": job_id} for job_id in ids)


@pytest.mark.parametrize("kind", KINDS)
def test_a_front_restart_during_a_wait(kind, start_front, jobs):
    front = start_front()
    runner = Runner(kind, front.url)
    job_id = jobs.pending()
    waiting = runner.in_background("wait", job_id, 60)
    until(lambda: jobs.watched(job_id), 10, "the held request")
    time.sleep(0.3)
    front.stop()
    time.sleep(1.0)
    front.start()
    jobs.writer.processed_with_data(job_id, {"after": "restart"})
    result = waiting.result(timeout=30)
    assert result.response_data == {"after": "restart"}
    failures = [exchange for exchange in runner.exchanges if exchange.error is not None]
    print(f"{kind}: a restart cost {len(failures)} failed attempts; {len(runner.exchanges)} requests in all")
    assert failures, "the held request was cut by the restart and retried"


@pytest.mark.parametrize("kind", KINDS)
def test_a_front_that_stays_down_ends_the_wait_after_max_retries(kind, start_front, jobs):
    front = start_front()
    url = front.url
    front.stop()
    started = time.monotonic()
    with pytest.raises(JobStatusUnavailable):
        Runner(kind, url, max_retries=3).wait(jobs.pending(), timeout=60)
    seconds = time.monotonic() - started
    print(f"{kind}: gave up after 4 attempts in {seconds:.2f} s")
    assert seconds < 5


@pytest.mark.parametrize("kind", KINDS)
def test_429_retry_after_is_honoured(kind, start_front, jobs):
    front = start_front(LIMITS_RATE="1", LIMITS_BURST="1")
    job_id = jobs.pending()
    jobs.writer.processed_with_data(job_id, {"ok": 1})
    with httpx.Client(base_url=front.url, headers={"Authorization": f"Bearer {TOKEN}"}) as burst:
        statuses = [burst.get(f"/api/jobs/{job_id}").status_code for _ in range(3)]
    assert 429 in statuses, statuses
    runner = Runner(kind, front.url)
    result = runner.wait(job_id, timeout=30)
    assert result.response_data == {"ok": 1}
    throttled = [index for index, exchange in enumerate(runner.exchanges) if exchange.status == 429]
    assert throttled, [exchange.status for exchange in runner.exchanges]
    for index in throttled:
        told = int(runner.exchanges[index].response_headers["retry-after"])
        following = runner.exchanges[index + 1]
        gap = (following.ended - following.seconds) - runner.exchanges[index].ended
        print(f"{kind}: 429 said Retry-After {told}; the next request came {gap:.2f} s later")
        assert gap >= told - 0.05


def test_the_package_installs_with_pip(tmp_path):
    # From a copy: a build leaves build/ and *.egg-info beside the sources.
    source = shutil.copytree(ROOT / "clients" / "python", tmp_path / "source", ignore=shutil.ignore_patterns("__pycache__", "tests"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--root-user-action", "ignore",
                    "--target", str(target), str(source)], check=True)
    probe = subprocess.run([sys.executable, "-c", "import jobstatus_client, sys; print(jobstatus_client.__file__)"],
                           cwd=tmp_path, env={"PYTHONPATH": str(target)}, capture_output=True, text=True, check=True)
    assert probe.stdout.strip().startswith(str(target))
    assert (target / "jobstatus_client" / "generated" / "models" / "job_envelope.py").exists()
