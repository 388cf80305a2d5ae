#!/usr/bin/env python3
"""An OpenTelemetry collector of the end-to-end tests' own: OTLP/HTTP on 127.0.0.1:PORT.

POST /v1/traces bodies (http/protobuf, or http/json) are decoded with the `opentelemetry-proto`
package, and every span is printed as one JSON line, `span {...}`: name, kind, trace and span ids
(hex), parent span id, start and end (ns), status code, attributes, and the resource's
service.name. A test reads the lines to see what the front sent.

    otlp_receiver.py PORT [--discard]

With --discard every export is answered without being decoded (a sink for the benchmark).
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(pairs):
    return {pair.key: value(pair.value) for pair in pairs}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        request = ExportTraceServiceRequest()
        if self.server.discard:
            request.Clear()
        elif self.path != "/v1/traces":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        elif "json" in self.headers.get("Content-Type", ""):
            json_format.Parse(body, request)
        else:
            request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            service = attributes(resource_spans.resource.attributes).get("service.name")
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    line = {
                        "name": span.name,
                        "kind": span.kind,
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano,
                        "status": span.status.code,
                        "attributes": attributes(span.attributes),
                        "service": service,
                    }
                    print("span " + json.dumps(line, sort_keys=True), flush=True)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.discard = "--discard" in sys.argv[2:]
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
