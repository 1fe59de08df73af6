#!/usr/bin/env python3
"""Record what `litellm.completion` sends for `azure_ai/…` (Azure AI Foundry / model inference) (issue 16).

Why: LiteLLM's `azure_ai/` route is OpenAI chat completions with Azure's rules, which a Swift
`LiteLLMModel("azure_ai/…")` must follow: the path is `{api_base}/models/chat/completions` on a
`*.services.ai.azure.com` host and `{api_base}/chat/completions` elsewhere (a path already ending so is kept),
`api-version` is a query parameter when given, the key goes in `api-key` on `*.services.ai.azure.com` and
`*.openai.azure.com` hosts and as `Authorization: Bearer` elsewhere, and text-only content lists become strings.
The host decides, so Azure host names are recorded too: LiteLLM's httpx is sent through `HTTP_PROXY`, which is
the capture server itself (plain-http bases; the request line then carries the absolute URL). Writes
Tests/SmolRemoteTests/Fixtures/litellm-azure-ai/<scenario>.json:

  {"name", "litellm", "model", "api_base" ("{loopback}" stands for the capture server), "api_version", "stream",
   "call", "swift", "request": {method, host, path, query, headers (authorization, api-key, x-api-key,
   anthropic-version, content-type), body}, "parsed": what litellm returned, "reply": the Messages reply (claude)}

Run: ~/.cache/swift-smolagents/venv-litellm/bin/python scripts/oracles/record_litellm_azure_ai.py
"""
import json
import os
import socket
import sys
import threading
from pathlib import Path

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for name in ("AZURE_AI_API_KEY", "AZURE_AI_API_BASE", "AZURE_API_VERSION", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
             "all_proxy", "NO_PROXY", "no_proxy"):
    os.environ.pop(name, None)
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402
from record_litellm_golden import (CHUNKS, COMPLETION, FINAL, FINAL_SCHEMA, KEY, PNG_B64, SYSTEM, WEATHER,  # noqa: E402
                                   WEATHER_SCHEMA, s, text_blocks)

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/litellm-azure-ai"
MODEL = "azure_ai/mistral-large-2407"
# `azure_ai/claude-…` is Anthropic's Messages API on Foundry: the reply is a Messages one.
ANTHROPIC_REPLY = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                   "content": [{"type": "text", "text": "Paris"}], "stop_reason": "end_turn", "stop_sequence": None,
                   "usage": {"input_tokens": 20, "output_tokens": 2}}


def serve(conn, log):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                log.append(req)
                if req["path"].endswith("/v1/messages"):
                    data, kind = json.dumps(ANTHROPIC_REPLY).encode(), "application/json"
                elif json.loads(req["body"] or "{}").get("stream"):
                    data = "".join(f"data: {json.dumps(c)}\n\n" for c in CHUNKS).encode() + b"data: [DONE]\n\n"
                    kind = "text/event-stream"
                else:
                    data, kind = json.dumps(COMPLETION).encode(), "application/json"
                conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {len(data)}\r\n\r\n".encode()
                             + data)
        except ConnectionError:
            pass


srv = socket.create_server(("127.0.0.1", 0))
PORT = srv.getsockname()[1]
LOG = []
threading.Thread(target=lambda: [threading.Thread(target=serve, args=(srv.accept()[0], LOG), daemon=True).start()
                                 for _ in iter(int, 1)], daemon=True).start()
# Before litellm builds its httpx clients: every plain-http request goes to the capture server.
os.environ["HTTP_PROXY"] = f"http://127.0.0.1:{PORT}"

import litellm  # noqa: E402
from importlib.metadata import version  # noqa: E402

ASK = [text_blocks("system", SYSTEM), text_blocks("user", "What is the weather in Paris?")]
ASK_SWIFT = [s("system", SYSTEM), s("user", "What is the weather in Paris?")]
TOOLS_CALL = dict(messages=ASK, tools=[WEATHER_SCHEMA, FINAL_SCHEMA], tool_choice="required", stop=["Observation:"],
                  max_tokens=64, temperature=0.5)
