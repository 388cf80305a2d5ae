"""How to wait for jobs, as values: what to send next, and what an answer means.

`JobWait` (one job) and `ListWait` (up to `polling.max_batch` jobs, one held list request at a time)
take events — an answer, a failure to reach the service, the end of a sleep — and return the next
action: `Ask` (send a request), `Sleep`, `Finish` or `Fail`. They do no I/O, so the synchronous and
the asyncio clients carry out the same decisions, and the tests drive them with a fake clock.

The rules (docs/api.md, "Polling well"; docs/clients.md):

- Ask the service to hold the request (`Prefer: wait=N`, N the whole seconds left before the
  caller's own deadline at most), and send the last `ETag` back as `If-None-Match`, so an unchanged
  job costs one held request per `N` seconds and a bodiless 304.
- When the service did not hold the request (no `Preference-Applied`, or `wait=0`: long polls are
  off, or a proxy dropped `Prefer`), and on 429 and 503, sleep `Retry-After` before asking again.
- Never follow the 303: its links are the result. A 404 is final (the job is unknown, expired or
  another client's). 400, 401, 403, 422, 431 and 500 are errors no retry mends.
- A service that cannot be reached (a front restarting) is asked again after a pause that grows
  (0.1 s, doubled, at most 2 s); one that answers 503 (or, from a load balancer, 502 or 504) after
  its `Retry-After` (else 1 s). `max_retries` such retries in a row at most: the next failure ends
  the wait.
- A list answer must name exactly the ids asked (the service answers each as listed); anything
  else ends the wait rather than asking forever.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .generated.models import (
    ErrorEnvelope,
    JobEnvelope,
    JobListEnvelope,
    JobWithLinksEnvelope,
    ListedFailedJob,
    ListedFailedWithErrorJob,
    ListedPendingJob,
    ListedProcessedJobWithData,
    ListedProcessedJobWithLinks,
    MissingJob,
    FailedJob,
    FailedWithErrorJob,
    PendingJob,
    ProcessedJobWithData,
    ProcessedJobWithLinks,
    ValidationFailedEnvelope,
)
from .results import JobResult, JobStatusError, JobStatusUnavailable, WaitTimeout

#: What a list item's generated type is, as the job schema a single poll carries.
_LISTED_STATES = {
    ListedPendingJob: PendingJob,
    ListedProcessedJobWithLinks: ProcessedJobWithLinks,
    ListedProcessedJobWithData: ProcessedJobWithData,
    ListedFailedJob: FailedJob,
    ListedFailedWithErrorJob: FailedWithErrorJob,
}
#: A front that is down or restarting: 503 from the front itself, 502 and 504 from a load balancer.
_RETRIED_AFTER_PAUSE = frozenset({502, 503, 504})
_THROTTLED = 429
_UNREACHABLE_PAUSE_LIMIT = 2.0


@dataclass(frozen=True)
class Ask:
    """Send a request: held up to `wait` seconds (0: not held), with `If-None-Match` when set, for
    `ids` (a list request) or the machine's one job."""

    wait: int
    if_none_match: str | None = None
    ids: tuple[str, ...] = ()

    @property
    def prefer(self) -> str | None:
        return f"wait={self.wait}" if self.wait > 0 else None


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Finish:
    """Done: `result` is the job's `JobResult` (JobWait), or None when every listed job finished
    (ListWait; each was handed out by `take_finished`)."""

    result: JobResult | None


@dataclass(frozen=True)
class Fail:
    error: Exception


Action = Ask | Sleep | Finish | Fail


def retry_after(headers: Mapping[str, str], default: float = 1.0) -> float:
    """`Retry-After` in seconds (the service sends a number of seconds), or `default`."""
    try:
        return max(0.0, float(int(headers.get("retry-after", ""))))
    except ValueError:
        return default


