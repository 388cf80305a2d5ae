#!/usr/bin/env python3
"""make retains: how many times one 303 poll retains and releases, and who does it.

ordo-one/benchmark cannot count retains here (see README, "Benchmarks"), and perf cannot say who
calls swift_retain (its samples there carry no call chain), so this counts them exactly: one
release front, one Redis, gdb attached with a counting breakpoint on swift_retain and
swift_release (scripts/bench/retain_counter.py). RETAINS_POLLS polls (default 20) go one after
the other on one keep-alive connection, as wrk sends them; then the front is left idle for as long
as the polls took, and what it did idle (timers, the credential reloader) is subtracted. Prints the
calls per poll, then the callers that make at least 1.5 of them per poll. The lines of the
request path are exact; the event loop's timers (NIO's ScheduledTask heap, the connection's tick)
run by the clock, and a poll slowed by gdb to about 0.5 s may wake them more than the idle time
does, so their lines and the total move from run to run. RETAINS_BINARY counts
another build's release binary (a parent commit's, for a before-and-after); RETAINS_SYMBOLS counts
other functions' calls (comma-separated: swift_beginAccess, malloc, …); RETAINS_DEPTH=2 or 3 names
more callers per line.
"""
import collections
import os
import pathlib
import socket
import subprocess
import sys
import time

import bench
from bench import HERE, ROOT, TOKEN, free_port, release_binary, start, start_front, wait_for_port

POLLS = int(os.environ.get("RETAINS_POLLS", "20"))
DEPTH = int(os.environ.get("RETAINS_DEPTH", "1"))
SYMBOLS = os.environ.get("RETAINS_SYMBOLS", "swift_retain,swift_release")


def poll(connection, job_id, port):
    request = f"GET /api/jobs/{job_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    connection.sendall(request.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += connection.recv(65536)
    status = head.split(b" ")[1].decode()
    if status != "303":
        sys.exit(f"a poll answered {status}, not 303: {head.decode(errors='replace')}")


def demangled(names):
    output = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                            capture_output=True, text=True).stdout.split("\n")
    return dict(zip(names, output))


def report(counts_file):
    rows = [line.rstrip("\n").split("\t") for line in open(counts_file) if line.strip()]
    names = demangled(sorted({name for row in rows for name in row[3:]}))
    per_caller = collections.Counter()
    for count, phase, symbol, *callers in rows:
        key = (symbol.removeprefix("swift_"), *(names.get(name, name)[:100] for name in callers[:DEPTH]))
        per_caller[key] += int(count) if phase == "poll" else -int(count)
    total = sum(per_caller.values()) / POLLS
    print(f"calls of {SYMBOLS} per 303 poll: {total:.0f} ({POLLS} polls, less as long idle)")
    for key, count in per_caller.most_common():
        if count / POLLS < 1.5:
            break
        print(f"{count / POLLS:7.1f}  " + " <- ".join(key))


def main():
    run = ROOT / ".run" / "retains"
    run.mkdir(parents=True, exist_ok=True)
    bench.RUN = run
    binary = os.environ.get("RETAINS_BINARY") or release_binary()
    phase_file, counts_file = run / "phase", run / "counts.tsv"
    phase_file.write_text("")
    pathlib.Path(str(phase_file) + ".armed").unlink(missing_ok=True)
    counts_file.unlink(missing_ok=True)
    redis_port = free_port()
    start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(run), "--daemonize", "no"])
    wait_for_port(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}"
    subprocess.run([sys.executable, HERE / "seed.py", redis_url, str(POLLS), "bench-", run / "etags.txt"], check=True,
                   capture_output=True)
    ids = [line.split()[0] for line in open(run / "etags.txt")]
    # Under gdb a command takes far longer than the default Redis timeout allows.
    front, port = start_front("jobstatus", binary, redis_url, {"REDIS_TIMEOUT": "120s"})
    connection = socket.create_connection(("127.0.0.1", port))
    for job_id in ids:
        poll(connection, job_id, port)  # warm: the connection, its token, the Redis link
    gdb = subprocess.Popen(["gdb", "-q", "-batch", "-p", str(front.pid), "-ex", "set pagination off",
                            "-x", str(HERE / "retain_counter.py"), "-ex", "continue"],
                           stdout=open(run / "gdb.log", "w"), stderr=subprocess.STDOUT,
                           env={**os.environ, "RETAINS_PHASE_FILE": str(phase_file), "RETAINS_COUNTS_FILE": str(counts_file),
                                "RETAINS_SYMBOLS": SYMBOLS})
    # gdb reads the symbols and sets its breakpoints (the front stopped meanwhile): polls sent
    # after that are counted.
    armed = pathlib.Path(str(phase_file) + ".armed")
    armed.unlink(missing_ok=True)
    deadline = time.monotonic() + 300
    while not armed.exists():
        if time.monotonic() > deadline or gdb.poll() is not None:
            sys.exit(f"gdb did not attach; see {run / 'gdb.log'}")
        time.sleep(0.5)
    phase_file.write_text("poll")
    started = time.monotonic()
    for job_id in ids:
        poll(connection, job_id, port)
    took = time.monotonic() - started
    phase_file.write_text("idle")
    time.sleep(took)
    phase_file.write_text("")
    deadline = time.monotonic() + 120
    while not counts_file.exists():
        if time.monotonic() > deadline or gdb.poll() is not None:
            sys.exit(f"gdb wrote no counts; see {run / 'gdb.log'}")
        time.sleep(0.5)
    # The front dies with its breakpoints in place; then gdb has nothing left to do.
    front.kill()
    front.wait()
    gdb.kill()
    report(counts_file)


if __name__ == "__main__":
    bench.run(main)
