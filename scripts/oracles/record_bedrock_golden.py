#!/usr/bin/env python3
"""Record golden Bedrock Converse / ConverseStream requests from boto3 (the official SDK).

Why: the Swift `AmazonBedrockServerModel` must put on the wire what boto3's `bedrock-runtime` client puts
there, SigV4 signature included. This script starts a capture server on 127.0.0.1:PORT (fixed, because
the signed `host` header carries the port), freezes botocore's signing clock at 2026-11-26T10:00:00Z,
runs each scenario through `converse` / `converse_stream` with fixed credentials (AKIDEXAMPLE, with and
without a session token) and writes Tests/SmolRemoteTests/Fixtures/bedrock/golden/<name>.json:

  {"name", "sdk", "client": {region, access_key, secret_key, session_token|null, frozen_time, endpoint_url},
   "call":  the boto3 call (model_id, Converse wire messages, system, inferenceConfig, toolConfig, ...),
   "swift": the same call as the Swift side expresses it (ChatMessages / GenerateOptions, neutral JSON),
   "request": {method, path (raw, percent-encoded), headers (content-type, x-amz-date,
               x-amz-security-token, authorization), body (JSON), body_raw (the exact bytes, as text)},
   "sdk_response": what boto3 returned (converse) or the events it yielded (converse_stream)}

Each boto3 call is chosen to be exactly what `ConverseCodec.requestBody` should produce for the "swift"
call. `_responses.json` holds the canned replies, which the Swift twin of this server reuses:
  /model/*/converse        -> "converse" (JSON)
  /model/*/converse-stream -> "converse_stream_base64" (the whole event-stream body; "converse_stream_events"
                              lists the frames it was built from)

The Authorization header can only match byte for byte when the body bytes match, and boto3's JSON
(`json.dumps`, `", "` separators, service-model key order) differs from Swift's. So the fixture keeps
`body_raw`: the Swift test signs those exact bytes and compares all four headers byte for byte, and checks
the live request's signature over its own body.

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/record_bedrock_golden.py [--port 18087]
"""
import argparse
import base64
import binascii
import datetime
import json
import socket
import struct
import sys
import threading
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
from botocore.config import Config  # noqa: E402
from smolagents.models import get_tool_json_schema  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/bedrock/golden"
FROZEN = datetime.datetime(2026, 11, 26, 10, 0, 0)
KEPT_HEADERS = ("content-type", "x-amz-date", "x-amz-security-token", "authorization")
ACCESS_KEY, SECRET_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//session+token/=="
REGION = "us-east-1"
MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"

botocore.auth.get_current_datetime = lambda *a, **k: FROZEN

# ---------------------------------------------------------------- canned replies
CONVERSE = {
    "output": {"message": {"role": "assistant", "content": [
        {"text": "Let me look that up."},
        {"toolUse": {"toolUseId": "tooluse_weather_1", "name": "get_weather", "input": {"city": "Paris"}}}]}},
    "stopReason": "tool_use",
    "usage": {"inputTokens": 30, "outputTokens": 12, "totalTokens": 67, "cacheReadInputTokens": 20,
              "cacheWriteInputTokens": 5},
    "metrics": {"latencyMs": 321},
}
STREAM_EVENTS = [
    ("messageStart", {"role": "assistant", "p": "abcdef"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me "}, "p": "abc"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "look that up."}}),
    ("contentBlockStop", {"contentBlockIndex": 0}),
    ("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_weather_1",
                                                                          "name": "get_weather"}}}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"city\": "}}}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"Paris\"}"}}}),
    ("contentBlockStop", {"contentBlockIndex": 1}),
    ("messageStop", {"stopReason": "tool_use"}),
    ("metadata", {"usage": CONVERSE["usage"], "metrics": {"latencyMs": 321}, "p": "abcdefghij"}),
]


def frame(headers, payload):
    """One event-stream message (providers.md B3); headers: [(name, str_value)], all type 7."""
    hb = b"".join(bytes([len(n)]) + n.encode() + b"\x07" + struct.pack(">H", len(v.encode())) + v.encode()
                  for n, v in headers)
    prelude = struct.pack(">II", 16 + len(hb) + len(payload), len(hb))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    msg = prelude + hb + payload
    return msg + struct.pack(">I", binascii.crc32(msg))


