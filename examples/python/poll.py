#!/usr/bin/env python3
"""Polls jobs of a jobstatus front, with the Python client package (clients/python).

    pip install ./clients/python
    python3 poll.py --url http://127.0.0.1:8080 --token demo-token-for-local-use-only JOB_ID
    python3 poll.py --url ... --token ... --follow JOB_ID     # also GET what the job produced
    python3 poll.py --url ... --token ... --ids ID1,ID2,ID3   # many jobs, each printed as it finishes

The waiting is the client's (`JobStatusClient.wait` and `.completions`; docs/clients.md): held
requests (`Prefer: wait=N`), `If-None-Match`, `Retry-After` when the server did not hold a request
and on 429 and 503, the 303 never followed, a front restart retried. This script only prints.

It prints one JSON object: the final `data`, how many requests it needed and how long it took.
With `--follow` it then GETs each link of a 303, as a client that follows See Other would. With
`--verbose` it also prints each request as it is sent (`-> GET …`) and its answer (`<- 303 …`) to
stderr. Exit status: 0 processed, 2 failed or failed_with_error, 1 when the job cannot be polled
(401, 403, 404, a deadline passed, the service unreachable).

With `--ids` it prints one JSON line per job as it finishes (`{"id", "status", "data"}`; an unknown
id is `not_found`), then a summary: how many jobs, requests and seconds. Exit status: 0 when every
job was processed, 2 when one failed, 1 when one was not found or broken, or as above.
"""
import argparse
import json
import pathlib
import sys
import time
import urllib.parse

try:
    from jobstatus_client import JobStatusClient, JobStatusError, WaitTimeout
except ImportError:  # run from a checkout without `pip install ./clients/python`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients" / "python"))
    from jobstatus_client import JobStatusClient, JobStatusError, WaitTimeout


def verbose_hooks():
    """httpx event hooks that print each request as it is sent and each answer as it comes."""
    started = {}

    def request(request):
        started[id(request)] = time.monotonic()
        shown = " ".join(f"{name}: {value}" for name, value in request.headers.items()
                         if name.lower() in ("prefer", "if-none-match"))
        print(f"-> {request.method} {request.url} {shown}".rstrip(), file=sys.stderr, flush=True)

    def response(response):
        seconds = time.monotonic() - started.pop(id(response.request), time.monotonic())
        print(f"<- {response.status_code} after {seconds:.3f} s", file=sys.stderr, flush=True)

    return {"event_hooks": {"request": [request], "response": [response]}}


def failure(error, client, **extra):
    if isinstance(error, WaitTimeout):
        error = "the deadline passed before the job finished"
    print(json.dumps({"error": str(error), **extra, "requests": client.requests_sent}), flush=True)
    return 1


def poll_one(client, job_id, follow, timeout):
    started = time.monotonic()
    try:
        result = client.wait(job_id, timeout=timeout)
    except (JobStatusError, WaitTimeout) as error:
        return failure(error, client)
    if result.status == "not_found":
        return failure("HTTP 404 not_found: Job not found", client)
    report = {"status": result.status, "http_status": 303 if result.links else 200,
              "data": result.state.to_dict(), "requests": client.requests_sent}
    if follow and result.links:
        httpx_client = client.api.get_httpx_client()
        report["followed"] = [
            {"entity": link.entity, "href": link.href,
             "status": httpx_client.get(urllib.parse.urljoin(str(httpx_client.base_url) + "/", link.href)).status_code}
            for link in result.links]
        report["requests"] = client.requests_sent + len(result.links)
    report["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(report), flush=True)
    return 0 if result.status == "processed" else 2


def poll_list(client, job_ids, timeout):
    started = time.monotonic()
    statuses = []
    try:
        for result in client.completions(job_ids, timeout=timeout):
            statuses.append(result.status)
            line = {"id": result.id, "status": result.status}
            if result.state is not None:
                line["data"] = result.state.to_dict()
            print(json.dumps(line), flush=True)
    except (JobStatusError, WaitTimeout) as error:
        return failure(error, client, finished=len(statuses))
    print(json.dumps({"jobs": len(statuses), "requests": client.requests_sent,
                      "seconds": round(time.monotonic() - started, 3)}), flush=True)
    if any(status in ("not_found", "error") for status in statuses):
        return 1
    return 2 if any(status != "processed" for status in statuses) else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("job_id", nargs="?", help="the job to poll (or --ids)")
    parser.add_argument("--ids", help="many jobs, comma-separated: each is printed as it finishes")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the front (or the load balancer)")
    parser.add_argument("--token", required=True, help="a bearer token with the job:read scope")
    parser.add_argument("--wait", type=int, default=30, help="seconds the server may hold each request (default 30)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds (default 600)")
    parser.add_argument("--follow", action="store_true", help="GET every link of a processed job")
    parser.add_argument("--verbose", action="store_true", help="print each request and its answer to stderr")
    arguments = parser.parse_args()
    if (arguments.job_id is None) == (arguments.ids is None):
        parser.error("give one JOB_ID or --ids ID1,ID2,…")
    with JobStatusClient(arguments.url, arguments.token, max_wait=arguments.wait,
                         httpx_args=verbose_hooks() if arguments.verbose else None) as client:
        if arguments.ids is not None:
            sys.exit(poll_list(client, [job_id for job_id in arguments.ids.split(",") if job_id], arguments.timeout))
        sys.exit(poll_one(client, arguments.job_id, arguments.follow, arguments.timeout))


if __name__ == "__main__":
    main()
