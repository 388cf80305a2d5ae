#!/usr/bin/env python3
"""Seeds the benchmark's jobs through the write script, the way workers write them.

    seed.py REDIS_URL COUNT PREFIX ETAGS_FILE       processed jobs with three links (~600-byte envelopes)
    seed.py REDIS_URL COUNT PREFIX --pending         pending jobs (for the long-poll run)
    seed.py REDIS_URL COUNT PREFIX --pending --cluster   the same in the Redis Cluster REDIS_URL is a seed of

Writes "<id> <etag>" lines to ETAGS_FILE so the conditional-request run can send If-None-Match.
"""
import datetime
import json
import pathlib
import sys

import redis
import redis.cluster

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "JobStatusCore" / "Resources" / "jobstatus_write.lua"
PATIENT = "3da18c10-d2ca-469e-bde5-7413201cea2"


def links_for(number):
    suffix = f"{number:012d}"
    return json.dumps([
        {"entity": "encounter", "href": f"/api/patients/{PATIENT}/encounters/90a9e15b-b71b-4caf-8f2e-{suffix}"},
        {"entity": "condition", "href": f"/api/patients/{PATIENT}/conditions/df112200-64da-451b-bf77-{suffix}"},
        {"entity": "observation", "href": f"/api/patients/{PATIENT}/observations/d118cc02-3b9b-4d1a-b728-{suffix}"},
    ], separators=(",", ":"))


def pipeline_for(client, key, pipes):
    """The pipeline of the node serving `key` (a cluster's pipelines refuse EVALSHA): one per node,
    kept in `pipes`; the one pipeline of a standalone Redis."""
    node = client.get_node_from_key(key) if hasattr(client, "get_node_from_key") else None
    name = node.name if node else ""
    if name not in pipes:
        pipes[name] = (node.redis_connection if node else client).pipeline(transaction=False)
    return pipes[name]


def main():
    url, count, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    pending_only = sys.argv[4] == "--pending"
    if "--cluster" in sys.argv[5:]:
        client = redis.cluster.RedisCluster.from_url(url)
    else:
        client = redis.Redis.from_url(url)
    script = client.register_script(SCRIPT.read_text())
    script.sha = client.script_load(SCRIPT.read_text())
    eta = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    batch = 1000
    for start in range(0, count, batch):
        pipes = {}
        for number in range(start, min(start + batch, count)):
            key = f"job:{prefix}{number}"
            pipe = pipeline_for(client, key, pipes)
            pipe.evalsha(script.sha, 1, key, "create", "eta", eta, "ttl", 7200)
            if not pending_only:
                pipe.evalsha(script.sha, 1, key, "processed", "links", links_for(number), "ttl", 7200)
        for pipe in pipes.values():
            pipe.execute()
    if pending_only:
        return
    with open(sys.argv[4], "w") as etags:
        for start in range(0, count, batch):
            pipe = client.pipeline(transaction=False)
            numbers = range(start, min(start + batch, count))
            for number in numbers:
                pipe.hmget(f"job:{prefix}{number}", "version", "created_at")
            for number, (version, created) in zip(numbers, pipe.execute()):
                etags.write(f'{prefix}{number} W/"{version.decode()}.{created.decode()}"\n')


if __name__ == "__main__":
    main()
