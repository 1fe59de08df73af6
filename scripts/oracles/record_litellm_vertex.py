#!/usr/bin/env python3
"""Record what `litellm.completion` sends for `vertex_ai/gemini-…`, token exchange included (issue 16).

Why: LiteLLM (through google-auth) defines the Vertex route: a service-account JSON becomes an RS256-signed JWT,
POSTed to the account's `token_uri` for an OAuth token, then `generateContent` / `streamGenerateContent?alt=sse`
under `/v1/projects/{project}/locations/{location}/publishers/google/models/{model}` with `Authorization: Bearer`.
A test-only RSA key is generated here; the service account's `token_uri` and LiteLLM's `api_base` point at one
capture server on 127.0.0.1 that answers the token request and then canned Gemini replies. Writes
Tests/SmolRemoteTests/Fixtures/litellm-vertex/:

  service-account.json  the test service account (its private key exists only for these tests; token_uri is
                        rewritten by the Swift tests to their own loopback server)
  token-exchange.json   google-auth's token request: path, content-type, form fields, the JWT's header and claims
                        (the assertion itself: the same key and claims must give the same bytes, RS256 being
                        deterministic), and the canned token reply
  urls.json             LiteLLM's default Vertex URLs (`get_vertex_url` + `get_vertex_base_url`) for several
                        locations (regional, multi-region, global), models (publisher, numeric endpoint), streams,
                        and the URLs it builds from a custom `api_base` (`_check_custom_proxy`)
  <scenario>.json       {"name", "litellm", "model", "stream", "call", "swift", "request": {path, query,
                        headers (authorization, content-type), body}, "parsed"}
  _responses.json       the canned replies: "message" (JSON) and "stream_sse" (the SSE body)

Needs google-auth in the LiteLLM venv (LiteLLM imports it for Vertex credentials); `bash scripts/oracles/setup.sh litellm`
installs it with LiteLLM.
Run: ~/.cache/swift-smolagents/venv-litellm/bin/python scripts/oracles/record_litellm_vertex.py
"""
import base64
import json
import os
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qsl

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
for name in ("GOOGLE_APPLICATION_CREDENTIALS", "VERTEXAI_PROJECT", "VERTEXAI_LOCATION", "VERTEXAI_CREDENTIALS"):
    os.environ.pop(name, None)
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from capture_server import read_request  # noqa: E402
from record_litellm_golden import FINAL, FINAL_SCHEMA, SYSTEM, WEATHER, WEATHER_SCHEMA, s, text_blocks  # noqa: E402

import litellm  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from importlib.metadata import version  # noqa: E402
from litellm.llms.vertex_ai.common_utils import get_vertex_url  # noqa: E402
from litellm.llms.vertex_ai.vertex_llm_base import VertexBase  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/litellm-vertex"
MODEL = "gemini-2.5-flash"
PROJECT, LOCATION = "test-project", "us-central1"
TOKEN = "ya29.test-access-token"
TOKEN_REPLY = {"access_token": TOKEN, "expires_in": 3599, "token_type": "Bearer"}

MESSAGE = {"candidates": [{"content": {"role": "model", "parts": [
    {"text": "Let me look."}, {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
    "finishReason": "STOP", "index": 0}],
    "usageMetadata": {"promptTokenCount": 31, "candidatesTokenCount": 9, "totalTokenCount": 40},
    "modelVersion": MODEL}
STREAM_CHUNKS = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Par"}]}, "index": 0}],
     "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1, "totalTokenCount": 13}},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "is"}]}, "finishReason": "STOP", "index": 0}],
     "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 2, "totalTokenCount": 14}},
]
STREAM_SSE = "".join(f"data: {json.dumps(c, separators=(',', ':'))}\r\n\r\n" for c in STREAM_CHUNKS)


def serve(conn, log):
    with conn, conn.makefile("rb") as f:
        try:
            while (req := read_request(f)) is not None:
                log.append(req)
                if req["path"] == "/token":
                    data, kind = json.dumps(TOKEN_REPLY).encode(), "application/json"
                elif req["query"].get("alt") == "sse":
                    data, kind = STREAM_SSE.encode(), "text/event-stream"
                else:
                    data, kind = json.dumps(MESSAGE).encode(), "application/json"
                conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {len(data)}\r\n\r\n".encode()
                             + data)
        except ConnectionError:
            pass


def start_server():
    srv = socket.create_server(("127.0.0.1", 0))
    log = []
    threading.Thread(target=lambda: [threading.Thread(target=serve, args=(srv.accept()[0], log), daemon=True).start()
                                     for _ in iter(int, 1)], daemon=True).start()
    return srv.getsockname()[1], log


def service_account(token_uri):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": PROJECT, "private_key_id": "0123456789abcdef-test-key",
            "private_key": pem, "client_email": "smol-test@test-project.iam.gserviceaccount.com",
            "client_id": "100000000000000000001", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri, "universe_domain": "googleapis.com"}


def b64json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


