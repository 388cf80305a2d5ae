#!/usr/bin/env python3
"""A poll load for fault tests: keeps polling jobs until told to stop, then says what failed.

    load.py BASE_URL TOKEN STOP_FILE ID [ID ...]

Threads poll random ids over keep-alive connections until STOP_FILE exists. A poll fails when the
connection breaks or the status is not 200, 303 or 304. Prints one JSON line with the totals and
the first failures.
"""
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

THREADS = int(os.environ.get("LOAD_THREADS", "4"))


def main():
    base, token, stop_file, ids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    target = urllib.parse.urlsplit(base)
    lock = threading.Lock()
    totals = {"polls": 0, "failed": 0, "statuses": {}, "failures": []}

    def record(status=None, failure=None):
        with lock:
            totals["polls"] += 1
            if status is not None:
                totals["statuses"][str(status)] = totals["statuses"].get(str(status), 0) + 1
            if failure is not None:
                totals["failed"] += 1
                if len(totals["failures"]) < 20:
                    totals["failures"].append(f"{time.strftime('%H:%M:%S')} {failure}")

    def poll():
        connection = None
        while not os.path.exists(stop_file):
            if connection is None:
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
            job = random.choice(ids)
            try:
                connection.request("GET", f"{target.path.rstrip('/')}/api/jobs/{job}", headers={"Authorization": f"Bearer {token}"})
                response = connection.getresponse()
                response.read()
                if response.status in (200, 303, 304):
                    record(status=response.status)
                else:
                    record(status=response.status, failure=f"{job}: HTTP {response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as error:
                record(failure=f"{job}: {type(error).__name__}: {error}")
                connection.close()
                connection = None

    threads = [threading.Thread(target=poll) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(totals))


if __name__ == "__main__":
    main()
