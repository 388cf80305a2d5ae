"""What the synchronous and the asyncio clients share: turning an `Ask` into the generated
operation's request, and its response into the machine's next action."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import httpx

from .generated import AuthenticatedClient
from .generated.api.jobs import get_job, list_jobs
from .generated.types import UNSET
from .results import WaitTimeout
from .waiting import Action, Ask, JobWait, ListWait

#: The statuses whose bodies are not the service's own when a proxy answers them; an unreadable
#: body there is an outage, not a broken contract.
_PROXY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, for a client's `observer` (logging, counting)."""

    method: str
    url: str
    headers: dict[str, str]
    status: int | None
    seconds: float
    error: Exception | None = None
    response_headers: dict[str, str] | None = None
    ended: float = 0.0
    """`time.monotonic()` when the answer (or the failure) came."""


def api_client(base_url: str, token: str, *, max_wait: int, connect_timeout: float,
               httpx_args: dict[str, Any] | None) -> AuthenticatedClient:
    """The generated client, set up to poll: it never follows a redirect (the 303 is the result),
    and a read may last as long as the longest hold asked for."""
    return AuthenticatedClient(
        base_url=base_url.rstrip("/"),
        token=token,
        follow_redirects=False,
        raise_on_unexpected_status=False,
        timeout=httpx.Timeout(max_wait + 10.0, connect=connect_timeout),
        httpx_args=httpx_args or {},
    )


class ClientOptions:
    """What both clients are made with (`JobStatusClient` says what each option means)."""

    def __init__(self, base_url: str, token: str, *, max_wait: int = 30, max_retries: int = 8,
                 batch_size: int = 100, connect_timeout: float = 5.0, observer: "Observer | None" = None,
                 httpx_args: dict[str, Any] | None = None):
        self.api = api_client(base_url, token, max_wait=max_wait, connect_timeout=connect_timeout, httpx_args=httpx_args)
        self.max_wait = max_wait
        self.max_retries = max_retries
        self.batch_size = batch_size
        self.observer = observer
        self.requests_sent = 0
        self._count = threading.Lock()

    def _counted(self) -> None:
        """One more request sent (the synchronous client sends from several threads)."""
        with self._count:
            self.requests_sent += 1


def operation(ask: Ask, job_id: str | None):
    """The generated module that sends `ask`, and the request it builds (`_get_kwargs`, so the
    client keeps the response even when its body is not what the document says)."""
    prefer = ask.prefer if ask.prefer is not None else UNSET
    tag = ask.if_none_match if ask.if_none_match is not None else UNSET
    if ask.ids:
        return list_jobs, list_jobs._get_kwargs(ids=list(ask.ids), prefer=prefer, if_none_match=tag)
    return get_job, get_job._get_kwargs(job_id, prefer=prefer, if_none_match=tag)


def deliver(machine: JobWait | ListWait, module, client: AuthenticatedClient, response: httpx.Response) -> Action:
    """The machine's action for an answer, its body parsed into the document's types."""
    try:
        parsed = module._parse_response(client=client, response=response)
    except (ValueError, KeyError, TypeError) as error:
        if response.status_code in _PROXY_STATUSES:
            parsed = None
        else:
            parsed = error
    return machine.answered(response.status_code, response.headers, parsed)


Observer = Callable[[Exchange], None]


def observe(observer: Observer | None, client: AuthenticatedClient, request: dict[str, Any],
            response: httpx.Response | None, started: float, error: Exception | None = None) -> None:
    """Tells `observer` of one request (its method, URL and headers, the token left out)."""
    if observer is None:
        return
    url = httpx.URL(client._base_url + request["url"], params=request.get("params") or None)
    ended = time.monotonic()
    observer(Exchange(request["method"].upper(), str(url), dict(request.get("headers") or {}),
                      response.status_code if response is not None else None, ended - started, error,
                      dict(response.headers) if response is not None else None, ended))


def batches(ids: Iterable[str], size: int) -> list[list[str]]:
    """The distinct ids, in order, in lists of at most `size` (one list request each; none for
    no ids). An empty id or one with a comma cannot be listed (commas separate the ids)."""
    listed = list(dict.fromkeys(ids))
    for job_id in listed:
        if not job_id or "," in job_id:
            raise ValueError(f"{job_id!r} cannot be listed: a job id is not empty and has no comma")
    return [listed[start:start + size] for start in range(0, len(listed), size)]


def merged(timeouts: list[WaitTimeout]) -> WaitTimeout:
    """The batches' timeouts as one, with every job's last state."""
    last = {}
    for timeout in timeouts:
        last.update(timeout.last or {})
    pending = sum(1 for result in last.values() if not result.done)
    return WaitTimeout(f"{pending} jobs did not finish before the timeout", last)
