#!/usr/bin/env python3
"""An identity provider's JWKS endpoint for the end-to-end tests: GET /jwks on 127.0.0.1:PORT.

What it answers is read from files in STATE_DIR at each request, so a test changes it by writing
them: `jwks.json` (the body), `cache-control` (the header, when the file exists) and `mode`:
`up` (the default: 200), `down` (503), `hang` (no answer for a minute) or `huge` (the key set
followed by 2 MiB of blanks: valid JSON, larger than the front reads). Every request is
logged as one line, `fetch <mode>`, so a test counts the fetches.

    jwks_server.py PORT STATE_DIR
"""
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def read(state, name, default=None):
    try:
        with open(os.path.join(state, name), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return default


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        state = self.server.state
        mode = (read(state, "mode", b"up") or b"up").decode().strip()
        print(f"fetch {mode}", flush=True)
        if mode == "hang":
            time.sleep(60)
            return
        if mode == "down" or self.path != "/jwks":
            self.send_response(503 if mode == "down" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = read(state, "jwks.json", b'{"keys":[]}')
        if mode == "huge":
            body += b" " * (2 << 20)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        cache_control = read(state, "cache-control")
        if cache_control is not None:
            self.send_header("Cache-Control", cache_control.decode().strip())
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port, state = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.state = state
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
