#!/usr/bin/env bash
# The production topology on loopback, without Docker: one redis-server (Config/redis.conf, AOF
# on), three jobstatus fronts, nginx in front of them (Config/nginx/jobstatus.conf.template).
#
#   scripts/topology.sh up                 start everything, print where to point curl
#   scripts/topology.sh down               stop everything it started
#   scripts/topology.sh status             what runs
#   scripts/topology.sh stop-front N [SIG] stop front N (1-based) with SIGTERM (default) or SIG
#   scripts/topology.sh start-front N      start front N again, wait until it is ready and back in nginx's rotation
#
# Ports and places (environment): TOPOLOGY_DIR (.run/topology), TOPOLOGY_REDIS_PORT (6390),
# TOPOLOGY_FRONT_PORTS ("8081 8082 8083"), TOPOLOGY_LB_PORT (8080), TOPOLOGY_TOKENS_FILE
# (Config/demo-tokens.json), JOBSTATUS_BINARY (default: build the release binary). Fronts inherit
# any other jobstatus variable (LOG_ACCESS, REDIS_TIMEOUT, …).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

dir="${TOPOLOGY_DIR:-$root/.run/topology}"
redis_port="${TOPOLOGY_REDIS_PORT:-6390}"
read -r -a front_ports <<<"${TOPOLOGY_FRONT_PORTS:-8081 8082 8083}"
lb_port="${TOPOLOGY_LB_PORT:-8080}"
tokens_file="${TOPOLOGY_TOKENS_FILE:-$root/Config/demo-tokens.json}"
mkdir -p "$dir"

record_pid() { # name pid
    echo "$2" >"$dir/$1.pid"
    if [ -n "${JOBSTATUS_TEST_PIDFILE:-}" ]; then echo "$2" >>"$JOBSTATUS_TEST_PIDFILE"; fi
}

wait_http() { # url seconds
    python3 - "$1" "$2" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"no answer from {sys.argv[1]}")
PY
}

binary() {
    if [ -n "${JOBSTATUS_BINARY:-}" ]; then
        echo "$JOBSTATUS_BINARY"
        return
    fi
    swift build -c release --product jobstatus >&2
    echo "$(swift build -c release --show-bin-path)/jobstatus"
}

start_front() { # index (1-based) binary
    local index="$1" bin="$2" port="${front_ports[$(($1 - 1))]}"
    HTTP_HOST=127.0.0.1 HTTP_PORT="$port" REDIS_URL="redis://127.0.0.1:$redis_port" \
        AUTH_MODE=tokens AUTH_TOKENS_FILE="$tokens_file" HTTP_TRUST_FORWARDED_HEADERS=true \
        JOBSTATUS_CONFIG="$root/Config/jobstatus.json" \
        nohup "$bin" serve >>"$dir/front-$index.log" 2>&1 &
    record_pid "front-$index" "$!"
    wait_http "http://127.0.0.1:$port/health/ready" 30
}

stop_pid() { # name signal
    local file="$dir/$1.pid"
    [ -f "$file" ] || return 0
    local pid
    pid="$(cat "$file")"
    kill "-$2" "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
}

# nginx's fail_timeout for a front (seconds); also how long start-front waits for it to rejoin.
fail_timeout=2

render_nginx() {
    local servers=""
    for port in "${front_ports[@]}"; do
        servers+="server 127.0.0.1:$port max_fails=1 fail_timeout=${fail_timeout}s; "
    done
    NGINX_PORT="127.0.0.1:$lb_port" JOBSTATUS_UPSTREAM_SERVERS="$servers" python3 -c \
        'import os, sys; sys.stdout.write(os.path.expandvars(open(sys.argv[1]).read()))' \
        "$root/Config/nginx/jobstatus.conf.template" >"$dir/jobstatus.conf"
    mkdir -p "$dir/nginx-temp"
    chmod 777 "$dir/nginx-temp"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid.nginx;
error_log $dir/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/nginx-temp/body;
    proxy_temp_path $dir/nginx-temp/proxy;
    fastcgi_temp_path $dir/nginx-temp/fastcgi;
    uwsgi_temp_path $dir/nginx-temp/uwsgi;
    scgi_temp_path $dir/nginx-temp/scgi;
    include $dir/jobstatus.conf;
}
CONF
}

up() {
    scripts/install-deps.sh
    local bin
    bin="$(binary)"
    nohup redis-server "$root/Config/redis.conf" --port "$redis_port" --bind 127.0.0.1 --dir "$dir" \
        --daemonize no >"$dir/redis.log" 2>&1 &
    record_pid redis "$!"
    for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    for index in $(seq "${#front_ports[@]}"); do
        start_front "$index" "$bin"
    done
    render_nginx
    nohup "$(command -v nginx || echo /usr/sbin/nginx)" -c "$dir/nginx.conf" >"$dir/nginx.log" 2>&1 &
    record_pid nginx "$!"
    wait_http "http://127.0.0.1:$lb_port/health/live" 30
    cat <<TEXT
topology up: nginx http://127.0.0.1:$lb_port -> fronts ${front_ports[*]} -> redis 127.0.0.1:$redis_port (AOF in $dir)
  id=\$($bin create --redis-url redis://127.0.0.1:$redis_port --owner demo-client)
  curl -i -H 'Authorization: Bearer demo-token-for-local-use-only' http://127.0.0.1:$lb_port/api/jobs/\$id
logs: $dir/*.log; stop with: make topology-down
TEXT
}

down() {
    stop_pid nginx TERM
    for index in $(seq "${#front_ports[@]}"); do stop_pid "front-$index" TERM; done
    stop_pid redis TERM
    echo "topology down"
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    status)
        for file in "$dir"/*.pid; do
            [ -f "$file" ] || continue
            name="$(basename "$file" .pid)"
            if kill -0 "$(cat "$file")" 2>/dev/null; then echo "$name: running"; else echo "$name: gone"; fi
        done
        ;;
    stop-front) stop_pid "front-$2" "${3:-TERM}" ;;
    start-front)
        start_front "$2" "$(binary)"
        # nginx's check is passive: a front that refused a connection while it was down stays out
        # of rotation for fail_timeout. A rolling restart must not stop the next front before this
        # one is back in, or every front can be out at once.
        sleep "$fail_timeout"
        ;;
    *)
        echo "usage: $0 up|down|status|stop-front N [SIGNAL]|start-front N" >&2
        exit 64
        ;;
esac
