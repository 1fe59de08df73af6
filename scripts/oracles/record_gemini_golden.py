#!/usr/bin/env python3
"""Record golden Gemini `generateContent` request bodies from the official `google-genai` Python SDK.

Why: `GeminiCodec.requestBody` must put on the wire what the SDK puts there for the same call. This
script starts a capture server on 127.0.0.1 (any free port), sends each scenario through
`client.models.generate_content` (or `generate_content_stream`) with API version v1beta and writes
Tests/SmolRemoteTests/Fixtures/gemini/<name>.json:

  {"name", "sdk", "stream",
   "call":    the SDK call's keyword arguments (JSON form of the SDK's types),
   "swift":   the same call as the Swift side expresses it (ChatMessages / GenerateOptions, neutral JSON,
              the format AnthropicGolden reads, plus "response_format"),
   "request": {method, path, body (JSON)}}

Headers are out of scope here. `_responses.json` holds the canned replies the Swift decoding tests reuse:
  "message"          -> the non-streamed reply (JSON)
  "stream_sse"       -> the streamed reply (the whole SSE body)
  "sdk_message"      -> what the SDK parsed from "message"
  "sdk_stream"       -> what the SDK parsed from each chunk of "stream_sse"

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/record_gemini_golden.py
"""
import base64
import json
import socket
import sys
import threading
import types as pytypes
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402

import google.genai  # noqa: E402
from google import genai  # noqa: E402
from google.genai import types  # noqa: E402
from smolagents.models import get_tool_json_schema  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/gemini"
MODEL = "gemini-2.5-flash"

# ---------------------------------------------------------------- canned replies
MESSAGE = {
    "candidates": [{"content": {"role": "model", "parts": [
        {"text": "The user wants weather.", "thought": True},
        {"text": "Let me "}, {"text": "look that up."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 55, "candidatesTokenCount": 12, "cachedContentTokenCount": 20,
                      "thoughtsTokenCount": 8, "totalTokenCount": 75},
    "modelVersion": MODEL, "responseId": "resp_1",
}
STREAM_CHUNKS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Weather: use the tool.", "thought": True}]},
                     "index": 0}],
     "usageMetadata": {"promptTokenCount": 55, "cachedContentTokenCount": 20, "thoughtsTokenCount": 8,
                       "totalTokenCount": 63}, "modelVersion": MODEL, "responseId": "resp_2"},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Let me "}]}, "index": 0}],
     "usageMetadata": {"promptTokenCount": 55, "candidatesTokenCount": 2, "cachedContentTokenCount": 20,
                       "thoughtsTokenCount": 8, "totalTokenCount": 65}, "modelVersion": MODEL, "responseId": "resp_2"},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "look that up."}]}, "index": 0}],
     "modelVersion": MODEL, "responseId": "resp_2"},
    {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"id": "fc_1", "name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"name": "final_answer", "args": {"answer": "soon"}}}]},
        "finishReason": "STOP", "index": 0}],
     "usageMetadata": {"promptTokenCount": 55, "candidatesTokenCount": 30, "cachedContentTokenCount": 20,
                       "thoughtsTokenCount": 8, "totalTokenCount": 93}, "modelVersion": MODEL, "responseId": "resp_2"},
]
STREAM_SSE = "".join(f"data: {json.dumps(chunk, separators=(',', ':'))}\r\n\r\n" for chunk in STREAM_CHUNKS)


# ---------------------------------------------------------------- capture server
def serve(conn, log, lock):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock:
                    log.append(req)
                if ":streamGenerateContent" in req["path"]:
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
ANSWER_SCHEMA = {"type": "object", "additionalProperties": False, "title": "Answer",
                 "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
                 "required": ["city", "temperature"]}


def tools(specs):
    return [types.Tool(function_declarations=[
        types.FunctionDeclaration(name=t["name"], description=t["description"],
                                  parameters=get_tool_json_schema(pytypes.SimpleNamespace(**t))["function"]["parameters"])
        for t in specs])]


def text(role, *values):
    return types.Content(role=role, parts=[types.Part(text=v) for v in values])


def system():
    return types.Content(parts=[types.Part(text=SYSTEM)])


def calling(mode, names=None):
    return types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode=mode, allowed_function_names=names))


def s(role, value=None, **extra):
    return {"role": role, **({"text": value} if value is not None else {}), **extra}