SCENARIOS = [
    dict(name="text", call=dict(messages=[text_blocks("system", SYSTEM), text_blocks("user", "Capital of France?")],
                                max_tokens=64, temperature=0.2, stop=["Observation:"]),
         swift=dict(messages=[s("system", SYSTEM), s("user", "Capital of France?")], stop_sequences=["Observation:"],
                    parameters={"max_tokens": 64, "temperature": 0.2})),
    dict(name="tools", call=dict(messages=[text_blocks("user", "What is the weather in Paris?")],
                                 tools=[WEATHER_SCHEMA, FINAL_SCHEMA], tool_choice="required"),
         swift=dict(messages=[s("user", "What is the weather in Paris?")], tools=[WEATHER, FINAL],
                    tool_choice="required")),
    dict(name="stream", stream=True, call=dict(messages=[text_blocks("user", "Capital of France?")], max_tokens=16),
         swift=dict(messages=[s("user", "Capital of France?")], parameters={"max_tokens": 16})),
]


def parsed(response, stream):
    if stream:
        text, reason, usage = "", None, None
        for chunk in response:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                reason = chunk.choices[0].finish_reason or reason
            usage = getattr(chunk, "usage", None) or usage
        return {"content": text, "finish_reason": reason, "tool_calls": [],
                "usage": usage and {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}}
    message = response.choices[0].message
    calls = [{"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in message.tool_calls or []]
    return {"content": message.content, "tool_calls": calls, "finish_reason": response.choices[0].finish_reason,
            "usage": {"prompt_tokens": response.usage.prompt_tokens, "completion_tokens": response.usage.completion_tokens}}


def urls():
    rows = []
    for location in ("us-central1", "europe-west4", "global", "us", "eu"):
        for model, stream in ((MODEL, False), (MODEL, True), ("1234567890", False)):
            url, _ = get_vertex_url(mode="chat", model=model, stream=stream, vertex_project=PROJECT,
                                    vertex_location=location, vertex_api_version="v1")
            rows.append({"location": location, "model": model, "stream": stream, "url": url})
    custom = []
    for api_base in ("https://gateway.example.com", "https://gateway.example.com/", "https://gateway.example.com/v1",
                     "https://gateway.example.com/proxy/v1beta1/", "https://gateway.example.com/my/resource"):
        for stream in (False, True):
            default, endpoint = get_vertex_url(mode="chat", model=MODEL, stream=stream, vertex_project=PROJECT,
                                               vertex_location=LOCATION, vertex_api_version="v1")
            _, url = VertexBase()._check_custom_proxy(
                api_base=api_base, custom_llm_provider="vertex_ai", gemini_api_key=None, endpoint=endpoint,
                stream=stream, auth_header=None, url=default, model=MODEL, vertex_project=PROJECT,
                vertex_location=LOCATION, vertex_api_version="v1")
            custom.append({"api_base": api_base, "location": LOCATION, "model": MODEL, "stream": stream, "url": url})
    return {"litellm": version("litellm"), "project": PROJECT, "urls": rows, "custom_api_base": custom}


def main():
    port, log = start_server()
    base = f"http://127.0.0.1:{port}"
    account = service_account(f"{base}/token")
    OUT.mkdir(parents=True, exist_ok=True)
    written = dict(account, token_uri="http://127.0.0.1:1/token")
    (OUT / "service-account.json").write_text(json.dumps(written, indent=2) + "\n")
    exchange = None
    for scenario in SCENARIOS:
        stream = bool(scenario.get("stream"))
        before = len(log)
        response = litellm.completion(model=f"vertex_ai/{MODEL}", api_base=base, vertex_project=PROJECT,
                                      vertex_location=LOCATION, vertex_credentials=json.dumps(account),
                                      num_retries=0, stream=stream, **scenario["call"])
        result = parsed(response, stream)
        token_requests = [r for r in log[before:] if r["path"] == "/token"]
        calls = [r for r in log[before:] if r["path"] != "/token"]
        assert len(calls) == 1, f"{scenario['name']}: {[r['path'] for r in log[before:]]}"
        if token_requests and exchange is None:
            form = dict(parse_qsl(token_requests[0]["body"]))
            header, claims, _ = form["assertion"].split(".")
            exchange = {"path": token_requests[0]["path"], "content_type": token_requests[0]["headers"]["content-type"],
                        "form_order": [k for k, _ in parse_qsl(token_requests[0]["body"])],
                        "grant_type": form["grant_type"], "assertion": form["assertion"],
                        "jwt_header": b64json(header), "jwt_claims": b64json(claims), "reply": TOKEN_REPLY}
        req = calls[0]
        fixture = {"name": scenario["name"], "litellm": version("litellm"), "model": f"vertex_ai/{MODEL}",
                   "project": PROJECT, "location": LOCATION, "stream": stream, "call": scenario["call"],
                   "swift": scenario["swift"],
                   "request": {"method": req["method"], "path": req["path"], "query": req["query"],
                               "headers": {k: req["headers"][k] for k in ("authorization", "content-type")
                                           if k in req["headers"]},
                               "body": json.loads(req["body"])},
                   "parsed": result}
        (OUT / f"{scenario['name']}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
        print(f"{scenario['name']}: {req['method']} {req['path']} {req['query']} {result}")
    assert exchange is not None, "LiteLLM never asked the token endpoint"
    assert sum(r["path"] == "/token" for r in log) == 1, "the token was not cached across calls"
    (OUT / "token-exchange.json").write_text(json.dumps(exchange, indent=2) + "\n")
    (OUT / "urls.json").write_text(json.dumps(urls(), indent=2) + "\n")
    (OUT / "_responses.json").write_text(json.dumps({"message": MESSAGE, "stream_sse": STREAM_SSE}, indent=2) + "\n")


if __name__ == "__main__":
    main()
