#!/usr/bin/env python3
"""Record golden Ollama `/api/chat` requests, and the parsed form of canned NDJSON replies, from the
official `ollama` Python client.

Why: `OllamaCodec` must put on the wire what the `ollama` client puts there for the same call, and read
Ollama's replies (one JSON object, or an NDJSON stream of them) as that client reads them. No Ollama
server exists on PyPI, so this script starts a capture server on 127.0.0.1 (any free port) that logs
each request and answers with the canned replies below, sends each scenario through
`ollama.Client(host=…).chat(…)` with OLLAMA_API_KEY set, and writes
Tests/SmolRemoteTests/Fixtures/ollama/<name>.json:

  {"name", "sdk", "stream",
   "call":    the client call's keyword arguments,
   "swift":   the same call as the Swift side expresses it (the neutral format AnthropicGolden reads,
              plus "response_format"),
   "request": {method, path, headers (content-type, accept, authorization), body (JSON)}}

and `_responses.json`, the canned replies and what the client parsed from them:
  "message"            -> a non-streamed /api/chat reply (text, thinking, two tool calls, counters)
  "stream_ndjson"      -> a streamed reply: NDJSON, ending with a `done: true` line carrying the counters
  "error_ndjson"       -> a stream that breaks off with an `{"error": …}` line
  "sdk_message"        -> ChatResponse.model_dump() of "message"
  "sdk_stream"         -> ChatResponse.model_dump() of every line of "stream_ndjson"
  "sdk_error"          -> the ResponseError the client raised for "error_ndjson" (error text) and the
                          chunks it yielded before it

Run: bash scripts/oracles/setup.sh ollama && ~/.cache/swift-smolagents/venv-ollama/bin/python scripts/oracles/record_ollama_golden.py
"""
import json
import os
import socket
import sys
import threading
import types as pytypes
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402

API_KEY = "ollama-test-key"
os.environ["OLLAMA_API_KEY"] = API_KEY  # read when the client is created

import ollama  # noqa: E402
from importlib.metadata import version  # noqa: E402
from smolagents.models import get_tool_json_schema  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/ollama"
MODEL = "llama3.2"
STAMP = "2026-11-26T15:00:00.000000Z"

# ---------------------------------------------------------------- canned replies
MESSAGE = {
    "model": MODEL, "created_at": STAMP,
    "message": {"role": "assistant", "content": "Let me look that up. ☀️", "thinking": "The user wants weather.",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}},
                    {"function": {"index": 1, "name": "final_answer", "arguments": {"answer": {"n": [1, 2.5, None]}}}}]},
    "done": True, "done_reason": "stop", "total_duration": 5_000_000, "load_duration": 1_000_000,
    "prompt_eval_count": 31, "prompt_eval_duration": 2_000_000, "eval_count": 17, "eval_duration": 2_000_000,
}


def line(message, **extra):
    return {"model": MODEL, "created_at": STAMP, "message": {"role": "assistant", **message}, "done": False, **extra}


STREAM_LINES = [
    line({"content": "", "thinking": "Weather: "}),
    line({"content": "", "thinking": "use the tool."}),
    line({"content": "Let me "}),
    line({"content": "look that up — ☀️ "}),
    line({"content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}),
    line({"content": "", "tool_calls": [{"function": {"name": "final_answer", "arguments": {"answer": "soon"}}}]}),
    {**line({"content": ""}), "done": True, "done_reason": "stop", "total_duration": 9_000_000,
     "load_duration": 1_000_000, "prompt_eval_count": 26, "prompt_eval_duration": 3_000_000,
     "eval_count": 12, "eval_duration": 4_000_000},
]
STREAM_NDJSON = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in STREAM_LINES)
ERROR_LINES = [line({"content": "Par"}), {"error": "model runner has unexpectedly stopped"}]
ERROR_NDJSON = "".join(json.dumps(item) + "\n" for item in ERROR_LINES)


# ---------------------------------------------------------------- capture server
def serve(conn, log, lock, replies):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock:
                    log.append(req)
                body = json.loads(req["body"])
                if body.get("stream", True) is False:
                    data, kind = json.dumps(MESSAGE).encode(), "application/json; charset=utf-8"
                else:
                    data, kind = replies.get("stream", STREAM_NDJSON).encode(), "application/x-ndjson"
                conn.sendall((f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\n"
                              f"content-length: {len(data)}\r\n\r\n").encode() + data)
        except ConnectionError:
            pass


def start_server(replies):
    srv = socket.create_server(("127.0.0.1", 0))
    log, lock = [], threading.Lock()

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, log, lock, replies), daemon=True).start()

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
SYSTEM = "You are a terse assistant."
ANSWER_SCHEMA = {"type": "object", "additionalProperties": False, "title": "Answer",
                 "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
                 "required": ["city", "temperature"]}


def tools(specs):
    return [get_tool_json_schema(pytypes.SimpleNamespace(**t)) for t in specs]


def s(role, value=None, **extra):
    return {"role": role, **({"text": value} if value is not None else {}), **extra}


