#!/usr/bin/env python3
"""Request-capturing fake of the OpenAI / Hugging Face endpoints, for recording golden fixtures.

Why: the official SDKs (openai, huggingface_hub) are our oracle for what goes on the wire. Pointed at
this server, every request they send is logged as one JSON line; the Swift tests then send the same
scenarios to an in-process twin of this server and compare. Replies come from
Tests/SmolRemoteTests/Fixtures/golden/_responses.json, which the Swift twin reads too:
  - request body has "stream": true  -> SSE, one `data: <event>` per item of "stream_events"
  - path contains /api/models/<id>   -> "provider_mapping", with the value "<id>" replaced by <id>
  - anything else                    -> "completion"

Usage: capture_server.py PORT LOGFILE [RESPONSES_JSON]   (PORT 0: pick a free port; the first stdout
line is always `PORT=<n>`). Log lines: {"method", "path", "query", "headers", "body"} with lowercase
header names, the query as {name: value} (a list when repeated) and the body decoded as UTF-8.
Raw sockets (not http.server) so that nothing is normalised: chunked request bodies and keep-alive
are handled by hand. Binds 127.0.0.1 only.
"""
import json
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_RESPONSES = Path(__file__).resolve().parents[2] / "Tests/SmolRemoteTests/Fixtures/golden/_responses.json"


def read_request(f):
    """Parse one HTTP/1.1 request from a buffered socket file; None at EOF."""
    line = f.readline()
    while line in (b"\r\n", b"\n"):
        line = f.readline()
    if not line:
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers = {}
    while (h := f.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = h.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while (size := int(f.readline().split(b";")[0].strip(), 16)) > 0:
            body += f.read(size)
            f.readline()  # CRLF after each chunk
        while f.readline() not in (b"\r\n", b"\n", b""):  # trailers
            pass
    else:
        body = f.read(int(headers.get("content-length", "0")))
    url = urlsplit(target)
    query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query, keep_blank_values=True).items()}
    return {"method": method, "path": url.path, "query": query, "headers": headers,
            "body": body.decode("utf-8", "backslashreplace")}


def respond(conn, req, responses):
    """Send the canned reply chosen by the rules in the module docstring."""
    try:
        streaming = json.loads(req["body"]).get("stream") is True
    except (ValueError, AttributeError):
        streaming = False
    if streaming:
        head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
        conn.sendall(head.encode())
        for event in responses["stream_events"]:
            data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
            chunk = f"data: {data}\n\n".encode()
            conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.sendall(b"0\r\n\r\n")
        return
    if "/api/models/" in req["path"]:
        model_id = unquote(req["path"].split("/api/models/", 1)[1].split("/revision/")[0])
        body = json.dumps(responses["provider_mapping"]).replace('"<id>"', json.dumps(model_id))
    else:
        body = json.dumps(responses["completion"])
    data = body.encode()
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n"
    conn.sendall(head.encode() + data)


def serve_connection(conn, log_path, responses, lock):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock, open(log_path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(req) + "\n")
                respond(conn, req, responses)
                if req["headers"].get("connection", "").lower() == "close":
                    break
        except ConnectionError:
            pass  # client went away mid-request or mid-reply


def main():
    port, log_path = int(sys.argv[1]), sys.argv[2]
    responses = json.loads(Path(sys.argv[3] if len(sys.argv) > 3 else DEFAULT_RESPONSES).read_text())
    srv = socket.create_server(("127.0.0.1", port))
    print(f"PORT={srv.getsockname()[1]}", flush=True)
    lock = threading.Lock()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_connection, args=(conn, log_path, responses, lock), daemon=True).start()


if __name__ == "__main__":
    main()