STREAM_BODY = b"".join(
    frame([(":event-type", name), (":content-type", "application/json"), (":message-type", "event")],
          json.dumps(payload, separators=(",", ":")).encode())
    for name, payload in STREAM_EVENTS)


# ---------------------------------------------------------------- capture server
def serve(conn, log, lock):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock:
                    log.append(req)
                if req["path"].endswith("/converse-stream"):
                    head = ("HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n"
                            "transfer-encoding: chunked\r\n\r\n").encode()
                    conn.sendall(head)
                    for i in range(0, len(STREAM_BODY), 37):
                        chunk = STREAM_BODY[i:i + 37]
                        conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    conn.sendall(b"0\r\n\r\n")
                else:
                    data = json.dumps(CONVERSE).encode()
                    conn.sendall(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                  f"content-length: {len(data)}\r\n\r\n").encode() + data)
        except ConnectionError:
            pass


def start_server(port):
    srv = socket.create_server(("127.0.0.1", port))
    log, lock = [], threading.Lock()

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, log, lock), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return log


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
GUARDRAIL = {"guardrailIdentifier": "gr-abc123", "guardrailVersion": "1", "trace": "enabled"}


def tool_specs(tools):
    return [{"toolSpec": {"name": t["name"], "description": t["description"],
                          "inputSchema": {"json": get_tool_json_schema(types.SimpleNamespace(**t))["function"]["parameters"]}}}
            for t in tools]


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def s(role, text=None, **extra):
    return {"role": role, **({"text": text} if text is not None else {}), **extra}


SCENARIOS = [
    dict(name="system-multi-turn",
         call=dict(messages=[user("What is the capital of France?"),
                             {"role": "assistant", "content": [{"text": "Paris."}]},
                             user("And of Italy?")],
                   system=[{"text": SYSTEM}]),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the capital of France?"),
                              s("assistant", "Paris."), s("user", "And of Italy?")])),
    dict(name="tools-any", token=True,
         call=dict(messages=[user("What is the weather in Paris?")],
                   toolConfig={"tools": tool_specs([WEATHER, FINAL]), "toolChoice": {"any": {}}}),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice="required")),
    dict(name="tools-named",
         call=dict(messages=[user("What is the weather in Paris?")],
                   toolConfig={"tools": tool_specs([WEATHER, FINAL]), "toolChoice": {"tool": {"name": "get_weather"}}}),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice={"name": "get_weather"})),
    dict(name="tool-round-trip",
         call=dict(messages=[
             user("What is the weather in Paris?"),
             {"role": "assistant", "content": [
                 {"text": "Let me check."},
                 {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather",
                              "input": {"city": "Paris", "unit": "celsius"}}}]},
             {"role": "user", "content": [
                 {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "22 °C, sunny"}], "status": "success"}},
                 {"text": "Now give the final answer."}]}],
             system=[{"text": SYSTEM}],
             toolConfig={"tools": tool_specs([WEATHER, FINAL]), "toolChoice": {"auto": {}}}),
         swift=dict(messages=[
             s("system", SYSTEM), s("user", "What is the weather in Paris?"),
             s("assistant", "Let me check.", tool_calls=[{"id": "tooluse_1", "name": "get_weather",
                                                          "arguments": {"city": "Paris", "unit": "celsius"}}]),
             s("tool-response", "22 °C, sunny", tool_call_id="tooluse_1"),
             s("user", "Now give the final answer.")],
             tools=[WEATHER, FINAL], tool_choice="auto")),
    dict(name="image",
         call=dict(messages=[{"role": "user", "content": [
             {"image": {"format": "png", "source": {"bytes": base64.b64decode(PNG_B64)}}},
             {"text": "What is in this image?"}]}]),
         swift=dict(messages=[s("user", "What is in this image?", image_png_base64=PNG_B64)])),
    dict(name="stop-inference", token=True,
         call=dict(messages=[user("What is the capital of France?")],
                   inferenceConfig={"maxTokens": 256, "temperature": 0.2, "topP": 0.9,
                                    "stopSequences": ["Observation:", "<end_code>"]}),
         swift=dict(messages=[s("user", "What is the capital of France?")],
                    stop_sequences=["Observation:", "<end_code>"],
                    parameters={"max_tokens": 256, "temperature": 0.2, "top_p": 0.9})),
    dict(name="guardrail-additional",
         call=dict(messages=[user("What is the capital of France?")],
                   guardrailConfig=GUARDRAIL, additionalModelRequestFields={"top_k": 5}),
         swift=dict(messages=[s("user", "What is the capital of France?")],
                    parameters={"guardrailConfig": GUARDRAIL, "additionalModelRequestFields": {"top_k": 5}})),
    dict(name="inference-profile-arn", token=True, model=ARN,
         call=dict(messages=[user("Hello")]),
         swift=dict(messages=[s("user", "Hello")])),
    dict(name="response-format",
         call=dict(messages=[user("Capital of France as JSON.")],
                   toolConfig={"tools": [{"toolSpec": {
                       "name": "json_response", "description": "Answer with a JSON value matching this schema.",
                       "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}},
                                                "required": ["city"]}}}}],
                       "toolChoice": {"tool": {"name": "json_response"}}}),
         swift=dict(messages=[s("user", "Capital of France as JSON.")],
                    response_format={"type": "json_schema", "json_schema": {"name": "capital", "schema": {
                        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})),
    dict(name="stream", stream=True,
         call=dict(messages=[user("What is the weather in Paris?")], system=[{"text": SYSTEM}],
                   inferenceConfig={"maxTokens": 128},
                   toolConfig={"tools": tool_specs([WEATHER]), "toolChoice": {"auto": {}}}),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")],
                    tools=[WEATHER], tool_choice="auto", parameters={"max_tokens": 128})),
    dict(name="stream-session-token", stream=True, token=True,
         call=dict(messages=[user("Hello")]),
         swift=dict(messages=[s("user", "Hello")])),
]


