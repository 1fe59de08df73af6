#!/usr/bin/env python3
"""Record golden Anthropic Messages request bodies from the official `anthropic` Python SDK.

Why: `AnthropicCodec.requestBody` must put on the wire what the SDK puts there for the same call. This
script starts a capture server on 127.0.0.1 (any free port), sends each scenario through
`client.messages.create` and writes Tests/SmolRemoteTests/Fixtures/anthropic/<name>.json:

  {"name", "sdk", "stream",
   "call":    the SDK call's keyword arguments (Messages wire form),
   "swift":   the same call as the Swift side expresses it (ChatMessages / GenerateOptions, neutral JSON),
   "request": {method, path, body (JSON)}}

Headers are out of scope here (the SDK's auth header and version differ from the documented ones, see
providers.md A4). `_responses.json` holds the canned replies the Swift decoding tests reuse:
  "message"              -> the non-streamed reply (JSON)
  "stream_sse"           -> the streamed reply (the whole SSE body)
  "sdk_message"          -> what the SDK parsed from "message"
  "sdk_stream_message"   -> the SDK's accumulated final message for "stream_sse" (messages.stream)

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/record_anthropic_golden.py
"""
import json
import socket
import sys
import threading
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402

import anthropic  # noqa: E402
from smolagents.models import get_tool_json_schema  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/anthropic"
MODEL = "claude-sonnet-4-5"

# ---------------------------------------------------------------- canned replies
MESSAGE = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
    "content": [{"type": "thinking", "thinking": "The user wants weather.", "signature": "sig"},
                {"type": "text", "text": "Let me "}, {"type": "text", "text": "look that up."},
                {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}],
    "stop_reason": "tool_use", "stop_sequence": None,
    "usage": {"input_tokens": 30, "output_tokens": 12, "cache_creation_input_tokens": 5,
              "cache_read_input_tokens": 20},
}
STREAM_EVENTS = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_02", "type": "message", "role": "assistant", "model": MODEL, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 30, "output_tokens": 1, "cache_creation_input_tokens": 5,
                  "cache_read_input_tokens": 20}}}),
    ("ping", {"type": "ping"}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "thinking_delta", "thinking": "Weather: use the tool."}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "signature_delta", "signature": "sig"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1,
                             "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "text_delta", "text": "Let me "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "text_delta", "text": "look that up."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {
        "type": "tool_use", "id": "toolu_02", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": "{\"city\": "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2,
                             "delta": {"type": "input_json_delta", "partial_json": "\"Paris\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                       "usage": {"output_tokens": 42}}),
    ("message_stop", {"type": "message_stop"}),
]
STREAM_SSE = "".join(f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
                     for name, data in STREAM_EVENTS)


# ---------------------------------------------------------------- capture server
def serve(conn, log, lock):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock:
                    log.append(req)
                if json.loads(req["body"] or "{}").get("stream") is True:
                    data, kind = STREAM_SSE.encode(), "text/event-stream"
                else:
                    data, kind = json.dumps(MESSAGE).encode(), "application/json"
                conn.sendall((f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\n"
                              f"content-length: {len(data)}\r\n\r\n").encode() + data)
        except ConnectionError:
            pass


def start_server():
    srv = socket.create_server(("127.0.0.1", 0))
    log, lock = [], threading.Lock()

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, log, lock), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1], log


# ---------------------------------------------------------------- scenario data
WEATHER = {"name": "get_weather", "description": "Get the current weather for a city.",
           "inputs": {"city": {"type": "string", "description": "The city name."},
                      "unit": {"type": "string", "description": "celsius or fahrenheit.", "nullable": True}},
           "output_type": "string"}
FINAL = {"name": "final_answer", "description": "Provides a final answer to the given problem.",
         "inputs": {"answer": {"type": "any", "description": "The final answer to the problem."}},
         "output_type": "any"}
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
IMAGE_URL = "https://example.com/cat.png"
SYSTEM = "You are a terse assistant."
CACHED_SYSTEM = [{"type": "text", "text": SYSTEM},
                 {"type": "text", "text": "Long shared context.", "cache_control": {"type": "ephemeral"}}]


def tools(specs):
    return [{"name": t["name"], "description": t["description"],
             "input_schema": get_tool_json_schema(types.SimpleNamespace(**t))["function"]["parameters"]}
            for t in specs]


def text(role, value):
    return {"role": role, "content": [{"type": "text", "text": value}]}


def s(role, value=None, **extra):
    return {"role": role, **({"text": value} if value is not None else {}), **extra}


