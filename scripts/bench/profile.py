#!/usr/bin/env python3
"""make profile: a perf profile of the 303 poll under load. One release front, one Redis, 100,000
seeded processed jobs, wrk -t1 -c64 (the bench's request generator) for PROFILE_SECONDS (default 15)
while `perf record -g` samples the front; then the report's top, by symbol, without children.
The report is left in .run/profile/perf.data (`perf report -i …` for more). PROFILE_BINARY profiles
another build's release binary instead (a parent commit's, for a before-and-after).
"""
import os
import subprocess
import sys

import bench
from bench import HERE, ROOT, TOKEN, free_port, release_binary, start, start_front, wait_for_port

SECONDS = int(os.environ.get("PROFILE_SECONDS", "15"))


def main():
    run = ROOT / ".run" / "profile"
    run.mkdir(parents=True, exist_ok=True)
    bench.RUN = run
    binary = os.environ.get("PROFILE_BINARY") or release_binary()
    redis_port = free_port()
    start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(run), "--daemonize", "no"])
    wait_for_port(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}"
    subprocess.run([sys.executable, HERE / "seed.py", redis_url, "100000", "bench-", run / "etags.txt"], check=True)
    front, front_port = start_front("jobstatus", binary, redis_url)
    env = {**os.environ, "TOKEN": TOKEN, "ETAGS": str(run / "etags.txt")}
    url = f"http://127.0.0.1:{front_port}/"
    subprocess.run(["wrk", "-t1", "-c64", "-d2s", "-s", str(HERE / "jobs.lua"), url], capture_output=True, env=env)
    load = subprocess.Popen(["wrk", "-t1", "-c64", f"-d{SECONDS + 2}s", "-s", str(HERE / "jobs.lua"), url],
                            stdout=subprocess.PIPE, text=True, env=env)
    subprocess.run(["perf", "record", "-F", "999", "-g", "-o", str(run / "perf.data"), "-p", str(front.pid),
                    "--", "sleep", str(SECONDS)], check=True, capture_output=True)
    output = load.communicate(timeout=SECONDS + 60)[0]
    print(next((line.strip() for line in output.splitlines() if "Requests/sec" in line), "wrk printed no rate"))
    report = subprocess.run(["perf", "report", "-i", str(run / "perf.data"), "--no-children", "--stdio", "--fields", "overhead,sym",
                             "-g", "none", "--percent-limit", "0.7"], capture_output=True, text=True).stdout
    print("\n".join(line.rstrip() for line in report.splitlines() if line.strip() and not line.startswith("#")))


if __name__ == "__main__":
    bench.run(main)
