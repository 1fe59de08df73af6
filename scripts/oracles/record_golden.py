#!/usr/bin/env python3
"""Record golden request fixtures from the OFFICIAL SDKs (openai 3.57.0, huggingface_hub 2.4.0).

Why: the Swift OpenAI / Azure / Hugging Face clients must put on the wire what the Python SDKs that
smolagents uses put there. This script starts capture_server.py, aims each SDK at it, runs a fixed
list of scenarios and writes Tests/SmolRemoteTests/Fixtures/golden/<name>.json holding the Swift
client configuration ("client"), the call ("call": wire messages, smolagents tool specs, parameters)
and every request the SDK made, in order ("requests": method, path, query, selected headers, parsed
JSON body). Swift tests replay "call" against a Swift twin of the capture server and compare.

HF routing: the router and the Hub both point at the capture server root, as in providers.md B1
(HF_ENDPOINT set before import, INFERENCE_PROXY_TEMPLATE = root + "/{provider}", auto-router
base_url = root), so a Swift test must use that same root for both.

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/record_golden.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/golden"
KEPT_HEADERS = ("authorization", "api-key", "content-type", "accept", "openai-organization", "openai-project",
                "x-hf-bill-to")

# Start the capture server first: huggingface_hub reads HF_ENDPOINT at import time.
tmp = Path(tempfile.mkdtemp(prefix="golden-"))
LOG = tmp / "requests.jsonl"
server = subprocess.Popen([sys.executable, str(HERE / "capture_server.py"), "0", str(LOG)],
                          stdout=subprocess.PIPE, text=True)
ROOT = f"http://127.0.0.1:{server.stdout.readline().strip().removeprefix('PORT=')}"
for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID",
            "OPENAI_PROJECT_ID", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT"):
    os.environ.pop(var, None)
os.environ.update(HF_ENDPOINT=ROOT, HF_HOME=str(tmp / "hf"), HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="127.0.0.1")

import huggingface_hub  # noqa: E402
import openai  # noqa: E402
from huggingface_hub import InferenceClient, constants  # noqa: E402
from huggingface_hub.inference._providers import CONVERSATIONAL_AUTO_ROUTER, _common, hf_inference  # noqa: E402
from smolagents.models import get_tool_json_schema  # noqa: E402

constants.INFERENCE_PROXY_TEMPLATE = ROOT + "/{provider}"
CONVERSATIONAL_AUTO_ROUTER.base_url = ROOT

# ---------------------------------------------------------------- scenario data
WEATHER = {"name": "get_weather", "description": "Get the current weather for a city.",
           "inputs": {"city": {"type": "string", "description": "The city name."},
                      "unit": {"type": "string", "description": "celsius or fahrenheit.", "nullable": True}},
           "output_type": "string"}
FINAL = {"name": "final_answer", "description": "Provides a final answer to the given problem.",
         "inputs": {"answer": {"type": "any", "description": "The final answer to the problem."}},
         "output_type": "any"}
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SYSTEM = {"role": "system", "content": "You are a terse assistant."}
ASK = {"role": "user", "content": "What is the capital of France?"}
WEATHER_Q = {"role": "user", "content": "What is the weather in Paris?"}
TOOL_HISTORY = [
    SYSTEM, WEATHER_Q,
    {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
        "name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "22 °C, sunny"},
    {"role": "user", "content": "Now give the final answer."},
]
SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "capital", "strict": True, "schema": {
    "type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
    "required": ["city", "country"], "additionalProperties": False}}}
OPENAI = {"kind": "openai", "api_key": "sk-test-golden", "organization": None, "project": None}
HF_MODEL = "meta-llama/Llama-3.3-70B-Instruct"


def hf(provider=None, bill_to=None):
    return {"kind": "hf", "token": "hf_test_golden", "provider": provider, "bill_to": bill_to}


def call(messages, model="gpt-4o-mini", stream=False, stop=None, tools=None, tool_choice=None,
         response_format=None, **parameters):
    return {"model": model, "messages": messages, "stream": stream, "stop": stop, "tools": tools,
            "tool_choice": tool_choice, "response_format": response_format, "parameters": parameters}


SCENARIOS = {
    "openai-plain": (OPENAI, call([SYSTEM, ASK], temperature=0.2, max_tokens=64)),
    "openai-org-project": ({**OPENAI, "organization": "org-x", "project": "proj-y"}, call([ASK])),
    "openai-images": (OPENAI, call([SYSTEM, {"role": "user", "content": [
        {"type": "text", "text": "Describe both images."},
        {"type": "image_url", "image_url": {"url": PNG}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}], max_tokens=100)),
    "openai-tools": (OPENAI, call([SYSTEM, WEATHER_Q], tools=[WEATHER, FINAL], tool_choice="required")),
    "openai-tool-choice-function": (OPENAI, call([WEATHER_Q], tools=[WEATHER, FINAL], tool_choice={
        "type": "function", "function": {"name": "get_weather"}})),
    "openai-tool-results": (OPENAI, call(TOOL_HISTORY, tools=[WEATHER, FINAL], tool_choice="auto", temperature=0.0)),
    "openai-response-format-json-schema": (OPENAI, call([SYSTEM, ASK], response_format=SCHEMA_FORMAT)),
    "openai-response-format-json-object": (OPENAI, call([SYSTEM, ASK], response_format={"type": "json_object"})),
    "openai-stop": (OPENAI, call([SYSTEM, ASK], stop=["Observation:", "<end_code>"], temperature=0.5, seed=7)),
    "openai-stream": (OPENAI, call([SYSTEM, ASK], stream=True, temperature=0.2, max_tokens=64)),
    "azure-deployment": ({"kind": "azure", "api_key": "azure-key-golden", "api_version": "2024-10-21",
                          "deployment": "gpt-4o-mini-deploy"}, call([SYSTEM, ASK], model="gpt-4o-mini-deploy",
                                                                    temperature=0.2)),
    # smolagents' AzureOpenAIModel passes no azure_deployment: the model id becomes the deployment.
    "azure-model-as-deployment": ({"kind": "azure", "api_key": "azure-key-golden", "api_version": "2024-10-21",
                                   "deployment": None}, call([SYSTEM, ASK], model="gpt-4o-mini-deploy")),
    "azure-v1": ({"kind": "azure-v1", "api_key": "azure-key-golden"}, call([SYSTEM, ASK], model="gpt-4o-mini")),
    "hf-auto": (hf(), call([SYSTEM, ASK], model=HF_MODEL, temperature=0.2, max_tokens=64)),
    "hf-provider-together": (hf("together"), call([SYSTEM, ASK], model=HF_MODEL, stop=["Observation:"],
                                                  max_tokens=64)),
    "hf-provider-together-json-schema": (hf("together"), call([SYSTEM, ASK], model=HF_MODEL,
                                                              response_format=SCHEMA_FORMAT)),
    "hf-inference": (hf("hf-inference"), call([SYSTEM, ASK], model=HF_MODEL, temperature=0.2)),
    "hf-inference-json-schema": (hf("hf-inference"), call([SYSTEM, ASK], model=HF_MODEL,
                                                          response_format=SCHEMA_FORMAT)),
    "hf-bill-to": (hf(bill_to="my-org"), call([SYSTEM, ASK], model=HF_MODEL)),
    "hf-base-url": ({"kind": "hf-base-url", "token": "hf_test_golden", "base_url_suffix": "/v1"},
                    call([SYSTEM, ASK], model="tgi", temperature=0.2)),
    "hf-tool-results": (hf(), call(TOOL_HISTORY, model=HF_MODEL, tools=[WEATHER, FINAL], tool_choice="required")),
    "hf-stream": (hf(), call([SYSTEM, ASK], model=HF_MODEL, stream=True, max_tokens=64)),
}


# ---------------------------------------------------------------- running the SDKs
def wire_kwargs(c):
    """The SDK keyword arguments, in the order smolagents' _prepare_completion_kwargs builds them."""
    kw = {"messages": c["messages"]}
    if c["stop"] is not None:
        kw["stop"] = c["stop"]
    if c["response_format"] is not None:
        kw["response_format"] = c["response_format"]
    if c["tools"]:
        kw["tools"] = [get_tool_json_schema(types.SimpleNamespace(**t)) for t in c["tools"]]
        if c["tool_choice"] is not None:
            kw["tool_choice"] = c["tool_choice"]
    kw.update(c["parameters"])
    if c["stream"]:
        kw.update(stream=True, stream_options={"include_usage": True})
    return kw