SCENARIOS = [
    dict(name="system-multi-turn",
         contents=[text("user", "What is the capital of France?"), text("model", "Paris."),
                   text("user", "And of Italy?", "And of Spain?")],
         config=types.GenerateContentConfig(system_instruction=system()),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the capital of France?"),
                              s("assistant", "Paris."), s("user", "And of Italy?"), s("user", "And of Spain?")])),
    dict(name="tools-any",
         contents=[text("user", "What is the weather in Paris?")],
         config=types.GenerateContentConfig(tools=tools([WEATHER, FINAL]), tool_config=calling("ANY")),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice="required")),
    dict(name="tools-named",
         contents=[text("user", "What is the weather in Paris?")],
         config=types.GenerateContentConfig(tools=tools([WEATHER, FINAL]),
                                            tool_config=calling("ANY", ["get_weather"])),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice={"name": "get_weather"})),
    dict(name="tool-round-trip",
         contents=[
             text("user", "What is the weather in Paris?"),
             types.Content(role="model", parts=[
                 types.Part(text="Let me check."),
                 types.Part(function_call=types.FunctionCall(id="call_1", name="get_weather",
                                                             args={"city": "Paris", "unit": "celsius"}))]),
             types.Content(role="user", parts=[
                 types.Part(function_response=types.FunctionResponse(id="call_1", name="get_weather",
                                                                     response={"result": "22 °C, sunny"})),
                 types.Part(text="Now give the final answer.")])],
         config=types.GenerateContentConfig(system_instruction=system(), tools=tools([WEATHER, FINAL]),
                                            tool_config=calling("AUTO")),
         swift=dict(messages=[
             s("system", SYSTEM), s("user", "What is the weather in Paris?"),
             s("assistant", "Let me check.", tool_calls=[{"id": "call_1", "name": "get_weather",
                                                          "arguments": {"city": "Paris", "unit": "celsius"}}]),
             s("tool-response", "22 °C, sunny", tool_call_id="call_1"),
             s("user", "Now give the final answer.")],
             tools=[WEATHER, FINAL], tool_choice="auto")),
    dict(name="image",
         contents=[types.Content(role="user", parts=[
             types.Part.from_bytes(data=base64.b64decode(PNG_B64), mime_type="image/png"),
             types.Part.from_uri(file_uri=IMAGE_URL, mime_type="image/png"),
             types.Part(text="What is in these images?")])],
         config=None,
         swift=dict(messages=[s("user", "What is in these images?", image_png_base64=PNG_B64, image_url=IMAGE_URL)])),
    dict(name="stop-parameters",
         contents=[text("user", "What is the capital of France?")],
         config=types.GenerateContentConfig(max_output_tokens=256, temperature=0.2, top_p=0.9, top_k=5, seed=42,
                                            stop_sequences=["Observation:", "<end_code>"]),
         swift=dict(messages=[s("user", "What is the capital of France?")],
                    stop_sequences=["Observation:", "<end_code>"],
                    parameters={"max_new_tokens": 256, "temperature": 0.2, "top_p": 0.9, "top_k": 5, "seed": 42})),
    dict(name="json-schema",
         contents=[text("user", "Weather in Paris as JSON.")],
         config=types.GenerateContentConfig(response_mime_type="application/json", response_schema=ANSWER_SCHEMA),
         swift=dict(messages=[s("user", "Weather in Paris as JSON.")],
                    response_format={"type": "json_schema", "json_schema": {"name": "Answer", "schema": ANSWER_SCHEMA}})),
    dict(name="stream", stream=True,
         contents=[text("user", "What is the weather in Paris?")],
         config=types.GenerateContentConfig(system_instruction=system(), max_output_tokens=128,
                                            tools=tools([WEATHER]), tool_config=calling("NONE")),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")],
                    tools=[WEATHER], tool_choice="none", parameters={"max_tokens": 128})),
]


def dump(value):
    if isinstance(value, list):
        return [dump(v) for v in value]
    if value is None:
        return None
    return value.model_dump(mode="json", exclude_none=True)


def main():
    port, log = start_server()
    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(
        base_url=f"http://127.0.0.1:{port}", api_version="v1beta"))
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        before = len(log)
        kwargs = dict(model=MODEL, contents=scenario["contents"], config=scenario["config"])
        if scenario.get("stream"):
            for _chunk in client.models.generate_content_stream(**kwargs):
                pass
        else:
            client.models.generate_content(**kwargs)
        assert len(log) == before + 1, f"{scenario['name']}: expected one request, got {len(log) - before}"
        req = log[-1]
        call = {"model": MODEL, "contents": dump(scenario["contents"]), "config": dump(scenario["config"])}
        fixture = {"name": scenario["name"], "sdk": f"google-genai {google.genai.__version__}",
                   "stream": bool(scenario.get("stream")), "call": call,
                   "swift": {"model": MODEL, **scenario["swift"]},
                   "request": {"method": req["method"], "path": req["path"], "body": json.loads(req["body"])}}
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']}")
    sdk_message = client.models.generate_content(model=MODEL, contents="Hi")
    sdk_stream = [c.model_dump(mode="json", exclude_none=True)
                  for c in client.models.generate_content_stream(model=MODEL, contents="Hi")]
    responses = {"message": MESSAGE, "stream_sse": STREAM_SSE,
                 "sdk_message": sdk_message.model_dump(mode="json", exclude_none=True), "sdk_stream": sdk_stream}
    (OUT / "_responses.json").write_text(json.dumps(responses, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
