#!/usr/bin/env python3
"""The long-poll run: N concurrent waiting requests on one front, then one write per job.

    longpoll.py HOST PORT TOKEN REDIS_URL COUNT PREFIX FRONT_PID [--cluster]

Prints one JSON object: how many waiters were answered, the wake-up latency (from the write
being sent to the waiter's response arriving), the front's peak RSS, and how many Redis
subscriptions the waiting cost (at most one per waited job per instance). With --cluster,
REDIS_URL is a seed of a Redis Cluster: the subscriptions are sharded ones (SSUBSCRIBE, counted
per node), and the cluster bus messages per write are printed (classic PUBLISH is forwarded to
every node; SPUBLISH only inside the job's shard).
"""
import asyncio
import json
import multiprocessing
import pathlib
import sys
import time

import redis.asyncio as aioredis

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "JobStatusCore" / "Resources" / "jobstatus_write.lua"
LINKS = '[{"entity":"encounter","href":"/api/encounters/1"}]'


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


class Waiter(asyncio.Protocol):
    """One waiting request. The arrival time is taken in `data_received`, the first moment the
    response's bytes reach this process, without a coroutine per waiter: with 10,000 waiters
    answered in a burst, a task's scheduling delay would otherwise be measured as the front's."""

    def __init__(self, request):
        self.request = request
        self.buffer = bytearray()
        self.arrived = None
        self.answered = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        if self.arrived is None:
            self.arrived = time.time()
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.answered.done():
            return
        head = bytes(self.buffer[:end])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if len(self.buffer) >= end + 4 + length:
            self.answered.set_result((int(head.split(b" ", 2)[1]), self.arrived))

    def connection_lost(self, error):
        if not self.answered.done():
            self.answered.set_exception(error or ConnectionError("closed before the answer"))


async def open_waiter(host, port, token, job_id):
    request = f"GET /api/jobs/{job_id}?wait=120 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    _, waiter = await asyncio.get_running_loop().create_connection(lambda: Waiter(request.encode()), host, port)
    return waiter


def sync_client(redis_url, cluster):
    import redis as syncredis
    import redis.cluster
    return redis.cluster.RedisCluster.from_url(redis_url) if cluster else syncredis.Redis.from_url(redis_url)


def write_all(redis_url, ids, cluster=False):
    """Completes every job, in pipelined batches of 100; returns when each batch was sent."""
    from seed import pipeline_for
    client = sync_client(redis_url, cluster)
    sha = client.script_load(SCRIPT.read_text())
    written = {}
    for start in range(0, len(ids), 100):
        batch = ids[start:start + 100]
        sent = time.time()
        pipes = {}
        for job_id in batch:
            pipeline_for(client, f"job:{job_id}", pipes).evalsha(sha, 1, f"job:{job_id}", "processed", "links", LINKS)
        for pipe in pipes.values():
            pipe.execute()
        for job_id in batch:
            written[job_id] = sent
    return written


def cluster_nodes(redis_url):
    """(node, is_primary) for every node of the cluster REDIS_URL is a seed of."""
    client = sync_client(redis_url, True)
    return [(node, node.server_type == "primary") for node in client.get_nodes()], client


def cluster_figures(redis_url, pattern):
    """The cluster bus's publish counters summed over the nodes, and the sharded channels matching
    `pattern` each node holds."""
    nodes, client = cluster_nodes(redis_url)
    publish = publishshard = 0
    channels = {}
    for node, primary in nodes:
        info = client.cluster_info(target_nodes=node)
        publish += int(info.get("cluster_stats_messages_publish_sent", 0))
        publishshard += int(info.get("cluster_stats_messages_publishshard_sent", 0))
        held = client.execute_command("PUBSUB", "SHARDCHANNELS", pattern, target_nodes=node)
        channels[f"{'primary' if primary else 'replica'} {node.port}"] = len(held)
    client.close()
    return publish, publishshard, channels


async def subscribed_count(redis, redis_url, pattern, cluster):
    if cluster:
        return sum((await asyncio.to_thread(cluster_figures, redis_url, pattern))[2].values())
    return len(await redis.pubsub_channels(pattern))


async def main():
    host, port, token, redis_url = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    count, prefix, front_pid = int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
    cluster = "--cluster" in sys.argv[8:]
    ids = [f"{prefix}{number}" for number in range(count)]
    redis = aioredis.from_url(redis_url)

    connections = []
    for start in range(0, count, 500):
        batch = ids[start:start + 500]
        connections += await asyncio.gather(*(open_waiter(host, port, token, job_id) for job_id in batch))

    # Every waiter is parked once every job has its subscription.
    deadline = time.monotonic() + 60
    subscribed = 0
    while time.monotonic() < deadline:
        subscribed = await subscribed_count(redis, redis_url, f"job:{prefix}*", cluster)
        if subscribed >= count:
            break
        await asyncio.sleep(0.2)
    numsub = []
    bus = None
    if cluster:
        # One front, one sharded subscription per job: each channel is held on exactly one node.
        bus = cluster_figures(redis_url, f"job:{prefix}*")
        numsub = [1] if bus[2] and sum(bus[2].values()) == subscribed else []
    else:
        for start in range(0, count, 1000):
            replies = await redis.pubsub_numsub(*[f"job:{job_id}" for job_id in ids[start:start + 1000]])
            numsub += [subscribers for _, subscribers in replies]

    waiting = [waiter.answered for waiter in connections]
    # The writes come from another process, so this loop only receives: what it measures is the
    # front's wake-up, not its own scheduling.
    with multiprocessing.Pool(1) as pool:
        pending_writes = pool.apply_async(write_all, (redis_url, ids, cluster))
        while not pending_writes.ready():
            await asyncio.sleep(0.01)
        written = pending_writes.get()

    done, pending = await asyncio.wait(waiting, timeout=60)
    latencies = []
    statuses = {}
    for job_id, task in zip(ids, waiting):
        if task in done and task.exception() is None:
            status, arrived = task.result()
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append((arrived - written[job_id]) * 1000)
    for waiter in connections:
        waiter.transport.close()
    figures = {}
    if cluster:
        publish, publishshard, channels = cluster_figures(redis_url, f"job:{prefix}*")
        figures = {
            "bus_publish_per_write": round((publish - bus[0]) / count, 3),
            "bus_publishshard_per_write": round((publishshard - bus[1]) / count, 3),
            "subscriptions_per_node": bus[2],
        }
    print(json.dumps({
        **figures,
        "waiters": count,
        "answered": len(latencies),
        "statuses": statuses,
        "subscriptions": subscribed,
        "max_subscribers_per_job": max(numsub) if numsub else None,
        "wake_p50_ms": round(percentile(latencies, 0.50), 2) if latencies else None,
        "wake_p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        "wake_max_ms": round(max(latencies), 2) if latencies else None,
        "front_peak_rss_mb": round(peak_rss_mb(front_pid), 1),
    }))
    await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