def run(client_cfg, c):
    """Send the call with the official SDK the way smolagents does; return the SDK's parse of the reply."""
    kind = client_cfg["kind"]
    if kind == "openai":
        client = openai.OpenAI(base_url=ROOT + "/v1", api_key=client_cfg["api_key"], max_retries=0,
                               organization=client_cfg["organization"], project=client_cfg["project"])
    elif kind == "azure":
        client = openai.AzureOpenAI(azure_endpoint=ROOT, api_version=client_cfg["api_version"], max_retries=0,
                                    api_key=client_cfg["api_key"], azure_deployment=client_cfg["deployment"])
    elif kind == "azure-v1":
        client = openai.OpenAI(base_url=ROOT + "/openai/v1/", api_key=client_cfg["api_key"], max_retries=0)
    if kind.startswith(("openai", "azure")):
        return parse(client.chat.completions.create(model=c["model"], **wire_kwargs(c)), c["stream"])

    _common._fetch_inference_provider_mapping.cache_clear()  # so every fixture shows the mapping GET
    hf_inference._check_supported_task.cache_clear()
    if kind == "hf-base-url":  # InferenceClient(model=, base_url=) raises: base_url is an alias of model
        client = InferenceClient(base_url=ROOT + client_cfg["base_url_suffix"], token=client_cfg["token"])
        return parse(client.chat_completion(model=c["model"], **wire_kwargs(c)), c["stream"])
    client = InferenceClient(model=c["model"], provider=client_cfg["provider"], token=client_cfg["token"],
                             bill_to=client_cfg["bill_to"])
    if c["stream"]:  # InferenceClientModel.generate_stream passes model= again
        return parse(client.chat.completions.create(model=c["model"], **wire_kwargs(c)), True)
    return parse(client.chat_completion(**wire_kwargs(c)), False)


