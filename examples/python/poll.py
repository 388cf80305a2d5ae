#!/usr/bin/env python3
"""Polls jobs of a jobstatus front the way the service is meant to be polled.

    pip install requests
    python3 poll.py --url http://127.0.0.1:8080 --token demo-token-for-local-use-only JOB_ID
    python3 poll.py --url ... --token ... --follow JOB_ID     # also GET what the job produced
    python3 poll.py --url ... --token ... --ids ID1,ID2,ID3   # many jobs, one request at a time

What it does, and why (docs/api.md, "Polling well"):

- It asks the server to hold the request while nothing changes (`Prefer: wait=N`), so a job that
  takes a minute costs a handful of requests, not sixty.
- It sends back the last `ETag` as `If-None-Match`: an unchanged job answers 304 with no body.
- When the server did not hold the request (no `Preference-Applied`, e.g. `polling.max_wait` is
  0, or a proxy strips `Prefer`), and on 429 and 503, it sleeps for `Retry-After` before asking
  again, instead of hammering the service.
- It stops at a terminal state: processed (200 with `response_data`, or 303 with `links`), failed
  or failed_with_error. With `--follow` it then GETs each link of a 303, as a client that
  follows See Other would.
- One keep-alive connection (a requests.Session) for every request.

It prints one JSON object: the final `data`, how many requests it needed and how long it took.
With `--verbose` it also prints each request as it is sent (`-> GET …`) and its answer (`<- 303 …`)
to stderr.
Exit status: 0 processed, 2 failed or failed_with_error, 1 when the job cannot be polled (401,
403, 404, a deadline passed, the service unreachable).

With `--ids` it follows many jobs with one held request at a time (`GET /api/jobs?ids=…`, at most
`polling.max_batch` ids): the server answers as soon as any of them is written, the client prints
one JSON line per job as it finishes (`{"id", "status", "data"}`; an unknown id is `not_found`),
drops the finished ones from the list and asks again, sending back the list's `ETag` while the
list is the same. A last line sums up: how many jobs, requests and seconds. Exit status: 0 when
every job was processed, 2 when one failed, 1 when one was not found or broken, or as above.
"""
import argparse
import json
import math
import sys
import time
import urllib.parse
import uuid

import requests

TERMINAL = {"processed", "failed", "failed_with_error"}


