#!/usr/bin/env python3
"""The job-list run: one client follows JOBS pending jobs to the end while a worker completes them
one every PACE seconds, three ways, against the same front and Redis in one run:

- one list long poll (`GET /api/jobs?ids=…&wait=30`, the finished ids dropped, the list's ETag
  sent back while the list is the same), the way examples/python/poll.py --ids does it;
- JOBS single long polls (`GET /api/jobs/{id}?wait=30` with If-None-Match), one connection each;
- JOBS single polls every second (`GET /api/jobs/{id}`), one connection each.

    batch.py HOST PORT TOKEN REDIS_URL FRONT_PID [JOBS [PACE]]

Prints one JSON object per way: per job completion, the Redis commands the front sent (HMGET,
(S)SUBSCRIBE, (S)UNSUBSCRIBE, PING, from INFO commandstats — the write script's own HMGET counts
too, one per completion in every way), the HTTP requests the client sent and the front's CPU
time; and how long after its write the client learned of each completion (p50, max).
"""
import asyncio
import datetime
import json
import os
import pathlib
import statistics
import sys
import threading
import time

import redis

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "JobStatusCore" / "Resources" / "jobstatus_write.lua"
TERMINAL = {"processed", "failed", "failed_with_error"}
FRONT_COMMANDS = ("hmget", "subscribe", "unsubscribe", "ssubscribe", "sunsubscribe", "ping")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def front_commands(client):
    stats = client.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in FRONT_COMMANDS)


class Connection:
    """One keep-alive HTTP/1.1 connection; enough of a client for GETs with a Content-Length."""

    def __init__(self, host, port, token):
        self.host, self.port, self.token = host, port, token
        self.requests = 0

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def get(self, target, headers=()):
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host}", f"Authorization: Bearer {self.token}", *headers, "", ""]
        self.writer.write("\r\n".join(lines).encode())
        self.requests += 1
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        fields = {}
        for line in head.split(b"\r\n")[1:]:
            if b":" in line:
                name, value = line.split(b":", 1)
                fields[name.strip().lower().decode()] = value.strip().decode()
        body = await self.reader.readexactly(int(fields.get("content-length", "0")))
        return status, fields, body

    def close(self):
        self.writer.close()


async def follow_list(connection, ids, learned):
    remaining = list(ids)
    tag = None
    while remaining:
        headers = [f"If-None-Match: {tag}"] if tag else []
        status, fields, body = await connection.get("/api/jobs?wait=30&ids=" + ",".join(remaining), headers)
        if status == 304:
            continue
        if status != 200:
            await asyncio.sleep(1)
            continue
        done = [item["id"] for item in json.loads(body)["data"] if item["status"] in TERMINAL]
        for job_id in done:
            learned[job_id] = time.time()
        if done:
            remaining = [job_id for job_id in remaining if job_id not in done]
            tag = None
        else:
            tag = fields.get("etag")


async def follow_one(connection, job_id, learned, long_poll):
    tag = None
    while True:
        target = f"/api/jobs/{job_id}" + ("?wait=30" if long_poll else "")
        headers = [f"If-None-Match: {tag}"] if tag and long_poll else []
        status, fields, body = await connection.get(target, headers)
        if status in (200, 303) and json.loads(body)["data"]["status"] in TERMINAL:
            learned[job_id] = time.time()
            return
        tag = fields.get("etag", tag)
        if not long_poll or status not in (200, 303, 304):
            await asyncio.sleep(1)


def wait_until_unsubscribed(client, timeout=15):
    """Until the front holds no job subscription: what an earlier run left lingering (the hub keeps
    a subscription 2 s after its last waiter) is unsubscribed before, not during, a measurement;
    and a run's own UNSUBSCRIBEs count to it."""
    deadline = time.monotonic() + timeout
    while client.pubsub_channels("job:*") and time.monotonic() < deadline:
        time.sleep(0.2)


def complete(redis_url, ids, pace, written, started):
    client = redis.Redis.from_url(redis_url)
    sha = client.script_load(SCRIPT.read_text())
    started.wait()
    time.sleep(0.5)
    for job_id in ids:
        written[job_id] = time.time()
        client.evalsha(sha, 1, f"job:{job_id}", "processed", "response_data", '{"ok":true}')
        time.sleep(pace)


async def run(way, host, port, token, redis_url, front_pid, count, pace):
    client = redis.Redis.from_url(redis_url)
    sha = client.script_load(SCRIPT.read_text())
    prefix = "bl-" + "".join(word[0] for word in way.split()) + f"-{int(time.time())}-"
    ids = [f"{prefix}{number}" for number in range(count)]
    eta = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    pipe = client.pipeline(transaction=False)
    for job_id in ids:
        pipe.evalsha(sha, 1, f"job:{job_id}", "create", "eta", eta, "ttl", 600)
    pipe.execute()

    single = way != "list"
    connections = [await Connection(host, port, token).open() for _ in range(count if single else 1)]
    wait_until_unsubscribed(client)
    commands_before, cpu_before = front_commands(client), cpu_seconds(front_pid)
    written, learned = {}, {}
    started = threading.Event()
    worker = threading.Thread(target=complete, args=(redis_url, ids, pace, written, started))
    worker.start()
    if single:
        followers = [follow_one(connection, job_id, learned, way == "long polls") for connection, job_id in zip(connections, ids)]
    else:
        followers = [follow_list(connections[0], ids, learned)]
    started.set()
    began = time.monotonic()
    await asyncio.gather(*followers)
    elapsed = time.monotonic() - began
    worker.join()
    cpu = cpu_seconds(front_pid) - cpu_before
    wait_until_unsubscribed(client)
    commands = front_commands(client) - commands_before
    requests = sum(connection.requests for connection in connections)
    for connection in connections:
        connection.close()
    delays = [(learned[job_id] - written[job_id]) * 1000 for job_id in ids]
    return {
        "way": way, "jobs": count, "seconds": round(elapsed, 2),
        "redis_commands_per_job": round(commands / count, 2), "http_requests_per_job": round(requests / count, 2),
        "front_cpu_ms_per_job": round(cpu * 1000 / count, 3),
        "learned_after_ms_p50": round(statistics.median(delays), 1), "learned_after_ms_max": round(max(delays), 1),
    }


async def main():
    host, port, token, redis_url, front_pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    count = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    pace = float(sys.argv[7]) if len(sys.argv) > 7 else 0.05
    for way in ("list", "long polls", "polls at 1 s"):
        print(json.dumps(await run(way, host, port, token, redis_url, front_pid, count, pace)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
