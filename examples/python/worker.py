#!/usr/bin/env python3
"""A jobstatus worker in Python: writes job status through the same Lua script as the Swift writer.

The record contract (docs/record-contract.md) says every write is one call of
Sources/JobStatusCore/Resources/jobstatus_write.lua with KEYS[1] = <prefix><id> and
ARGV = [operation, name, value, ...]. redis-py's register_script runs it with EVALSHA and loads it
on NOSCRIPT, so the script is sent to Redis once, not on every call.

    pip install redis
    python3 worker.py create JOB_ID --owner mis-1 --eta-seconds 90
    python3 worker.py progress JOB_ID --eta-seconds 30
    python3 worker.py processed JOB_ID --link encounter=/api/encounters/1
    python3 worker.py failed JOB_ID --status-code 404 --error '"Patient not found"'
    python3 worker.py failed-with-error JOB_ID --message "worker crashed"

Errors from the script (INVALID, EXISTS, NOTFOUND, REFUSED, TOOLARGE) are printed and exit 1.
"""
import argparse
import datetime
import json
import pathlib
import sys

import redis

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "JobStatusCore" / "Resources" / "jobstatus_write.lua"


def rfc3339_in(seconds):
    """The eta as the record stores it: UTC, millisecond precision, Z suffix."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobStatusWriter:
    """The five write operations of the record contract."""

    def __init__(self, client, key_prefix="job:"):
        self._script = client.register_script(SCRIPT.read_text())
        self._prefix = key_prefix

    def call(self, operation, job_id, arguments):
        """One call of the script: `arguments` maps names to text or bytes, passed as they are.
        The script is the contract's only gate: this class checks nothing itself."""
        args = [operation]
        for name, value in arguments.items():
            if value is not None:
                args += [name, value if isinstance(value, bytes) else str(value)]
        version, outcome = self._script(keys=[self._prefix + job_id], args=args)
        return int(version), outcome.decode()

    def _call(self, operation, job_id, **arguments):
        return self.call(operation, job_id, arguments)

    def create(self, job_id, eta, owner=None, ttl=None):
        return self._call("create", job_id, eta=eta, owner=owner, ttl=ttl)

    def progress(self, job_id, eta=None, ttl=None):
        return self._call("progress", job_id, eta=eta, ttl=ttl)

    def processed_with_links(self, job_id, links, ttl=None):
        return self._call("processed", job_id, links=json.dumps(links, separators=(",", ":")), ttl=ttl)

    def processed_with_data(self, job_id, response_data, ttl=None):
        return self._call("processed", job_id, response_data=json.dumps(response_data), ttl=ttl)

    def failed(self, job_id, status_code, error, ttl=None):
        return self._call("failed", job_id, status_code=status_code, error=json.dumps(error), ttl=ttl)

    def failed_with_error(self, job_id, message, ttl=None):
        return self._call("failed_with_error", job_id, message=message, ttl=ttl)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    parser.add_argument("--key-prefix", default="job:")
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create")
    create.add_argument("id")
    create.add_argument("--owner")
    create.add_argument("--eta-seconds", type=int, default=60)
    create.add_argument("--ttl", type=int)

    progress = commands.add_parser("progress")
    progress.add_argument("id")
    progress.add_argument("--eta-seconds", type=int)
    progress.add_argument("--ttl", type=int)

    processed = commands.add_parser("processed")
    processed.add_argument("id")
    processed.add_argument("--link", action="append", default=[], help="ENTITY=HREF")
    processed.add_argument("--response-data", help="JSON")
    processed.add_argument("--ttl", type=int)

    failed = commands.add_parser("failed")
    failed.add_argument("id")
    failed.add_argument("--status-code", type=int, required=True)
    failed.add_argument("--error", required=True, help="JSON: a string or an object")
    failed.add_argument("--ttl", type=int)

    system = commands.add_parser("failed-with-error")
    system.add_argument("id")
    system.add_argument("--message", required=True)
    system.add_argument("--ttl", type=int)

    options = parser.parse_args()
    writer = JobStatusWriter(redis.Redis.from_url(options.redis_url), options.key_prefix)
    try:
        if options.command == "create":
            result = writer.create(options.id, rfc3339_in(options.eta_seconds), options.owner, options.ttl)
        elif options.command == "progress":
            eta = rfc3339_in(options.eta_seconds) if options.eta_seconds is not None else None
            result = writer.progress(options.id, eta, options.ttl)
        elif options.command == "processed":
            if options.response_data is not None:
                result = writer.processed_with_data(options.id, json.loads(options.response_data), options.ttl)
            else:
                links = [dict(zip(("entity", "href"), link.split("=", 1))) for link in options.link]
                result = writer.processed_with_links(options.id, links, options.ttl)
        elif options.command == "failed":
            result = writer.failed(options.id, options.status_code, json.loads(options.error), options.ttl)
        else:
            result = writer.failed_with_error(options.id, options.message, options.ttl)
    except redis.exceptions.ResponseError as error:
        print(f"jobstatus script refused: {error}", file=sys.stderr)
        return 1
    version, outcome = result
    print(f"{outcome} (version {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
