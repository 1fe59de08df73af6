#!/usr/bin/env python3
"""Record how `litellm.completion` emulates `response_format` for `anthropic/` models (issue 16).

LiteLLM turns a json_schema response_format into a forced tool (`json_tool_call`, its input schema the answer's
schema, `tool_choice` {"type": "tool", "name": "json_tool_call"}) for models without native structured output, and
hands the tool's input back as the message content. Pointed at a capture server answering with a canned Anthropic
`tool_use` reply (non-streamed JSON, then the same as Messages SSE events), this records the request LiteLLM sent
and what it returned, to Tests/SmolRemoteTests/Fixtures/litellm-anthropic/response-format.json:

  {"litellm", "model", "call" (messages, response_format), "reply" (the canned message), "events" (the SSE events),
   "request": {path, headers (x-api-key, anthropic-version), body}, "parsed": {content, tool_calls, finish_reason},
   "stream_request": {...}, "stream_parsed": {content, tool_calls, finish_reason}}

Run: ~/.cache/swift-smolagents/venv-litellm/bin/python scripts/oracles/record_litellm_anthropic_json.py
"""
import json
import os
import socket
import sys
import threading
from pathlib import Path

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402

import litellm  # noqa: E402
from importlib.metadata import version  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/litellm-anthropic/response-format.json"
MODEL = "anthropic/claude-3-5-haiku-20241022"  # no native structured output in LiteLLM's table: the tool route
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
          "required": ["city", "temperature"], "additionalProperties": False}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "weather", "schema": SCHEMA, "strict": True}}
MESSAGES = [{"role": "system", "content": "You are a terse assistant."},
            {"role": "user", "content": "Weather in Paris as JSON."}]
ANSWER = {"city": "Paris", "temperature": 21.5}
REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-20241022",
         "content": [{"type": "tool_use", "id": "toolu_1", "name": "json_tool_call", "input": ANSWER}],
         "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": 30, "output_tokens": 12}}
EVENTS = [
    {"type": "message_start", "message": {**REPLY, "content": [], "stop_reason": None,
                                          "usage": {"input_tokens": 30, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0,
     "content_block": {"type": "tool_use", "id": "toolu_1", "name": "json_tool_call", "input": {}}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}},
    {"type": "content_block_delta", "index": 0,
     "delta": {"type": "input_json_delta", "partial_json": "ris\", \"temperature\": 21.5}"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None}, "usage": {"output_tokens": 12}},
    {"type": "message_stop"},
]


def serve(conn, log):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                log.append(req)
                body = json.loads(req["body"] or "{}")
                if body.get("stream"):
                    data = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in EVENTS).encode()
                    kind = "text/event-stream"
                else:
                    data, kind = json.dumps(REPLY).encode(), "application/json"
                conn.sendall((f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {len(data)}\r\n\r\n").encode()
                             + data)
        except ConnectionError:
            pass


def main():
    srv = socket.create_server(("127.0.0.1", 0))
    log = []
    threading.Thread(target=lambda: [threading.Thread(target=serve, args=(srv.accept()[0], log), daemon=True).start()
                                     for _ in iter(int, 1)], daemon=True).start()
    base = f"http://127.0.0.1:{srv.getsockname()[1]}"
    common = dict(model=MODEL, messages=MESSAGES, response_format=RESPONSE_FORMAT, api_base=base, api_key="test-provider-key",
                  max_tokens=256)

    def request(entry):
        headers = {k: v for k, v in entry["headers"].items() if k in ("x-api-key", "anthropic-version", "content-type")}
        return {"path": entry["path"], "headers": headers, "body": json.loads(entry["body"])}

    def parsed(message, finish):
        calls = [{"name": c.function.name, "arguments": c.function.arguments} for c in (message.tool_calls or [])]
        return {"content": message.content, "tool_calls": calls, "finish_reason": finish}

    response = litellm.completion(**common)
    out = {"litellm": version("litellm"), "model": MODEL, "call": {"messages": MESSAGES, "response_format": RESPONSE_FORMAT,
                                                                     "max_tokens": 256},
           "reply": REPLY, "events": EVENTS, "request": request(log[-1]),
           "parsed": parsed(response.choices[0].message, response.choices[0].finish_reason)}
    chunks = list(litellm.completion(**common, stream=True))
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    finish = next((c.choices[0].finish_reason for c in reversed(chunks) if c.choices and c.choices[0].finish_reason), None)
    out["stream_request"] = request(log[-1])
    out["stream_parsed"] = {"content": content, "tool_calls": [{"name": tc.function.name} for tc in calls if tc.function.name],
                            "finish_reason": finish}
    OUT.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