def was_held(headers: Mapping[str, str]) -> bool:
    """Whether the service held the request: it says so in `Preference-Applied` (RFC 7240)."""
    applied = headers.get("preference-applied")
    return applied is not None and applied.strip() != "wait=0"


def refusal(status: int, parsed: Any) -> JobStatusError:
    """The error for an answer no retry mends, with the envelope's type and message."""
    if isinstance(parsed, (ErrorEnvelope, ValidationFailedEnvelope)):
        return JobStatusError(status, parsed.error.type_, parsed.error.message, parsed)
    if isinstance(parsed, Exception):
        return JobStatusError(status, None, f"the {status} answer does not match the API document: {parsed!r}")
    return JobStatusError(status, None, f"the service answered {status}, which the API does not document here")


class _Patience:
    """The deadline, the held-request length, and how many failures in a row are tolerated."""

    def __init__(self, timeout: float | None, max_wait: int, max_retries: int, clock: Callable[[], float]):
        self.clock = clock
        self.deadline = None if timeout is None else clock() + timeout
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.failures = 0

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - self.clock()

    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    def wait(self) -> int:
        """The hold to ask for: the whole seconds left before the caller's deadline at most. With
        less than a second left it is 0 — not held — and the sleep after the answer reaches the
        deadline."""
        remaining = self.remaining()
        return self.max_wait if remaining is None else max(0, min(self.max_wait, math.floor(remaining)))

    def sleep(self, seconds: float) -> Sleep:
        remaining = self.remaining()
        return Sleep(seconds if remaining is None else max(0.0, min(seconds, remaining)))

    def failed(self, pause: float, why: str) -> Action:
        """One more failure in a row: a pause, or the end when there were too many."""
        self.failures += 1
        if self.failures > self.max_retries:
            return Fail(JobStatusUnavailable(0, None, f"{why} ({self.failures} times in a row)"))
        return self.sleep(pause)

    def unreachable(self, error: Exception) -> Action:
        return self.failed(min(_UNREACHABLE_PAUSE_LIMIT, 0.1 * 2 ** self.failures), f"the service cannot be reached: {error}")


class _Wait:
    """What both waits do alike: ask at the start and after a sleep, pause after a failure, and
    read the answers that mean "not now" (429, 503, a proxy's 502 and 504) and "unchanged" (304)."""

    patience: _Patience

    def start(self) -> Action:
        return self._ask()

    def slept(self) -> Action:
        return self._ask()

    def unreachable(self, error: Exception) -> Action:
        return self._timed_out() or self.patience.unreachable(error)

    def _not_now(self, status: int, headers: Mapping[str, str]) -> Action | None:
        """The action for an answer that carries no job (None for one that may)."""
        if status in _RETRIED_AFTER_PAUSE:
            return self._timed_out() or self.patience.failed(retry_after(headers), f"the service answered {status}")
        self.patience.failures = 0
        if status == _THROTTLED:
            return self._timed_out() or self.patience.sleep(retry_after(headers))
        if status == 304:
            return self._again(headers)
        return None

    def _again(self, headers: Mapping[str, str]) -> Action:
        """Unchanged: ask again at once after a held request, else after the service's `Retry-After`."""
        if was_held(headers):
            return self._ask()
        return self._timed_out() or self.patience.sleep(retry_after(headers))

    def _ask(self) -> Action:
        raise NotImplementedError

    def _timed_out(self) -> Fail | None:
        raise NotImplementedError


