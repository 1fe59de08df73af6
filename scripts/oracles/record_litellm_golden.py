#!/usr/bin/env python3
"""Record golden requests from `litellm.completion` itself, for `LiteLLMModel`'s LiteLLM-specific routes.

Why: where no official SDK defines the wire format, LiteLLM does. Two groups of scenarios:
  - `ollama/<model>`: LiteLLM's `/api/generate` route, which flattens the chat into one
    "### System:/### User:/### Assistant:" prompt and, given tools, asks for JSON (`format: "json"`)
    after a function prompt added to the system message. Canned replies are `/api/generate` JSON or
    NDJSON; what LiteLLM parsed from them is recorded too (the response oracle for that route).
  - OpenAI-compatible prefixes (groq, together_ai, deepseek, …): what LiteLLM sends to
    `{api_base}/chat/completions` for one smolagents-shaped call (messages as smolagents prepares them
    for that prefix, tools, tool_choice "required", stop, max_tokens, temperature), streamed and not.
LiteLLM is pointed at a capture server on 127.0.0.1 with `api_base`; its default base URLs are checked
by the provider table tests, not here. Writes Tests/SmolRemoteTests/Fixtures/litellm/<name>.json:

  {"name", "litellm", "model", "api_base_path", "stream",
   "call":    litellm.completion's keyword arguments (api_base left out),
   "swift":   the same call in the neutral format AnthropicGolden reads,
   "request": {method, path, headers (authorization, content-type), body (JSON)},
   "parsed":  what litellm returned: content, tool calls (name, arguments), finish_reason, usage}

Run: ~/.cache/swift-smolagents/venv-litellm/bin/python scripts/oracles/record_litellm_golden.py
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

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/litellm"
KEY = "test-provider-key"

# ---------------------------------------------------------------- canned replies
GENERATE_TEXT = {"model": "llama3.2", "created_at": "2026-11-26T15:00:00Z", "response": "Paris is the capital.",
                 "done": True, "done_reason": "stop", "prompt_eval_count": 21, "eval_count": 6}
GENERATE_TOOL = {**GENERATE_TEXT,
                 "response": '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
                 "eval_count": 19}
GENERATE_LINES = [{"model": "llama3.2", "created_at": "2026-11-26T15:00:00Z", "response": piece, "done": False}
                  for piece in ["Par", "is — ", "☀️"]] + [
    {"model": "llama3.2", "created_at": "2026-11-26T15:00:00Z", "response": "", "done": True,
     "done_reason": "stop", "prompt_eval_count": 12, "eval_count": 3}]
COMPLETION = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1764169200, "model": "m",
              "service_tier": "on_demand", "system_fingerprint": "fp_1",
              "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                  "role": "assistant", "content": None, "tool_calls": [{
                      "id": "call_1", "type": "function",
                      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}}],
              "usage": {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49}}
CHUNKS = [{"id": "c", "object": "chat.completion.chunk", "created": 1764169200, "model": "m",
           "choices": [{"index": 0, "delta": delta, "finish_reason": reason}]}
          for delta, reason in [({"role": "assistant", "content": "Par"}, None), ({"content": "is"}, None), ({}, "stop")]]
CHUNKS.append({"id": "c", "object": "chat.completion.chunk", "created": 1764169200, "model": "m", "choices": [],
               "usage": {"prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22}})


def serve(conn, log, lock, state):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                with lock:
                    log.append(req)
                body = json.loads(req["body"] or "{}")
                if req["path"].endswith("/api/generate"):
                    if body.get("stream"):
                        data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in GENERATE_LINES).encode()
                        kind = "application/x-ndjson"
                    else:
                        data, kind = json.dumps(state["generate"]).encode(), "application/json"
                elif req["path"].endswith("/api/show"):
                    data, kind = b"{}", "application/json"
                elif body.get("stream"):
                    data = "".join(f"data: {json.dumps(c)}\n\n" for c in CHUNKS).encode() + b"data: [DONE]\n\n"
                    kind = "text/event-stream"
                else:
                    data, kind = json.dumps(COMPLETION).encode(), "application/json"
                conn.sendall((f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\n"
                              f"content-length: {len(data)}\r\n\r\n").encode() + data)
        except ConnectionError:
            pass


def start_server(state):
    srv = socket.create_server(("127.0.0.1", 0))
    log, lock = [], threading.Lock()

    def loop():
        while True:
            conn, _ = srv.accept()
            threading.Thread(target=serve, args=(conn, log, lock, state), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return srv.getsockname()[1], log


# ---------------------------------------------------------------- scenario data
# smolagents' get_tool_json_schema output for its test tools (the same as Fixtures/ollama/tools.json "call").
WEATHER_SCHEMA = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city name."},
        "unit": {"type": "string", "description": "celsius or fahrenheit.", "nullable": True}}, "required": ["city"]}}}
FINAL_SCHEMA = {"type": "function", "function": {
    "name": "final_answer", "description": "Provides a final answer to the given problem.",
    "parameters": {"type": "object", "properties": {
        "answer": {"type": "string", "description": "The final answer to the problem."}}, "required": ["answer"]}}}
WEATHER = {"name": "get_weather", "description": "Get the current weather for a city.",
           "inputs": {"city": {"type": "string", "description": "The city name."},
                      "unit": {"type": "string", "description": "celsius or fahrenheit.", "nullable": True}},
           "output_type": "string"}
FINAL = {"name": "final_answer", "description": "Provides a final answer to the given problem.",
         "inputs": {"answer": {"type": "any", "description": "The final answer to the problem."}},
         "output_type": "any"}
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SYSTEM = "You are a terse assistant."
ANSWER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
                 "required": ["city", "temperature"]}


def s(role, value=None, **extra):
    return {"role": role, **({"text": value} if value is not None else {}), **extra}


def text_blocks(role, value):
    return {"role": role, "content": [{"type": "text", "text": value}]}


GENERATE = [
    dict(name="ollama-generate-multi-turn", generate=GENERATE_TEXT,
         call=dict(messages=[{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": "What is the capital of France?"},
                             {"role": "assistant", "content": "Paris."},
                             {"role": "user", "content": "And of Italy?"}],
                   temperature=0.2, top_p=0.9, seed=42, max_tokens=64, stop=["Observation:"]),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the capital of France?"),
                              s("assistant", "Paris."), s("user", "And of Italy?")],
                    stop_sequences=["Observation:"],
                    parameters={"temperature": 0.2, "top_p": 0.9, "seed": 42, "max_tokens": 64})),
    dict(name="ollama-generate-tools", generate=GENERATE_TOOL,
         call=dict(messages=[{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": "What is the weather in Paris?"}],
                   tools=[WEATHER_SCHEMA, FINAL_SCHEMA], tool_choice="required"),
         swift=dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")],
                    tools=[WEATHER, FINAL], tool_choice="required")),
    dict(name="ollama-generate-tools-no-system", generate=GENERATE_TOOL,
         call=dict(messages=[{"role": "user", "content": "What is the weather in Paris?"},
                             {"role": "assistant", "content": "Let me check.", "tool_calls": [
                                 {"id": "call_1", "type": "function",
                                  "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                             {"role": "user", "content": "Call result: 22 °C"}],
                   tools=[WEATHER_SCHEMA]),
         swift=dict(messages=[s("user", "What is the weather in Paris?"),
                              s("assistant", "Let me check.", tool_calls=[
                                  {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]),
                              s("user", "Call result: 22 °C")],
                    tools=[WEATHER], tool_choice="required")),
    dict(name="ollama-generate-image", generate=GENERATE_TEXT,
         call=dict(messages=[{"role": "user", "content": [
             {"type": "text", "text": "What is in this image?"},
             {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]}]),
         swift=dict(messages=[s("user", "What is in this image?", image_png_base64=PNG_B64)])),
    dict(name="ollama-generate-json-schema", generate=GENERATE_TEXT,
         call=dict(messages=[{"role": "user", "content": "Weather in Paris as JSON."}],
                   response_format={"type": "json_schema", "json_schema": {"name": "Answer", "schema": ANSWER_SCHEMA}}),
         swift=dict(messages=[s("user", "Weather in Paris as JSON.")],
                    response_format={"type": "json_schema", "json_schema": {"name": "Answer", "schema": ANSWER_SCHEMA}})),
    dict(name="ollama-generate-stream", stream=True, generate=GENERATE_TEXT,
         call=dict(messages=[{"role": "user", "content": "What is the capital of France?"}], max_tokens=16,
                   stream=True),
         swift=dict(messages=[s("user", "What is the capital of France?")], parameters={"max_tokens": 16})),
]

# smolagents flattens messages as text for groq and cerebras (content strings), and sends content blocks otherwise.
OPENAI_COMPATIBLE = ["groq", "together_ai", "deepseek", "mistral", "openrouter", "xai", "fireworks_ai", "cerebras",
                     "hosted_vllm", "lm_studio", "deepinfra", "perplexity", "nebius", "sambanova", "nvidia_nim"]
MODEL_NAMES = {"openrouter": "anthropic/claude-3.5-sonnet", "fireworks_ai": "accounts/fireworks/models/firefunction-v2",
               "together_ai": "meta-llama/Llama-3.3-70B-Instruct-Turbo"}


# LiteLLM refuses tool_choice "required" for deepinfra (UnsupportedParamsError unless drop_params); the Swift
# model passes any tool choice through and lets the server decide, so that scenario uses "auto".
TOOL_CHOICE = {"deepinfra": "auto"}


def compatible(prefix, stream):
    flat = prefix in ("groq", "cerebras")
    messages = ([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What is the weather in Paris?"}]
                if flat else [text_blocks("system", SYSTEM), text_blocks("user", "What is the weather in Paris?")])
    choice = TOOL_CHOICE.get(prefix, "required")
    call = dict(messages=messages, tools=[WEATHER_SCHEMA, FINAL_SCHEMA], tool_choice=choice,
                stop=["Observation:"], max_tokens=64, temperature=0.5)
    swift = dict(messages=[s("system", SYSTEM), s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                 tool_choice=choice, stop_sequences=["Observation:"], parameters={"max_tokens": 64, "temperature": 0.5})
    if stream:  # smolagents' LiteLLMModel.generate_stream asks for the usage chunk
        call["stream"] = True
        call["stream_options"] = {"include_usage": True}
    model = f"{prefix}/{MODEL_NAMES.get(prefix, 'test-model')}"
    return dict(name=f"{prefix}{'-stream' if stream else ''}", model=model, stream=stream, call=call, swift=swift,
                api_base_path="/v1", generate=GENERATE_TEXT)


def parsed(response, stream):
    if stream:
        text, reasons, usage = "", [], None
        for chunk in response:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                if chunk.choices[0].finish_reason:
                    reasons.append(chunk.choices[0].finish_reason)
            if getattr(chunk, "usage", None):
                usage = chunk.usage
        return {"content": text, "finish_reason": reasons[-1] if reasons else None,
                "usage": usage and {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}}
    message = response.choices[0].message
    calls = [{"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in message.tool_calls or []]
    return {"content": message.content, "tool_calls": calls, "finish_reason": response.choices[0].finish_reason,
            "usage": {"prompt_tokens": response.usage.prompt_tokens, "completion_tokens": response.usage.completion_tokens}}


def main():
    state = {}
    port, log = start_server(state)
    OUT.mkdir(parents=True, exist_ok=True)
    scenarios = [dict(g, model="ollama/llama3.2", api_base_path="") for g in GENERATE]
    scenarios += [compatible(p, stream) for p in OPENAI_COMPATIBLE for stream in (False, True)
                  if not stream or p in ("groq", "openrouter", "mistral")]
    for scenario in scenarios:
        state["generate"] = scenario["generate"]
        stream = bool(scenario.get("stream"))
        before = len(log)
        kwargs = dict(model=scenario["model"], api_base=f"http://127.0.0.1:{port}{scenario['api_base_path']}",
                      api_key=KEY, num_retries=0, **scenario["call"])
        refused = None
        try:
            response = litellm.completion(**kwargs)
        except litellm.UnsupportedParamsError as error:
            # LiteLLM refuses parameters its table says the provider lacks; with drop_params it drops them.
            refused = str(error).split(". To drop")[0]
            before = len(log)
            response = litellm.completion(drop_params=True, **kwargs)
        result = parsed(response, stream)
        requests = [r for r in log[before:] if not r["path"].endswith("/api/show")]
        assert len(requests) == 1, f"{scenario['name']}: expected one request, got {[r['path'] for r in requests]}"
        req = requests[0]
        fixture = {"name": scenario["name"], "litellm": version("litellm"), "model": scenario["model"],
                   "api_base_path": scenario["api_base_path"], "stream": stream, "call": scenario["call"],
                   "swift": scenario["swift"],
                   "reply": scenario["generate"] if scenario["model"].startswith("ollama/") else None,
                   "request": {"method": req["method"], "path": req["path"],
                               "headers": {k: req["headers"][k] for k in ("authorization", "content-type")
                                           if k in req["headers"]},
                               "body": json.loads(req["body"])},
                   "parsed": result}
        if refused:
            body = fixture["request"]["body"]
            fixture["litellm_refused"] = refused
            fixture["litellm_dropped"] = [k for k in scenario["call"] if k not in body and k not in ("messages", "max_tokens")]
        if scenario["model"].startswith("ollama/") and stream:
            fixture["reply_ndjson"] = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in GENERATE_LINES)
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']} {result}")


if __name__ == "__main__":
    main()