def jsonable(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18087)
    args = parser.parse_args()
    log = start_server(args.port)
    endpoint = f"http://127.0.0.1:{args.port}"
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        token = SESSION_TOKEN if scenario.get("token") else None
        client = boto3.client("bedrock-runtime", region_name=REGION, endpoint_url=endpoint,
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                              aws_session_token=token,
                              config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        model_id = scenario.get("model", MODEL)
        call = scenario["call"]
        before = len(log)
        if scenario.get("stream"):
            out = client.converse_stream(modelId=model_id, **call)
            sdk_response = [jsonable(event) for event in out["stream"]]
        else:
            sdk_response = jsonable(client.converse(modelId=model_id, **call))
        assert len(log) == before + 1, f"{scenario['name']}: expected one request, got {len(log) - before}"
        req = log[-1]
        wire_call = {"model_id": model_id, "messages": jsonable(call["messages"]), "system": call.get("system")}
        for key in ("inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields"):
            wire_call[key] = call.get(key)
        fixture = {
            "name": scenario["name"],
            "sdk": f"boto3 {boto3.__version__}",
            "client": {"region": REGION, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY,
                       "session_token": token, "frozen_time": FROZEN.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "endpoint_url": endpoint},
            "stream": bool(scenario.get("stream")),
            "call": wire_call,
            "swift": {"model_id": model_id, **scenario["swift"]},
            "request": {"method": req["method"], "path": req["path"],
                        "headers": {k: req["headers"][k] for k in KEPT_HEADERS if k in req["headers"]},
                        "body": json.loads(req["body"]), "body_raw": req["body"]},
            "sdk_response": sdk_response,
        }
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']}")
    responses = {"converse": CONVERSE,
                 "converse_stream_events": [{"type": t, "payload": p} for t, p in STREAM_EVENTS],
                 "converse_stream_base64": base64.b64encode(STREAM_BODY).decode()}
    (OUT / "_responses.json").write_text(json.dumps(responses, indent=2) + "\n")


if __name__ == "__main__":
    main()
