#!/usr/bin/env python3
"""Docker cannot run here, so this checks what can be checked without it: docker-compose.yml
parses, describes the production topology, and stays consistent with the loopback topology
(scripts/topology.sh): the same config files, the same variables, known jobstatus settings only.
Exits non-zero with one line per problem."""
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
services = compose.get("services", {})
check(set(services) >= {"redis", "front", "nginx", "worker"}, f"services are {sorted(services)}")

readme = (ROOT / "README.md").read_text()
known_variables = set(re.findall(r"^\| `[a-z_.]+` \| `([A-Z_]+)` \|", readme, re.M))
check(len(known_variables) > 10, "cannot read the configuration table of README.md")
topology = (ROOT / "scripts" / "topology.sh").read_text()
template = (ROOT / "Config" / "nginx" / "jobstatus.conf.template").read_text()

redis = services.get("redis", {})
check(any(str(volume).startswith("./Config/redis.conf:") for volume in redis.get("volumes", [])),
      "redis does not mount Config/redis.conf")
check(any(not str(volume).startswith("./") for volume in redis.get("volumes", [])), "redis keeps its data on no volume")
check("Config/redis.conf" in topology, "the loopback topology does not start Config/redis.conf")
check(re.search(r"^appendonly yes", (ROOT / "Config" / "redis.conf").read_text(), re.M) is not None,
      "Config/redis.conf does not turn the AOF on")

front = services.get("front", {})
check(front.get("deploy", {}).get("replicas") == 3, "front is not replicated three times")
check(front.get("build") == ".", "front is not built from the Dockerfile")
environment = front.get("environment", {})
for name in environment:
    check(name in known_variables, f"front sets {name}, which is not a documented jobstatus variable")
    check(name in topology or name == "HTTP_PORT", f"front sets {name}, which the loopback topology does not")
check(environment.get("REDIS_URL", "").startswith("redis://redis:"), "front does not reach the redis service")
front_port = environment.get("HTTP_PORT")

nginx = services.get("nginx", {})
check(len(nginx.get("ports", [])) == 1, "nginx does not publish exactly one port")
check(any("Config/nginx/jobstatus.conf.template:/etc/nginx/templates/" in str(volume) for volume in nginx.get("volumes", [])),
      "nginx does not render Config/nginx/jobstatus.conf.template")
check("Config/nginx/jobstatus.conf.template" in topology, "the loopback topology does not render the same template")
variables = set(re.findall(r"\$\{([A-Z_]+)\}", template))
check(variables == set(nginx.get("environment", {})), f"nginx sets {sorted(nginx.get('environment', {}))}, the template uses {sorted(variables)}")
for variable in variables:
    check(variable in topology, f"the loopback topology does not set {variable}")
upstreams = nginx.get("environment", {}).get("JOBSTATUS_UPSTREAM_SERVERS", "")
check(f"front:{front_port}" in upstreams, f"nginx does not send to front:{front_port}")
published = str(nginx.get("ports", [""])[0]).split(":")[-1]
check(published == str(nginx.get("environment", {}).get("NGINX_PORT")), "nginx publishes another port than it listens on")

worker = services.get("worker", {})
check("REDIS_URL" in worker.get("environment", {}), "the worker does not reach Redis")
check("jobstatus create" in str(worker.get("command", "")) and "jobstatus processed" in str(worker.get("command", "")),
      "the worker does not create and complete jobs")

dockerfile = (ROOT / "Dockerfile").read_text()
stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
check(len(stages) == 2 and stages[0].startswith("swift:"), f"the Dockerfile is not a two-stage Swift build: {stages}")
# The product parses RESP itself (hiredis is the tests' oracle only): the runtime stage needs no
# libhiredis, and installing it there would hide a binary that links it again.
runtime = dockerfile[dockerfile.rindex("\nFROM "):]
check(re.search(r"libhiredis", runtime) is None, "the Dockerfile's runtime stage installs libhiredis, which the binary does not link")

for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