class JobWait(_Wait):
    """Waiting for one job to finish."""

    def __init__(self, job_id: str, *, timeout: float | None, max_wait: int = 30, max_retries: int = 8,
                 clock: Callable[[], float] = time.monotonic):
        self.job_id = job_id
        self.patience = _Patience(timeout, max_wait, max_retries, clock)
        self.etag: str | None = None
        self.last: JobResult | None = None

    def answered(self, status: int, headers: Mapping[str, str], parsed: Any) -> Action:
        action = self._not_now(status, headers)
        if action is not None:
            return action
        if status == 404 and isinstance(parsed, ErrorEnvelope):
            return Finish(JobResult(self.job_id, "not_found", None))
        if status in (200, 303) and isinstance(parsed, (JobEnvelope, JobWithLinksEnvelope)):
            self.etag = headers.get("etag", self.etag)
            self.last = JobResult(self.job_id, parsed.data.status.value, parsed.data, self.etag)
            return Finish(self.last) if self.last.done else self._again(headers)
        return Fail(refusal(status, parsed))

    def _ask(self) -> Action:
        return self._timed_out() or Ask(self.patience.wait(), self.etag)

    def _timed_out(self) -> Fail | None:
        if self.patience.expired():
            return Fail(WaitTimeout(f"job {self.job_id} did not finish before the timeout", self.last))
        return None


class ListWait(_Wait):
    """Waiting for every job of a list (at most `polling.max_batch` ids) to finish, handing each
    out as it does (`take_finished`).

    The first request is not held, so ids that are already finished (or unknown) come back at
    once. Then one held request for the ids still pending, which the service answers at the first
    write to any of them. Each answer drops the finished ids and the list asked next is the rest;
    while no id finished, the same list is asked again with the answer's `ETag` as
    `If-None-Match` (an unchanged list at the end of a hold is then a bodiless 304).
    """

    def __init__(self, ids: list[str], *, timeout: float | None, max_wait: int = 30, max_retries: int = 8,
                 clock: Callable[[], float] = time.monotonic):
        self.listed = list(dict.fromkeys(ids))
        self.remaining = list(self.listed)
        self.patience = _Patience(timeout, max_wait, max_retries, clock)
        self.last: dict[str, JobResult] = {}
        self.first = True
        self.etag: str | None = None
        self._finished: list[JobResult] = []

    def take_finished(self) -> list[JobResult]:
        """The jobs that finished since the last call, in the order the service listed them."""
        finished, self._finished = self._finished, []
        return finished

    def answered(self, status: int, headers: Mapping[str, str], parsed: Any) -> Action:
        action = self._not_now(status, headers)
        if action is not None:
            return action
        if status != 200 or not isinstance(parsed, JobListEnvelope):
            return Fail(refusal(status, parsed))
        answered = [self.result(item) for item in parsed.data]
        if [result.id for result in answered] != self.remaining:
            return Fail(JobStatusError(200, None, f"the list answered ids {[result.id for result in answered]} "
                                                  f"for {self.remaining}"))
        unheld_on_purpose, self.first = self.first, False
        finished = set()
        for result in answered:
            self.last[result.id] = result
            if result.done:
                finished.add(result.id)
                self._finished.append(result)
        self.remaining = [job_id for job_id in self.remaining if job_id not in finished]
        # A tag names the state of the list it came with: another list needs none.
        self.etag = None if finished else headers.get("etag")
        if not self.remaining:
            return Finish(None)
        if finished or unheld_on_purpose:
            return self._ask()
        return self._again(headers)

    @staticmethod
    def result(item: Any) -> JobResult:
        """A list item as the `JobResult` a single poll of that job would give."""
        if isinstance(item, MissingJob):
            return JobResult(item.id, item.status.value, None)
        fields = item.to_dict()
        del fields["id"]
        state = _LISTED_STATES[type(item)].from_dict(fields)
        return JobResult(item.id, state.status.value, state)

    def _ask(self) -> Action:
        wait = 0 if self.first else self.patience.wait()
        return self._timed_out() or Ask(wait, self.etag, tuple(self.remaining))

    def _timed_out(self) -> Fail | None:
        if self.patience.expired():
            last = {job_id: self.last[job_id] for job_id in self.listed if job_id in self.last}
            return Fail(WaitTimeout(f"{len(self.remaining)} jobs did not finish before the timeout", last))
        return None
