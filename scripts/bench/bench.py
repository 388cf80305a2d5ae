#!/usr/bin/env python3
"""make bench: jobstatus against the HTTP ceiling (nginx, a fixed file), the framework's floor (SwiftNIO
answering every request with the front's recorded 303 response and doing nothing else: Benchmarks/Floor)
and the nearest peer (webdis, HGETALL), measured in one run with the same wrk settings (the same Lua request
generator: random job ids and the bearer token for every target), plus the 304 path, the same
polls over TLS to Redis (rediss://, against the same Redis's --tls-port), a front without Redis
heartbeats, a long-poll run with thousands of waiters, and the job-list run (scripts/bench/batch.py:
100 jobs followed as one list long poll, as 100 single long polls and as 100 polls a second).
Prints tables; asserts nothing. Every row has the server's and Redis' CPU time per request; every
wrk run is bounded (one that does not end within three times its duration is killed and reported
as stuck, its row's medians taken over the runs that finished).

Environment: BENCH_DURATION (seconds per wrk run, default 10), BENCH_ROUNDS (interleaved rounds,
default 3; medians are reported), BENCH_JOBS (seeded jobs, default 100000), BENCH_WAITERS
(long-poll waiters, default 10000), BENCH_CONNECTIONS (wrk -c, default 64), BENCH_BASELINE (another
commit's release binary of jobstatus: measured in the same rounds as "baseline (303 poll)", so a change
to the request path is compared with its parent in one run, not across two noisy ones),
BENCH_BATCH_JOBS (jobs of the job-list run, default 100; 0 skips it), BENCH_BATCH_PACE (seconds
between two completions in it, default 0.05), BENCH_CLUSTER_WAITERS (the long-poll run again
against a local Redis Cluster of 3 primaries with a replica each, beside the standalone one:
wake-up latency, cluster bus messages per write, sharded subscriptions per node; default
BENCH_WAITERS, 0 skips it), BENCH_TRACING (1, the default: the poll again with OpenTelemetry tracing
on, sampled at 1 % and at 100 %, exporting to a local OTLP/HTTP sink; 0 skips it).
"""
import json
import os
import pathlib
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
RUN = ROOT / ".run" / "bench"
TOKEN = "bench-token-not-a-secret"

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
JOBS = int(os.environ.get("BENCH_JOBS", "100000"))
WAITERS = int(os.environ.get("BENCH_WAITERS", "10000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
BASELINE = os.environ.get("BENCH_BASELINE")
BATCH_JOBS = int(os.environ.get("BENCH_BATCH_JOBS", "100"))
BATCH_PACE = os.environ.get("BENCH_BATCH_PACE", "0.05")
CLUSTER_WAITERS = int(os.environ.get("BENCH_CLUSTER_WAITERS", str(WAITERS)))
TRACING = os.environ.get("BENCH_TRACING", "1") != "0"

processes = []


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(name, command, env=None):
    log = open(RUN / f"{name}.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    processes.append(process)
    return process


def release_binary(product="jobstatus", package=ROOT):
    """A product of a package's release build (built by scripts/bench.sh): jobstatus, or the NIO
    floor (`release_binary("NIOFloor", ROOT / "Benchmarks" / "Floor")`)."""
    return pathlib.Path(subprocess.run(["swift", "build", "-c", "release", "--package-path", str(package), "--show-bin-path"],
                                       capture_output=True, text=True, cwd=ROOT).stdout.strip()) / product


def start_front(name, executable, redis_url, extra=None):
    """A front the bench token may poll, without per-client limits (one bench client makes every
    request), listening; (process, port)."""
    import hashlib
    tokens = RUN / "tokens.json"
    if not tokens.exists():
        tokens.write_text(json.dumps({"tokens": [
            {"client_id": "bench", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest(), "scopes": ["job:read"]}]}))
    port = free_port()
    process = start(name, [str(executable), "serve"], {
        "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "REDIS_URL": redis_url, "AUTH_MODE": "tokens",
        "AUTH_TOKENS_FILE": str(tokens), "LOG_LEVEL": "warning", "JOBSTATUS_CONFIG": "",
        "LIMITS_RATE": "0", "LIMITS_MAX_WAITERS_PER_CLIENT": "1000000", **(extra or {}),
    })
    wait_for_port(port)
    return process, port


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"nothing listens on port {port}; see {RUN}")


def memory_mb(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def to_ms(text):
    value, unit = float(re.match(r"([\d.]+)", text).group(1)), re.sub(r"[\d.]", "", text)
    return value * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def cpu_seconds(pid):
    """User + system CPU time a process and its children alive now (nginx's workers) have used so far."""
    def own(process):
        try:
            fields = open(f"/proc/{process}/stat").read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return 0, None
        return int(fields[11]) + int(fields[12]), int(fields[1])
    ticks, _ = own(pid)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != pid:
            child_ticks, parent = own(entry)
            if parent == pid:
                ticks += child_ticks
    return ticks / os.sysconf("SC_CLK_TCK")


STUCK = {"rps": float("nan"), "p50": float("nan"), "p99": float("nan"), "cpu_us": float("nan"), "redis_cpu_us": float("nan"),
         "non2xx": 0, "socket_errors": ""}


def wrk(url, script=None, env=None, measure_pid=None, redis_pid=None):
    """One wrk run: req/s, latency, and the CPU the server (`measure_pid`) and Redis spent per request.
    A run that does not end within three times its duration is killed and reported as stuck."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    cpu_before = cpu_seconds(measure_pid) if measure_pid else None
    redis_before = cpu_seconds(redis_pid) if redis_pid else None
    try:
        output = subprocess.run(command + [url], capture_output=True, text=True, env={**os.environ, **(env or {})},
                                timeout=3 * DURATION + 10).stdout
    except subprocess.TimeoutExpired:
        print(f"    wrk against {url} did not end within {3 * DURATION + 10} s: killed, reported as stuck", flush=True)
        return {**STUCK, "socket_errors": "stuck (killed)"}
    found = re.search(r"(\d+) requests in", output)
    if not found or int(found.group(1)) == 0:
        print(f"    wrk against {url} answered nothing usable: {output.strip()[-300:]}", flush=True)
        return {**STUCK, "socket_errors": "no requests"}
    requests = int(found.group(1))
    cpu_per_request = (cpu_seconds(measure_pid) - cpu_before) * 1e6 / requests if measure_pid else float("nan")
    redis_per_request = (cpu_seconds(redis_pid) - redis_before) * 1e6 / requests if redis_pid else float("nan")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    # The latency distribution's own lines: "85.50%" at the end of the thread stats would match too.
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": p50, "p99": p99, "cpu_us": cpu_per_request, "redis_cpu_us": redis_per_request, "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def start_cluster(primaries=3):
    """A Redis Cluster of `primaries` primaries with one replica each on loopback; its seed URL."""
    ports = [free_port() for _ in range(primaries * 2)]
    for port in ports:
        directory = RUN / f"cluster-{port}"
        directory.mkdir()
        start(f"cluster-{port}", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                  "--dir", str(directory), "--daemonize", "no", "--cluster-enabled", "yes",
                                  "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"])
    for port in ports:
        wait_for_port(port)
    subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{port}" for port in ports], "--cluster-replicas", "1",
                    "--cluster-yes"], check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = [subprocess.run(["redis-cli", "-p", str(port), "cluster", "info"], capture_output=True, text=True).stdout
                  for port in ports]
        slots = subprocess.run(["redis-cli", "-p", str(ports[0]), "cluster", "shards"], capture_output=True, text=True).stdout
        if all("cluster_state:ok" in state for state in states) and slots.count("online") >= len(ports):
            return f"redis://127.0.0.1:{ports[0]}"
        time.sleep(0.2)
    sys.exit(f"the bench's cluster did not become ready; see {RUN}")


def long_poll_run(front_port, front_pid, redis_url, prefix, cluster=False):
    """scripts/bench/longpoll.py's figures, or None (its error printed)."""
    extra = ["--cluster"] if cluster else []
    output = subprocess.run([sys.executable, HERE / "longpoll.py", "127.0.0.1", str(front_port), TOKEN, redis_url,
                             str(CLUSTER_WAITERS if cluster else WAITERS), prefix, str(front_pid), *extra],
                            capture_output=True, text=True)
    if output.returncode != 0:
        print("long-poll run failed:\n" + output.stderr)
        return None
    return json.loads(output.stdout)


def main():
    for tool in ("wrk", "nginx", "webdis", "redis-server"):
        if not shutil.which(tool) and not pathlib.Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing (scripts/bench.sh installs it)")
    shutil.rmtree(RUN, ignore_errors=True)
    (RUN / "www").mkdir(parents=True)
    binary = release_binary()

    redis_port = free_port()
    tls_port = free_port()
    certificates = RUN / "certificates"
    subprocess.run(["sh", ROOT / "scripts" / "testing" / "make_test_certificates.sh", certificates], check=True)
    redis = start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(RUN), "--daemonize", "no", "--tls-port", str(tls_port),
                    "--tls-cert-file", str(certificates / "server.crt"), "--tls-key-file", str(certificates / "server.key"),
                    "--tls-ca-cert-file", str(certificates / "ca.crt"), "--tls-auth-clients", "no"])
    wait_for_port(redis_port)
    wait_for_port(tls_port)
    redis_url = f"redis://127.0.0.1:{redis_port}"
    began = time.monotonic()
    subprocess.run([sys.executable, HERE / "seed.py", redis_url, str(JOBS), "bench-", RUN / "etags.txt"], check=True)
    seeded = time.monotonic() - began

    def front_at(name, extra=None, executable=binary):
        return start_front(name, executable, redis_url, extra)

    front, front_port = front_at("jobstatus")
    # The same front without metrics, to show what collecting them costs.
    plain_front, plain_port = front_at("jobstatus-no-metrics", {"METRICS_ENABLED": "false"})
    # The same front over TLS to the same Redis, and one that never sends a heartbeat PING.
    tls_front, tls_port_front = front_at("jobstatus-tls", {
        "REDIS_URL": f"rediss://127.0.0.1:{tls_port}", "REDIS_TLS_CA_FILE": str(certificates / "ca.crt")})
    quiet_front, quiet_port = front_at("jobstatus-no-heartbeat", {"REDIS_HEARTBEAT": "0"})
    baseline_front, baseline_port = front_at("baseline", executable=BASELINE) if BASELINE else (None, None)
    traced = {}
    if TRACING:
        # An OTLP/HTTP sink that takes every export and decodes none: the cost measured is the front's.
        sink_port = free_port()
        start("otlp-sink", [sys.executable, ROOT / "scripts" / "testing" / "otlp_receiver.py", str(sink_port), "--discard"])
        wait_for_port(sink_port)
        for name, sampler in (("1%", {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}),
                              ("100%", {"OTEL_TRACES_SAMPLER": "always_on"})):
            traced[name] = front_at(f"jobstatus-traced-{name[:-1]}pct",
                                       {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}", **sampler})
    time.sleep(1)
    idle_rss = memory_mb(front.pid, "VmRSS")

    # The front's whole answer to one poll, head and body, as wrk's requests get it: nginx serves
    # its body, the NIO floor all of it.
    with socket.create_connection(("127.0.0.1", front_port)) as connection:
        connection.sendall(f"GET /api/jobs/bench-0 HTTP/1.1\r\nHost: 127.0.0.1:{front_port}\r\n"
                           f"Authorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n".encode())
        recorded = b"".join(iter(lambda: connection.recv(65536), b""))
    envelope = recorded.partition(b"\r\n\r\n")[2]
    (RUN / "www" / "job.json").write_bytes(envelope)
    # Keep-alive, as the front answers wrk.
    (RUN / "floor-response").write_bytes(recorded.replace(b"Connection: close\r\n", b""))
    floor_port = free_port()
    floor = start("nio-floor", [str(release_binary("NIOFloor", ROOT / "Benchmarks" / "Floor")), str(floor_port), str(RUN / "floor-response")])

    nginx_port = free_port()
    (RUN / "nginx.conf").write_text(f"""
worker_processes auto;
daemon off;
pid {RUN}/nginx.pid;
error_log {RUN}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{nginx_port};
    root {RUN}/www;
    default_type application/json;
    location /api/jobs/ {{ rewrite ^ /job.json break; }}
  }}
}}
""")
    nginx = start("nginx", ["nginx", "-c", str(RUN / "nginx.conf")])
    webdis_port = free_port()
    (RUN / "webdis.json").write_text(json.dumps({
        "redis_host": "127.0.0.1", "redis_port": redis_port, "redis_auth": None, "http_host": "127.0.0.1",
        "http_port": webdis_port, "threads": os.cpu_count(), "pool_size": 20, "daemonize": False, "database": 0,
        "verbosity": 0, "logfile": str(RUN / "webdis-internal.log")}))
    webdis = start("webdis", ["webdis", str(RUN / "webdis.json")])
    wait_for_port(nginx_port)
    wait_for_port(webdis_port)
    wait_for_port(floor_port)

    job_env = {"TOKEN": TOKEN, "ETAGS": str(RUN / "etags.txt")}
    targets = {
        "jobstatus (303 poll)": (f"http://127.0.0.1:{front_port}/", HERE / "jobs.lua", job_env),
        "jobstatus (304, If-None-Match)": (f"http://127.0.0.1:{front_port}/", HERE / "jobs.lua",
                                            {**job_env, "CONDITIONAL": "1"}),
        "jobstatus (303, metrics off)": (f"http://127.0.0.1:{plain_port}/", HERE / "jobs.lua", job_env),
        "jobstatus (303, rediss://)": (f"http://127.0.0.1:{tls_port_front}/", HERE / "jobs.lua", job_env),
        "jobstatus (303, heartbeat off)": (f"http://127.0.0.1:{quiet_port}/", HERE / "jobs.lua", job_env),
        "nginx (static envelope)": (f"http://127.0.0.1:{nginx_port}/", HERE / "jobs.lua", job_env),
        "NIO floor (recorded 303)": (f"http://127.0.0.1:{floor_port}/", HERE / "jobs.lua", job_env),
        "webdis (HGETALL)": (f"http://127.0.0.1:{webdis_port}/", HERE / "jobs.lua", {**job_env, "WEBDIS": "1"}),
    }
    if BASELINE:
        targets["baseline (303 poll)"] = (f"http://127.0.0.1:{baseline_port}/", HERE / "jobs.lua", job_env)
    for name, (_, port) in traced.items():
        targets[f"jobstatus (303, traced {name})"] = (f"http://127.0.0.1:{port}/", HERE / "jobs.lua", job_env)
    print(f"seeded {JOBS} processed jobs in {seeded:.1f}s; envelope {len(envelope)} bytes; "
          f"wrk -t1 -c{CONNECTIONS} -d{DURATION}s, {ROUNDS} interleaved rounds (medians)", flush=True)
    for url, script, env in targets.values():
        subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", "-d2s"] + (["-s", str(script)] if script else []) + [url],
                       capture_output=True, env={**os.environ, **(env or {})})
    results = {name: [] for name in targets}
    for round_number in range(ROUNDS):
        for name, (url, script, env) in targets.items():
            servers = {"metrics off": plain_front, "rediss": tls_front, "heartbeat off": quiet_front, "baseline": baseline_front,
                       "nginx": nginx, "webdis": webdis, "NIO floor": floor, **{f"traced {name})": process for name, (process, _) in traced.items()}}
            measured = next((process for key, process in servers.items() if key in name), front)
            results[name].append(wrk(url, script, env, measured.pid, redis.pid))
        print(f"  round {round_number + 1}: " + ", ".join(f"{name} {runs[-1]['rps']:.0f}"
                                                         for name, runs in results.items()), flush=True)
    peak_rss = memory_mb(front.pid, "VmHWM")

    def median_of(values):
        # A stuck run has no figures: the median is of the runs that finished.
        finished = [value for value in values if value == value]
        return statistics.median(finished) if finished else float("nan")
    median = {name: {key: median_of([run[key] for run in runs]) for key in ("rps", "p50", "p99", "cpu_us", "redis_cpu_us")}
              for name, runs in results.items()}
    print()
    print("CPU us/req: the server's (jobstatus, nginx with its workers, webdis) and Redis' CPU time per request answered")
    print(f"{'target':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10} {'Redis us/req':>12}  notes")
    for name, values in median.items():
        runs = results[name]
        notes = []
        if any(run["non2xx"] for run in runs) and not any(peer in name for peer in ("nginx", "webdis", "NIO floor")):
            notes.append(f"{sum(run['non2xx'] for run in runs)} non-2xx/3xx")
        if any(run["socket_errors"] for run in runs):
            notes.append("socket errors: " + "; ".join(run["socket_errors"] for run in runs if run["socket_errors"]))
        print(f"{name:34} {values['rps']:>9.0f} {values['p50']:>8.2f} {values['p99']:>8.2f} {values['cpu_us']:>10.1f} "
              f"{values['redis_cpu_us']:>12.1f}  {' '.join(notes)}")
    poll = median["jobstatus (303 poll)"]["rps"]
    print()
    print(f"jobstatus / nginx  = {poll / median['nginx (static envelope)']['rps']:.2f}   (target >= 0.70)")
    print(f"jobstatus / webdis = {poll / median['webdis (HGETALL)']['rps']:.2f}   (target >= 1.30)")
    floor_row = median["NIO floor (recorded 303)"]
    print(f"jobstatus / NIO floor = {poll / floor_row['rps']:.2f} in req/s; front CPU per poll {median['jobstatus (303 poll)']['cpu_us']:.1f} us, "
          f"of which the floor (read, pipeline, write of the same bytes on SwiftNIO) {floor_row['cpu_us']:.1f} us")
    conditional = median["jobstatus (304, If-None-Match)"]
    print(f"304 / 303 poll     = {conditional['rps'] / poll:.2f} in req/s, "
          f"{median['jobstatus (303 poll)']['cpu_us'] / conditional['cpu_us']:.2f} in server CPU per request   (target > 1)")
    print(f"metrics cost       = {1 - poll / median['jobstatus (303, metrics off)']['rps']:+.1%} of throughput   (target <= 5%)")
    tls = median["jobstatus (303, rediss://)"]
    print(f"TLS to Redis cost  = {1 - tls['rps'] / poll:+.1%} of throughput, "
          f"{tls['cpu_us'] / median['jobstatus (303 poll)']['cpu_us']:.2f}x server CPU per request   (goal <= 20%)")
    print(f"heartbeat cost     = {1 - poll / median['jobstatus (303, heartbeat off)']['rps']:+.1%} of throughput "
          f"(no connection is idle at full load, so no PING is sent)")
    for name in traced:
        values = median[f"jobstatus (303, traced {name})"]
        print(f"tracing {name:>4} cost = {1 - values['rps'] / poll:+.1%} of throughput, "
              f"{values['cpu_us'] / median['jobstatus (303 poll)']['cpu_us']:.2f}x server CPU per request (tracing off: the 303 poll)")
    print(f"jobstatus RSS: idle {idle_rss:.1f} MB (target <= 40), peak under load {peak_rss:.1f} MB")
    if BASELINE:
        baseline = median["baseline (303 poll)"]
        print(f"this commit / baseline = {poll / baseline['rps']:.2f} in req/s, "
              f"{median['jobstatus (303 poll)']['cpu_us'] / baseline['cpu_us']:.2f}x server CPU per request ({BASELINE})")

    if WAITERS > 0:
        subprocess.run([sys.executable, HERE / "seed.py", redis_url, str(WAITERS), "lp-", "--pending"], check=True)
        poll_result = long_poll_run(front_port, front.pid, redis_url, "lp-")
        if poll_result:
            print()
            print(f"long poll: {poll_result['answered']}/{poll_result['waiters']} waiters answered "
                  f"(statuses {poll_result['statuses']}); wake-up after the write p50 {poll_result['wake_p50_ms']} ms, "
                  f"p99 {poll_result['wake_p99_ms']} ms (target <= 50), max {poll_result['wake_max_ms']} ms")
            print(f"           Redis subscriptions {poll_result['subscriptions']} for {WAITERS} waited jobs, "
                  f"at most {poll_result['max_subscribers_per_job']} per job; "
                  f"front peak RSS {poll_result['front_peak_rss_mb']} MB (target <= 300)")

    if CLUSTER_WAITERS > 0:
        cluster_url = start_cluster()
        cluster_front, cluster_port = front_at("jobstatus-cluster", {"REDIS_URL": cluster_url, "REDIS_MODE": "cluster"})
        subprocess.run([sys.executable, HERE / "seed.py", cluster_url, str(CLUSTER_WAITERS), "clp-", "--pending", "--cluster"],
                       check=True)
        cluster_result = long_poll_run(cluster_port, cluster_front.pid, cluster_url, "clp-", cluster=True)
        if cluster_result:
            print()
            print(f"long poll, 3-primary cluster: {cluster_result['answered']}/{cluster_result['waiters']} waiters answered "
                  f"(statuses {cluster_result['statuses']}); wake-up p50 {cluster_result['wake_p50_ms']} ms, "
                  f"p99 {cluster_result['wake_p99_ms']} ms, max {cluster_result['wake_max_ms']} ms (standalone above)")
            print(f"           cluster bus messages per write: {cluster_result['bus_publish_per_write']} publish "
                  f"(classic PUBLISH: one per other node), {cluster_result['bus_publishshard_per_write']} publishshard "
                  f"(SPUBLISH: to the shard's replica)")
            print(f"           sharded subscriptions per node: {cluster_result['subscriptions_per_node']}")

    if BATCH_JOBS > 0:
        output = subprocess.run([sys.executable, HERE / "batch.py", "127.0.0.1", str(front_port), TOKEN, redis_url,
                                 str(front.pid), str(BATCH_JOBS), BATCH_PACE], capture_output=True, text=True)
        if output.returncode != 0:
            print("job-list run failed:\n" + output.stderr)
        else:
            print()
            print(f"following {BATCH_JOBS} pending jobs to the end, one completed every {BATCH_PACE} s (per job completion):")
            print(f"{'way':34} {'Redis cmds':>10} {'HTTP reqs':>10} {'CPU ms':>8} {'learned p50 ms':>15} {'max ms':>8}")
            for line in output.stdout.splitlines():
                row = json.loads(line)
                name = {"list": "one list long poll", "long polls": f"{BATCH_JOBS} single long polls",
                        "polls at 1 s": f"{BATCH_JOBS} single polls at 1 s"}[row["way"]]
                print(f"{name:34} {row['redis_commands_per_job']:>10.2f} {row['http_requests_per_job']:>10.2f} "
                      f"{row['front_cpu_ms_per_job']:>8.3f} {row['learned_after_ms_p50']:>15.1f} {row['learned_after_ms_max']:>8.1f}")


def run(entry):
    """Runs `entry`, then stops every process it started (bench, profile, retains)."""
    try:
        entry()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    run(main)
