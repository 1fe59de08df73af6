#!/usr/bin/env python3
"""Print what the official openai SDK receives for a few greedy requests to a real server.

Why: SmolLM2-135M Q4_1's greedy output is French-sounding nonsense, so Swift end-to-end tests cannot
assert fixed text. Instead they send the same greedy requests (temperature 0, seed 1) to the same
server (servers.sh's llama.cpp, or LiteLLM in front of it) and compare with this reference.

Usage: record_openai_sdk_reference.py [BASE_URL] [--api-key KEY] [--model smollm2]
  BASE_URL defaults to $SMOL_LLAMA_BASE, else http://127.0.0.1:18081/v1.
Output (stdout): {scenario: {"request": kwargs sent, "content", "tool_calls", "usage", "finish_reason"}}.
Streamed tool-call fragments are merged by index (id/type/name set once, arguments concatenated).
"""
import argparse
import json
import os

import openai

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city name."}},
                   "required": ["city"]}}}
GREEDY = {"temperature": 0, "seed": 1}
ASK = [{"role": "user", "content": "What is the capital of France?"}]
SCENARIOS = {
    "plain": {"messages": ASK, "max_tokens": 24, **GREEDY},
    "stream": {"messages": ASK, "max_tokens": 24, **GREEDY, "stream": True, "stream_options": {"include_usage": True}},
    "stop": {"messages": ASK, "max_tokens": 24, **GREEDY, "stop": [" is"]},
    "tool": {"messages": [{"role": "user", "content": "What is the weather in Paris?"}], "max_tokens": 48, **GREEDY,
             "tools": [WEATHER_TOOL], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
}
SCENARIOS["tool-stream"] = {**SCENARIOS["tool"], "stream": True, "stream_options": {"include_usage": True}}


def tool_call_dict(tc):
    return {"id": tc.id, "type": tc.type, "function": {"name": tc.function.name, "arguments": tc.function.arguments}}


def collect(response, stream):
    if not stream:
        choice = response.choices[0]
        return {"content": choice.message.content,
                "tool_calls": [tool_call_dict(t) for t in choice.message.tool_calls or []] or None,
                "usage": response.usage.model_dump(exclude_none=True) if response.usage else None,
                "finish_reason": choice.finish_reason}
    content, calls, usage, finish = "", {}, None, None
    for chunk in response:
        if chunk.usage:
            usage = chunk.usage.model_dump(exclude_none=True)
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        content += choice.delta.content or ""
        finish = choice.finish_reason or finish
        for frag in choice.delta.tool_calls or []:
            call = calls.setdefault(frag.index, {"id": None, "type": None, "function": {"name": None, "arguments": ""}})
            call["id"] = call["id"] or frag.id
            call["type"] = call["type"] or frag.type
            if frag.function:
                call["function"]["name"] = call["function"]["name"] or frag.function.name
                call["function"]["arguments"] += frag.function.arguments or ""
    return {"content": content or None, "tool_calls": [calls[i] for i in sorted(calls)] or None,
            "usage": usage, "finish_reason": finish}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base_url", nargs="?", default=os.environ.get("SMOL_LLAMA_BASE", "http://127.0.0.1:18081/v1"))
    ap.add_argument("--api-key", default="none")
    ap.add_argument("--model", default="smollm2")
    args = ap.parse_args()
    # llama-cpp-python 0.3.36 sometimes ends a stream after its first chunk, without [DONE], when the
    # connection is kept alive across a non-stream request ("Disconnected from client (via refresh/close)"
    # in its log), and the SDK ends the iteration silently. A fresh connection per request avoids it;
    # a stream without finish_reason is retried anyway.
    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0,
                           default_headers={"Connection": "close"})
    out = {}
    for name, kwargs in SCENARIOS.items():
        kwargs = {"model": args.model, **kwargs}
        for _attempt in range(3):
            result = collect(client.chat.completions.create(**kwargs), kwargs.get("stream", False))
            if result["finish_reason"] is not None:
                break
        else:
            raise SystemExit(f"{name}: no finish_reason in 3 attempts")
        out[name] = {"request": kwargs, **result}
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
