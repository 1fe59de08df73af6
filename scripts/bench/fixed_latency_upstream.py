"""A fixed-latency OpenAI-compatible upstream for scripts/bench/serve-gateway.sh.

POST /v1/chat/completions waits DELAY_MS, then answers a canned chat.completion (non-streamed) or, for
"stream": true, a canned SSE stream of 10 chat.completion.chunk events and `data: [DONE]` (all sent at once
after the delay). GET /v1/models and GET /health answer at once. Listens on 127.0.0.1 only.

    python fixed_latency_upstream.py PORT [DELAY_MS]

Plain asyncio (stdlib only): HTTP/1.1 with keep-alive, Content-Length or chunked request bodies; enough for
the OpenAI SDK (LiteLLM), httpx and smol's client. It runs as its own process, so the gateways' CPU figures
do not include it; the benchmark hits it directly too, to subtract its latency (delay + the client's own cost).
"""

import asyncio
import json
import sys

MODEL = "bench-model"
CONTENT = "Hello! How can I assist you today?"
COMPLETION = json.dumps({
    "id": "chatcmpl-bench0123456789", "object": "chat.completion", "created": 1748000000, "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": CONTENT, "refusal": None},
                 "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
    "system_fingerprint": "fp_bench",
}, separators=(",", ":")).encode()


def _chunk(delta, finish=None, usage=None):
    body = {"id": "chatcmpl-bench0123456789", "object": "chat.completion.chunk", "created": 1748000000,
            "model": MODEL, "system_fingerprint": "fp_bench",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = usage
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


# 10 chunks: the role, eight pieces of content, the finish reason (with usage); then [DONE].
_WORDS = ["Hello!", " How", " can", " I", " assist", " you", " today", "?"]
STREAM = (_chunk({"role": "assistant", "content": ""})
          + b"".join(_chunk({"content": w}) for w in _WORDS)
          + _chunk({}, "stop", {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29})
          + b"data: [DONE]\n\n")
MODELS = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "bench"}]}).encode()


def response(status, body, content_type="application/json"):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode() + body


async def read_body(reader, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readline()
    length = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(length) if length else b""


async def handle(reader, writer, delay):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                method, path, _ = line.decode("latin-1").split(" ", 2)
            except ValueError:
                break
            headers = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await read_body(reader, headers)
            path = path.split("?", 1)[0]
            if method == "POST" and path.endswith("/chat/completions"):
                try:
                    stream = bool(json.loads(body or b"{}").get("stream"))
                except ValueError:
                    writer.write(response(400, b'{"error":{"message":"bad json"}}'))
                    await writer.drain()
                    continue
                await asyncio.sleep(delay)
                if stream:
                    writer.write(response(200, STREAM, "text/event-stream"))
                else:
                    writer.write(response(200, COMPLETION))
            elif method == "GET" and path.endswith("/models"):
                writer.write(response(200, MODELS))
            elif method == "GET" and path in ("/health", "/"):
                writer.write(response(200, b'{"status":"ok"}'))
            else:
                writer.write(response(404, b'{"error":{"message":"not found"}}'))
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1])
    delay = float(sys.argv[2] if len(sys.argv) > 2 else 20) / 1000
    server = await asyncio.start_server(lambda r, w: handle(r, w, delay), "127.0.0.1", port, backlog=1024)
    print(f"fixed-latency upstream on http://127.0.0.1:{port}/v1, delay {delay * 1000:g} ms", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop  # faster when the venv has it; the protocol is the same
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main())