TOOLS_SWIFT = dict(messages=ASK_SWIFT, tools=[WEATHER, FINAL], tool_choice="required", stop_sequences=["Observation:"],
                   parameters={"max_tokens": 64, "temperature": 0.5})
SCENARIOS = [
    dict(name="foundry-models", api_base="http://my-resource.services.ai.azure.com", api_version="2024-05-01-preview",
         call=TOOLS_CALL, swift=TOOLS_SWIFT),
    dict(name="openai-v1-host", api_base="http://my-resource.openai.azure.com/openai/v1", api_version=None,
         call=TOOLS_CALL, swift=TOOLS_SWIFT),
    dict(name="serverless-bearer", api_base="{loopback}/v1", api_version="2024-05-01-preview",
         call=TOOLS_CALL, swift=TOOLS_SWIFT),
    dict(name="full-path-kept", api_base="{loopback}/v1/chat/completions", api_version=None,
         call=dict(messages=ASK), swift=dict(messages=ASK_SWIFT)),
    dict(name="image", api_base="{loopback}", api_version=None,
         call=dict(messages=[{"role": "user", "content": [
             {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
             {"type": "text", "text": "What is in this image?"}]}]),
         swift=dict(messages=[s("user", "What is in this image?", image_png_base64=PNG_B64)])),
    dict(name="claude-foundry", model="azure_ai/claude-sonnet-4-5", api_base="http://my-resource.services.ai.azure.com",
         api_version=None, call=dict(messages=ASK, max_tokens=64), swift=dict(messages=ASK_SWIFT, parameters={"max_tokens": 64})),
    dict(name="claude-anthropic-path", model="azure_ai/claude-sonnet-4-5", api_base="{loopback}/anthropic/v1/messages",
         api_version=None, call=dict(messages=ASK, max_tokens=64), swift=dict(messages=ASK_SWIFT, parameters={"max_tokens": 64})),
    dict(name="stream", stream=True, api_base="{loopback}", api_version=None,
         call=dict(messages=ASK, max_tokens=16, stream=True, stream_options={"include_usage": True}),
         swift=dict(messages=ASK_SWIFT, parameters={"max_tokens": 16})),
]


def parsed(response, stream):
    if stream:
        text, reason, usage = "", None, None
        for chunk in response:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                reason = chunk.choices[0].finish_reason or reason
            usage = getattr(chunk, "usage", None) or usage
        return {"content": text, "finish_reason": reason,
                "usage": usage and {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}}
    message = response.choices[0].message
    calls = [{"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in message.tool_calls or []]
    return {"content": message.content, "tool_calls": calls, "finish_reason": response.choices[0].finish_reason}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        base = scenario["api_base"].replace("{loopback}", f"http://127.0.0.1:{PORT}")
        before = len(LOG)
        response = litellm.completion(model=scenario.get("model", MODEL), api_base=base, api_key=KEY, api_version=scenario["api_version"],
                                      num_retries=0, **scenario["call"])
        result = parsed(response, bool(scenario.get("stream")))
        assert len(LOG) == before + 1, f"{scenario['name']}: {[r['path'] for r in LOG[before:]]}"
        req = LOG[-1]
        host = req["headers"]["host"]
        fixture = {"name": scenario["name"], "litellm": version("litellm"), "model": scenario.get("model", MODEL),
                   "api_base": scenario["api_base"], "api_version": scenario["api_version"],
                   "stream": bool(scenario.get("stream")), "call": scenario["call"], "swift": scenario["swift"],
                   "request": {"method": req["method"], "host": "{loopback}" if host.startswith("127.0.0.1") else host,
                               "path": req["path"], "query": req["query"],
                               "headers": {k: req["headers"][k] for k in ("authorization", "api-key", "x-api-key",
                                                                          "anthropic-version", "content-type")
                                           if k in req["headers"]},
                               "body": json.loads(req["body"])},
                   "parsed": result}
        if req["path"].endswith("/v1/messages"):
            fixture["reply"] = ANTHROPIC_REPLY
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {host} {req['path']} {req['query']} {fixture['request']['headers']}")


if __name__ == "__main__":
    main()