SCENARIOS = [
    dict(name="system-multi-turn",
         call=dict(messages=[{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": "What is the capital of France?"},
                             {"role": "assistant", "content": "Paris."},
                             {"role": "user", "content": "And of Italy?"}]),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the capital of France?"),
                              s("assistant", "Paris."), s("user", "And of Italy?")])),
    dict(name="options",
         call=dict(messages=[{"role": "user", "content": "What is the capital of France?"}],
                   options={"temperature": 0.2, "top_p": 0.9, "top_k": 5, "num_predict": 256, "seed": 42,
                            "stop": ["Observation:", "<end_code>"]}),
         swift=dict(messages=[s("user", "What is the capital of France?")],
                    stop_sequences=["Observation:", "<end_code>"],
                    parameters={"temperature": 0.2, "top_p": 0.9, "top_k": 5, "max_tokens": 256, "seed": 42})),
    dict(name="tools",
         call=dict(messages=[{"role": "user", "content": "What is the weather in Paris?"}],
                   tools=tools([WEATHER, FINAL])),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice="required")),
    dict(name="tool-round-trip",
         call=dict(messages=[
             {"role": "system", "content": SYSTEM},
             {"role": "user", "content": "What is the weather in Paris?"},
             {"role": "assistant", "content": "Let me check.",
              "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
             {"role": "tool", "content": "22 °C, sunny", "tool_name": "get_weather"},
             {"role": "user", "content": "Now give the final answer."}], tools=tools([WEATHER, FINAL])),
         swift=dict(messages=[
             s("system", SYSTEM), s("user", "What is the weather in Paris?"),
             s("assistant", "Let me check.", tool_calls=[{"id": "call_1", "name": "get_weather",
                                                          "arguments": {"city": "Paris", "unit": "celsius"}}]),
             s("tool-response", "22 °C, sunny", tool_call_id="call_1"),
             s("user", "Now give the final answer.")],
             tools=[WEATHER, FINAL], tool_choice="auto")),
    dict(name="image",
         call=dict(messages=[{"role": "user", "content": "What is in this image?", "images": [PNG_B64]}]),
         swift=dict(messages=[s("user", "What is in this image?", image_png_base64=PNG_B64)])),
    dict(name="json-format",
         call=dict(messages=[{"role": "user", "content": "Weather in Paris as JSON."}], format="json"),
         swift=dict(messages=[s("user", "Weather in Paris as JSON.")], response_format={"type": "json_object"})),
    dict(name="json-schema",
         call=dict(messages=[{"role": "user", "content": "Weather in Paris as JSON."}], format=ANSWER_SCHEMA),
         swift=dict(messages=[s("user", "Weather in Paris as JSON.")],
                    response_format={"type": "json_schema", "json_schema": {"name": "Answer", "schema": ANSWER_SCHEMA}})),
    dict(name="stream", stream=True,
         call=dict(messages=[{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": "What is the weather in Paris?"}],
                   tools=tools([WEATHER]), options={"num_predict": 128}),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")],
                    tools=[WEATHER], tool_choice="required", parameters={"max_tokens": 128})),
]

HEADERS = ("content-type", "accept", "authorization")


def main():
    replies = {}
    port, log = start_server(replies)
    client = ollama.Client(host=f"http://127.0.0.1:{port}")
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        before = len(log)
        stream = bool(scenario.get("stream"))
        result = client.chat(model=MODEL, stream=stream, **scenario["call"])
        if stream:
            for _chunk in result:
                pass
        assert len(log) == before + 1, f"{scenario['name']}: expected one request, got {len(log) - before}"
        req = log[-1]
        fixture = {"name": scenario["name"], "sdk": f"ollama {version('ollama')}", "stream": stream,
                   "call": {"model": MODEL, "stream": stream, **scenario["call"]},
                   "swift": {"model": MODEL, **scenario["swift"]},
                   "request": {"method": req["method"], "path": req["path"],
                               "headers": {k: req["headers"][k] for k in HEADERS if k in req["headers"]},
                               "body": json.loads(req["body"])}}
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']}")

    hi = [{"role": "user", "content": "Hi"}]
    sdk_message = client.chat(model=MODEL, messages=hi).model_dump(mode="json", exclude_none=True)
    sdk_stream = [c.model_dump(mode="json", exclude_none=True) for c in client.chat(model=MODEL, messages=hi, stream=True)]
    replies["stream"] = ERROR_NDJSON
    before_error, error_text = [], None
    try:
        for chunk in client.chat(model=MODEL, messages=hi, stream=True):
            before_error.append(chunk.model_dump(mode="json", exclude_none=True))
    except ollama.ResponseError as error:
        error_text = error.error
    assert error_text is not None, "the client must raise for an error line"
    responses = {"message": MESSAGE, "stream_ndjson": STREAM_NDJSON, "error_ndjson": ERROR_NDJSON,
                 "sdk_message": sdk_message, "sdk_stream": sdk_stream,
                 "sdk_error": {"error": error_text, "chunks_before": before_error}}
    (OUT / "_responses.json").write_text(json.dumps(responses, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
