"""100 jobs followed to completion, in one run, two ways at once: plain polling every second (what a
client without long polls does) and the client's `wait_all`. Prints the requests each sent, the
seconds each took, and how late each learned of a completion."""

from __future__ import annotations

import random
import statistics
import threading
import time

import httpx

from conftest import TOKEN
from jobstatus_client import JobStatusClient

JOBS = 100
SPREAD = 10.0  # the workers finish the jobs at random moments within this many seconds


def plain_polling(url: str, ids: list[str], learned: dict[str, float]) -> int:
    """GET every unfinished job, then sleep a second; the requests sent."""
    sent = 0
    remaining = set(ids)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        while remaining:
            for job_id in sorted(remaining):
                response = client.get(f"/api/jobs/{job_id}")
                sent += 1
                if response.status_code == 303 or (response.status_code == 200 and response.json()["data"]["status"] != "pending"):
                    learned[job_id] = time.monotonic()
                    remaining.discard(job_id)
            if remaining:
                time.sleep(1.0)
    return sent


def test_100_jobs_plain_polling_beside_wait_all(shared_front, jobs):
    ids = [jobs.pending() for _ in range(JOBS)]
    written: dict[str, float] = {}
    plain_learned: dict[str, float] = {}
    client_learned: dict[str, float] = {}
    outcome = {}

    def follow_with_client():
        with JobStatusClient(shared_front.url, TOKEN) as client:
            for result in client.completions(ids, timeout=120):
                client_learned[result.id] = time.monotonic()
            outcome["client"] = client.requests_sent

    def follow_plainly():
        outcome["plain"] = plain_polling(shared_front.url, ids, plain_learned)

    started = time.monotonic()
    followers = [threading.Thread(target=follow_with_client), threading.Thread(target=follow_plainly)]
    for follower in followers:
        follower.start()
    schedule = sorted((random.uniform(0, SPREAD), job_id) for job_id in ids)
    for moment, job_id in schedule:
        time.sleep(max(0.0, started + moment - time.monotonic()))
        jobs.writer.processed_with_data(job_id, {"done": True})
        written[job_id] = time.monotonic()
    for follower in followers:
        follower.join(timeout=120)

    def summary(name, learned, requests):
        late = [learned[job_id] - written[job_id] for job_id in ids]
        seconds = max(learned.values()) - started
        print(f"{name:28} {requests:5} requests  {seconds:5.1f} s  learned a completion "
              f"p50 {statistics.median(late) * 1000:6.0f} ms, max {max(late) * 1000:6.0f} ms after it")
        return late

    print(f"\n{JOBS} jobs finishing at random within {SPREAD:.0f} s, followed two ways at once:")
    plain_late = summary("plain polling every 1 s", plain_learned, outcome["plain"])
    client_late = summary("jobstatus_client.wait_all", client_learned, outcome["client"])
    assert len(client_learned) == len(plain_learned) == JOBS
    # The list costs one request to start and at most one per write after it. (How many the plain
    # poller sends depends on how fast its rounds go on a loaded machine: only compared.)
    assert outcome["client"] <= 1 + JOBS + 5, "one request to start, one per write, a few 503s retried"
    assert outcome["client"] < outcome["plain"]
    assert statistics.median(client_late) < statistics.median(plain_late)
