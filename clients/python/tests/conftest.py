"""Real processes for the client's end-to-end tests: a redis-server and jobstatus fronts on free
loopback ports, and the Python worker example to write jobs.

The front is the binary `swift build` made (`JOBSTATUS_BINARY` names another). Every process a test
starts is recorded in `JOBSTATUS_TEST_PIDFILE` when the test command sets it, so a crash of the test
run cannot leak one (scripts/test.sh kills them).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import pytest
import redis

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "examples" / "python"))
from worker import JobStatusWriter, rfc3339_in  # noqa: E402

TOKEN = "token-of-mis-1"
OTHER_TOKEN = "token-of-mis-2"
OWNER = "mis-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def record(process: subprocess.Popen) -> None:
    pidfile = os.environ.get("JOBSTATUS_TEST_PIDFILE")
    if pidfile:
        with open(pidfile, "a", encoding="utf-8") as file:
            file.write(f"{process.pid}\n")


def until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"not within {seconds} s: {what}")


def binary() -> str:
    explicit = os.environ.get("JOBSTATUS_BINARY")
    if explicit:
        return explicit
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    return f"{path}/jobstatus"


class Front:
    """`jobstatus serve` on a fixed port, which can be stopped and started again (a restart)."""

    def __init__(self, executable: str, redis_url: str, directory: pathlib.Path, environment: dict[str, str]):
        self.executable = executable
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = directory
        tokens = directory / "tokens.json"
        tokens.write_text(json.dumps({"tokens": [
            {"client_id": "mis-1", "sha256": hashlib.sha256(TOKEN.encode()).hexdigest(), "scopes": ["job:read"]},
            {"client_id": "mis-2", "sha256": hashlib.sha256(OTHER_TOKEN.encode()).hexdigest(), "scopes": ["job:read"]},
        ]}))
        self.environment = {
            **os.environ, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(self.port), "REDIS_URL": redis_url,
            "AUTH_MODE": "tokens", "AUTH_TOKENS_FILE": str(tokens), "JOBSTATUS_CONFIG": "", "LOG_LEVEL": "warning",
            "LIMITS_RATE": "0", **environment,
        }
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = open(self.directory / "front.log", "ab")
        self.process = subprocess.Popen([self.executable, "serve"], env=self.environment, stdout=log, stderr=log)
        record(self.process)
        until(self._live, 20, f"jobstatus serve on {self.port} (log: {self.directory / 'front.log'})")

    def _live(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def redis_url():
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no"], stdout=subprocess.DEVNULL)
    record(process)
    url = f"redis://127.0.0.1:{port}"
    until(lambda: _pings(url), 10, f"redis-server on {port}")
    yield url
    process.kill()
    process.wait()


def _pings(url: str) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def executable():
    return binary()


@pytest.fixture
def start_front(redis_url, executable):
    """Starts a front with extra settings (environment variables); stopped after the test."""
    fronts = []

    def start(**environment: str) -> Front:
        front = Front(executable, redis_url, pathlib.Path(tempfile.mkdtemp(prefix="client-front-")), environment)
        fronts.append(front)
        return front

    yield start
    for front in fronts:
        front.stop()


@pytest.fixture(scope="session")
def shared_front(redis_url, executable):
    front = Front(executable, redis_url, pathlib.Path(tempfile.mkdtemp(prefix="client-front-")), {})
    yield front
    front.stop()


class Jobs:
    """Writes jobs owned by mis-1, with fresh ids."""

    def __init__(self, url: str):
        self.redis = redis.Redis.from_url(url)
        self.writer = JobStatusWriter(self.redis)

    def watched(self, job_id: str) -> bool:
        """Whether a front holds a request for the job (it subscribes to the job's channel before
        it reads the job)."""
        return dict(self.redis.pubsub_numsub(f"job:{job_id}")).get(f"job:{job_id}".encode(), 0) > 0

    def pending(self, eta_seconds: int = 60) -> str:
        job_id = "py-" + secrets.token_urlsafe(12)
        self.writer.create(job_id, rfc3339_in(eta_seconds), owner=OWNER)
        return job_id


@pytest.fixture(scope="session")
def jobs(redis_url):
    return Jobs(redis_url)