class Poller:
    def __init__(self, base_url, token, wait, timeout, session=None, verbose=False):
        self.base_url = base_url.rstrip("/")
        self.wait = wait
        self.verbose = verbose
        self.deadline = time.monotonic() + timeout
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.requests = 0

    def _get(self, url, headers=None):
        self.requests += 1
        headers = headers or {}
        if self.verbose:
            shown = " ".join(f"{name}: {value}" for name, value in headers.items() if name != "X-Request-ID")
            print(f"-> GET {url} {shown}".rstrip(), file=sys.stderr, flush=True)
        started = time.monotonic()
        # The server never holds a request past its own cap (30 s by default): allow for that.
        response = self.session.get(url, headers=headers, allow_redirects=False, timeout=self.wait + 15)
        if self.verbose:
            print(f"<- {response.status_code} after {time.monotonic() - started:.3f} s", file=sys.stderr, flush=True)
        return response

    def _remaining(self):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed before the job finished")
        return remaining

    def _sleep(self, seconds):
        time.sleep(min(seconds, self._remaining()))

    @staticmethod
    def _retry_after(response, default=1):
        try:
            return max(0, int(response.headers.get("Retry-After", default)))
        except ValueError:
            return default

    def _ask(self, url, etag, answers):
        """One request, held up to `wait`: (response, held) for a status in `answers`, or None
        when it is to be asked again (after sleeping as long as the server said, if it did not
        hold the request)."""
        # Never ask the server to hold a request past our own deadline.
        wait = min(self.wait, math.ceil(self._remaining()))
        headers = {"Prefer": f"wait={wait}", "X-Request-ID": f"poll-{uuid.uuid4().hex[:16]}"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = self._get(url, headers)
        except requests.ConnectionError:
            self._sleep(1)
            return None
        held = "Preference-Applied" in response.headers and response.headers["Preference-Applied"] != "wait=0"
        if response.status_code == 304:
            # Unchanged: the server already waited, unless it could not.
            if not held:
                self._sleep(self._retry_after(response))
            return None
        if response.status_code in (429, 503):
            self._sleep(self._retry_after(response))
            return None
        if response.status_code not in answers:
            error = response.json().get("error", {}) if response.content else {}
            raise PollError(response.status_code, error.get("type"), error.get("message"))
        return response, held

    def poll(self, job_id):
        """Returns the terminal envelope's `data` (and the HTTP status that carried it)."""
        url = f"{self.base_url}/api/jobs/{urllib.parse.quote(job_id, safe='')}"
        etag = None
        while True:
            answer = self._ask(url, etag, (200, 303))
            if answer is None:
                continue
            response, held = answer
            data = response.json()["data"]
            if data["status"] in TERMINAL:
                return data, response.status_code
            etag = response.headers.get("ETag", etag)
            if not held:
                self._sleep(self._retry_after(response))

    def poll_list(self, job_ids, finished):
        """Follows every job of `job_ids` until each is terminal (or not found); calls
        `finished(item)` with each item as it finishes, in the order they finish."""
        remaining = list(dict.fromkeys(job_ids))
        etag = None
        while remaining:
            # Literal commas separate the ids (OpenAPI's form style); ids never contain one.
            url = f"{self.base_url}/api/jobs?ids=" + ",".join(urllib.parse.quote(job_id, safe="") for job_id in remaining)
            answer = self._ask(url, etag, (200,))
            if answer is None:
                continue
            response, held = answer
            done = [item for item in response.json()["data"] if item["status"] != "pending"]
            for item in done:
                finished(item)
            if done:
                gone = {item["id"] for item in done}
                remaining = [job_id for job_id in remaining if job_id not in gone]
                # Another list, another state: its tag says nothing about the next one.
                etag = None
                continue
            etag = response.headers.get("ETag", etag)
            if not held:
                self._sleep(self._retry_after(response))

    def follow(self, links):
        """GETs each link of a processed job (relative hrefs against the base URL)."""
        results = []
        for link in links:
            response = self._get(urllib.parse.urljoin(self.base_url + "/", link["href"]))
            results.append({"entity": link["entity"], "href": link["href"], "status": response.status_code})
        return results


class PollError(Exception):
    def __init__(self, status, error_type, message):
        super().__init__(f"HTTP {status} {error_type}: {message}")
        self.status = status


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

    poller = Poller(arguments.url, arguments.token, arguments.wait, arguments.timeout, verbose=arguments.verbose)
    if arguments.ids is not None:
        sys.exit(poll_list(poller, [job_id for job_id in arguments.ids.split(",") if job_id]))
    started = time.monotonic()
    try:
        data, http_status = poller.poll(arguments.job_id)
    except (PollError, TimeoutError, requests.RequestException) as error:
        print(json.dumps({"error": str(error), "requests": poller.requests}), flush=True)
        sys.exit(1)
    report = {"status": data["status"], "http_status": http_status, "data": data, "requests": poller.requests}
    if arguments.follow and http_status == 303:
        report["followed"] = poller.follow(data["links"])
        report["requests"] = poller.requests
    report["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(report), flush=True)
    sys.exit(0 if data["status"] == "processed" else 2)


def poll_list(poller, job_ids):
    """--ids: one line per job as it finishes, then the summary; the exit status."""
    started = time.monotonic()
    statuses = []

    def finished(item):
        statuses.append(item["status"])
        line = {"id": item["id"], "status": item["status"]}
        if item["status"] not in ("not_found", "error"):
            line["data"] = {key: value for key, value in item.items() if key != "id"}
        print(json.dumps(line), flush=True)

    try:
        poller.poll_list(job_ids, finished)
    except (PollError, TimeoutError, requests.RequestException) as error:
        print(json.dumps({"error": str(error), "finished": len(statuses), "requests": poller.requests}), flush=True)
        return 1
    print(json.dumps({"jobs": len(statuses), "requests": poller.requests, "seconds": round(time.monotonic() - started, 3)}), flush=True)
    if any(status in ("not_found", "error") for status in statuses):
        return 1
    return 2 if any(status != "processed" for status in statuses) else 0


if __name__ == "__main__":
    main()