SCENARIOS = [
    dict(name="system-multi-turn",
         call=dict(max_tokens=4096, system=SYSTEM,
                   messages=[text("user", "What is the capital of France?"), text("assistant", "Paris."),
                             {"role": "user", "content": [{"type": "text", "text": "And of Italy?"},
                                                          {"type": "text", "text": "And of Spain?"}]}]),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the capital of France?"),
                              s("assistant", "Paris."), s("user", "And of Italy?"), s("user", "And of Spain?")])),
    dict(name="system-cache-control",
         call=dict(max_tokens=4096, system=CACHED_SYSTEM, messages=[text("user", "Hello")]),
         swift=dict(messages=[s("system", blocks=CACHED_SYSTEM), s("user", "Hello")])),
    dict(name="tools-any",
         call=dict(max_tokens=4096, messages=[text("user", "What is the weather in Paris?")],
                   tools=tools([WEATHER, FINAL]), tool_choice={"type": "any"}),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice="required")),
    dict(name="tools-named",
         call=dict(max_tokens=4096, messages=[text("user", "What is the weather in Paris?")],
                   tools=tools([WEATHER, FINAL]), tool_choice={"type": "tool", "name": "get_weather"}),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice={"name": "get_weather"})),
    dict(name="tool-round-trip",
         call=dict(max_tokens=4096, system=SYSTEM, messages=[
             text("user", "What is the weather in Paris?"),
             {"role": "assistant", "content": [
                 {"type": "text", "text": "Let me check."},
                 {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                  "input": {"city": "Paris", "unit": "celsius"}}]},
             {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": "toolu_1", "content": "22 °C, sunny"},
                 {"type": "text", "text": "Now give the final answer."}]}],
             tools=tools([WEATHER, FINAL]), tool_choice={"type": "auto"}),
         swift=dict(messages=[
             s("system", SYSTEM), s("user", "What is the weather in Paris?"),
             s("assistant", "Let me check.", tool_calls=[{"id": "toolu_1", "name": "get_weather",
                                                          "arguments": {"city": "Paris", "unit": "celsius"}}]),
             s("tool-response", "22 °C, sunny", tool_call_id="toolu_1"),
             s("user", "Now give the final answer.")],
             tools=[WEATHER, FINAL], tool_choice="auto")),
    dict(name="image",
         call=dict(max_tokens=4096, messages=[{"role": "user", "content": [
             {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
             {"type": "image", "source": {"type": "url", "url": IMAGE_URL}},
             {"type": "text", "text": "What is in these images?"}]}]),
         swift=dict(messages=[s("user", "What is in these images?", image_png_base64=PNG_B64, image_url=IMAGE_URL)])),
    dict(name="stop-parameters",
         call=dict(max_tokens=256, messages=[text("user", "What is the capital of France?")],
                   stop_sequences=["Observation:", "<end_code>"], extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 5}),
         swift=dict(messages=[s("user", "What is the capital of France?")],
                    stop_sequences=["Observation:", "<end_code>"],
                    parameters={"max_new_tokens": 256, "temperature": 0.2, "top_p": 0.9, "top_k": 5})),
    dict(name="stream", stream=True,
         call=dict(max_tokens=128, system=SYSTEM, messages=[text("user", "What is the weather in Paris?")],
                   tools=tools([WEATHER]), tool_choice={"type": "none"}),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")],
                    tools=[WEATHER], tool_choice="none", parameters={"max_tokens": 128})),
]


def main():
    port, log = start_server()
    client = anthropic.Anthropic(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-test", max_retries=0)
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        call = scenario["call"]
        before = len(log)
        if scenario.get("stream"):
            for _event in client.messages.create(model=MODEL, stream=True, **call):
                pass
        else:
            client.messages.create(model=MODEL, **call)
        assert len(log) == before + 1, f"{scenario['name']}: expected one request, got {len(log) - before}"
        req = log[-1]
        fixture = {"name": scenario["name"], "sdk": f"anthropic {anthropic.__version__}",
                   "stream": bool(scenario.get("stream")), "call": {"model": MODEL, **call},
                   "swift": {"model": MODEL, **scenario["swift"]},
                   "request": {"method": req["method"], "path": req["path"], "body": json.loads(req["body"])}}
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']}")
    sdk_message = client.messages.create(model=MODEL, max_tokens=16, messages=[text("user", "Hi")])
    with client.messages.stream(model=MODEL, max_tokens=16, messages=[text("user", "Hi")]) as stream:
        final = stream.get_final_message()
    responses = {"message": MESSAGE, "stream_sse": STREAM_SSE,
                 "sdk_message": sdk_message.model_dump(mode="json", exclude_none=True),
                 "sdk_stream_message": final.model_dump(mode="json", exclude_none=True)}
    (OUT / "_responses.json").write_text(json.dumps(responses, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
