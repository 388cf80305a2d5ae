#!/usr/bin/env python3
"""Runs the record contract's vectors (Tests/Vectors/record-contract.json) through the Python worker
example, against a real Redis, and prints one line per disagreement and a summary.

    vectors.py REDIS_URL

The example checks nothing itself (the write script is the contract's only gate), so every verdict
must be the vector's; exit status 1 if one is not.
"""
import json
import pathlib
import random
import sys

import redis

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "python"))
from worker import JobStatusWriter  # noqa: E402


def value(spec):
    """A vector value: a string, or {"parts": [...]} of strings, {"hex": ".."} and {"repeat": "..", "count": n}."""
    if isinstance(spec, str):
        return spec.encode()
    if "parts" in spec:
        return b"".join(value(part) for part in spec["parts"])
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    return (spec["repeat"] * spec["count"]).encode()


def main():
    vectors = json.loads((ROOT / "Tests" / "Vectors" / "record-contract.json").read_text())
    writer = JobStatusWriter(redis.Redis.from_url(sys.argv[1]))
    prefix = f"py-vector-{random.randrange(10**9)}-"
    disagreements = 0
    for index, vector in enumerate(vectors["writes"]):
        job_id = f"{prefix}{index}"
        if vector["op"] != "create":
            writer.call("create", job_id, {"eta": "2026-06-30T10:00:00.000Z"})
        try:
            writer.call(vector["op"], job_id, {name: value(spec) for name, spec in vector["args"].items()})
            verdict = "accepted"
        except redis.exceptions.ResponseError as error:
            verdict = str(error).split(" ", 1)[0]
        if verdict != vector["verdict"]:
            disagreements += 1
            print(f"{vector['name']}: Python gets {verdict}, the vector says {vector['verdict']}")
    print(f"python worker: {len(vectors['writes'])} vectors, {disagreements} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
