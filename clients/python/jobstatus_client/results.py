"""What a wait returns and what it raises: the generated models, wrapped so a caller reads one shape
whether the job came from a single poll or from a job list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from .generated.models import (
    ErrorEnvelope,
    FailedJob,
    FailedWithErrorJob,
    JobError,
    Link,
    PendingJob,
    ProcessedJobWithData,
    ProcessedJobWithLinks,
    ValidationError,
    ValidationFailedEnvelope,
)

JobState = Union[PendingJob, ProcessedJobWithLinks, ProcessedJobWithData, FailedJob, FailedWithErrorJob]
"""The `data` of a poll: one of the document's five job schemas, as generated."""

FINISHED = frozenset({"processed", "failed", "failed_with_error", "not_found", "error"})


@dataclass(frozen=True)
class JobResult:
    """A job as the service last answered it.

    `status` is the job's (`pending`, `processed`, `failed`, `failed_with_error`) or, for an id
    with no job to show, `not_found` (unknown, expired or another client's: the service does not
    say which) or `error` (a list item whose record breaks the record contract). `state` is the
    typed `data` (None for those two).
    """

    id: str
    status: str
    state: JobState | None
    etag: str | None = None

    @property
    def done(self) -> bool:
        """Whether asking again can change the answer: every status but `pending` is final."""
        return self.status in FINISHED

    @property
    def links(self) -> list[Link]:
        """What a processed job created (the 303's links); empty otherwise."""
        return list(self.state.links) if isinstance(self.state, ProcessedJobWithLinks) else []

    @property
    def response_data(self) -> Any:
        """A processed job's inline result (any JSON value), or None."""
        return self.state.response_data if isinstance(self.state, ProcessedJobWithData) else None

    @property
    def error(self) -> str | JobError | ValidationError | None:
        """A failed job's error: a string, `{type, message}`, or the validation object."""
        return self.state.error if isinstance(self.state, (FailedJob, FailedWithErrorJob)) else None

    @property
    def status_code(self) -> int | None:
        """The job's own HTTP status (not the poll's), once it has one."""
        code = getattr(self.state, "status_code", None)
        return int(code) if code is not None else None

    @property
    def eta(self) -> str | None:
        return self.state.eta if self.state is not None else None


class JobStatusError(Exception):
    """The service refused the request (401, 403, 422, 500, …), or could not answer it.

    `status` is the HTTP status (0 when no answer came), `type` and `message` the envelope's
    `error`, `envelope` the typed body when there was one.
    """

    def __init__(self, status: int, type: str | None, message: str,
                 envelope: ErrorEnvelope | ValidationFailedEnvelope | None = None):
        super().__init__(f"HTTP {status} {type}: {message}" if status else message)
        self.status = status
        self.type = type
        self.message = message
        self.envelope = envelope


class JobStatusUnavailable(JobStatusError):
    """The service stayed unreachable, or answered 503, more times in a row than the client's
    `max_retries` allows."""


class WaitTimeout(TimeoutError):
    """The timeout passed before the job (or every listed job) finished. `last` has what the
    service said last: a `JobResult`, or for a list a dict of id to `JobResult`."""

    def __init__(self, message: str, last: Any = None):
        super().__init__(message)
        self.last = last