def parse(response, stream):
    if not stream:
        choice, usage = response.choices[0], response.usage
        return {"content": choice.message.content, "finish_reason": choice.finish_reason,
                "usage": [usage.prompt_tokens, usage.completion_tokens, usage.total_tokens]}
    content, finish, usage, n = "", None, None, 0
    for chunk in response:
        n += 1
        if chunk.choices:
            content += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if getattr(chunk, "usage", None):
            usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens, chunk.usage.total_tokens]
    return {"content": content, "finish_reason": finish, "usage": usage, "chunks": n}


def captured(offset):
    lines = LOG.read_text().splitlines()[offset:] if LOG.exists() else []
    requests = []
    for line in lines:
        r = json.loads(line)
        requests.append({"method": r["method"], "path": r["path"], "query": r["query"],
                         "headers": {k: v for k, v in r["headers"].items() if k in KEPT_HEADERS},
                         "body": json.loads(r["body"]) if r["body"] else None})
    return requests


def main():
    sdk = {"openai": f"openai {openai.__version__}", "hf": f"huggingface_hub {huggingface_hub.__version__}"}
    try:
        for name, (client_cfg, c) in SCENARIOS.items():
            roles = [m["role"] for m in c["messages"]]
            assert all(a != b for a, b in zip(roles, roles[1:])), f"{name}: consecutive messages with one role"
            offset = len(LOG.read_text().splitlines()) if LOG.exists() else 0
            parsed = run(client_cfg, c)
            fixture = {"name": name, "sdk": sdk["hf" if client_cfg["kind"].startswith("hf") else "openai"],
                       "client": client_cfg, "call": c, "requests": captured(offset), "sdk_parse": parsed}
            (OUT / f"{name}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
            print(f"{name}: {len(fixture['requests'])} request(s)", file=sys.stderr)
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
