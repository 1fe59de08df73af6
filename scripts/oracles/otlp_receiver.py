"""A loopback OTLP/HTTP trace receiver: the oracle of what `smol` exports.

Decodes each `POST /v1/traces` body as an `ExportTraceServiceRequest` with OpenTelemetry's own generated classes
(opentelemetry-proto, from `scripts/oracles/setup.sh otel`) and answers an empty `ExportTraceServiceResponse`, as a
collector does. `GET /_spans` returns every span received so far as JSON: name, kind, ids, status, typed attributes
({"string": ...}, {"int": ...}, {"double": ...}, {"bool": ...}, {"array": [...]}), resource attributes, scope, and
the export request's path and headers. A body that does not decode is answered 400 and listed under "errors".

Usage: otlp_receiver.py PORT_FILE. Listens on an ephemeral 127.0.0.1 port, writes it to PORT_FILE, and exits when
its standard input closes (the test process that started it ended).
"""
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

lock = threading.Lock()
spans = []
errors = []


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return {"string": value.string_value}
    if kind == "int_value":
        return {"int": value.int_value}
    if kind == "double_value":
        return {"double": value.double_value}
    if kind == "bool_value":
        return {"bool": value.bool_value}
    if kind == "array_value":
        return {"array": [any_value(v) for v in value.array_value.values]}
    if kind == "kvlist_value":
        return {"kvlist": {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}}
    if kind == "bytes_value":
        return {"bytes": value.bytes_value.hex()}
    return None


def attributes(pairs):
    return {kv.key: any_value(kv.value) for kv in pairs}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/_spans":
            return self.reply(404, b"", "text/plain")
        with lock:
            body = json.dumps({"spans": spans, "errors": errors}).encode()
        self.reply(200, body, "application/json")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = ExportTraceServiceRequest()
        try:
            if headers.get("content-type") != "application/x-protobuf":
                raise DecodeError(f"content-type {headers.get('content-type')!r}")
            request.ParseFromString(body)
        except DecodeError as error:
            with lock:
                errors.append({"path": self.path, "error": str(error)})
            return self.reply(400, b"", "text/plain")
        received = []
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append({
                        "name": span.name,
                        "kind": Span.SpanKind.Name(span.kind),
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "start_unix_nano": span.start_time_unix_nano,
                        "end_unix_nano": span.end_time_unix_nano,
                        "status": Status.StatusCode.Name(span.status.code),
                        "attributes": attributes(span.attributes),
                        "events": [{"name": e.name, "attributes": attributes(e.attributes)} for e in span.events],
                        "resource": resource,
                        "scope": scope_spans.scope.name,
                        "path": self.path,
                        "headers": headers,
                    })
        with lock:
            spans.extend(received)
        self.reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))

    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
