#!/usr/bin/env python3
"""The official anthropic SDK as a client of `smol serve`'s /v1/messages (issue 15's test oracle).

Usage: serve_anthropic_client.py BASE_URL API_KEY MODEL   (BASE_URL without /v1)
Prints one JSON object with what the SDK received; errors become {"error": class name, "status": status}.
"""
import json
import sys

import anthropic

base, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0, timeout=120)
question = [{"role": "user", "content": "What is the capital of France?"}]
weather = [{"name": "get_weather", "description": "Current weather of a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"}},
                             "required": ["city"]}}]
out = {}


def record(name, fn):
    try:
        out[name] = fn()
    except anthropic.APIStatusError as error:
        out[name] = {"error": type(error).__name__, "status": error.status_code}


def plain():
    r = client.messages.create(model=model, max_tokens=16, messages=question, system="Be brief.")
    return {"text": "".join(b.text for b in r.content if b.type == "text"), "stop_reason": r.stop_reason,
            "usage": {"input_tokens": r.usage.input_tokens, "output_tokens": r.usage.output_tokens}, "type": r.type}


def streamed():
    events = []
    with client.messages.stream(model=model, max_tokens=16, messages=question, system="Be brief.") as stream:
        for event in stream:
            events.append(event.type)
        final = stream.get_final_message()
    return {"text": "".join(b.text for b in final.content if b.type == "text"), "stop_reason": final.stop_reason,
            "output_tokens": final.usage.output_tokens, "first": events[0], "last": events[-1]}


def tools():
    r = client.messages.create(model=model, max_tokens=64, tools=weather, tool_choice={"type": "any"},
                               messages=[{"role": "user", "content": "Weather in Paris?"}])
    return {"stop_reason": r.stop_reason,
            "calls": [{"name": b.name, "input": b.input} for b in r.content if b.type == "tool_use"]}


def tools_streamed():
    with client.messages.stream(model=model, max_tokens=64, tools=weather, tool_choice={"type": "any"},
                                messages=[{"role": "user", "content": "Weather in Paris?"}]) as stream:
        final = stream.get_final_message()
    return {"stop_reason": final.stop_reason,
            "calls": [{"name": b.name, "input": b.input} for b in final.content if b.type == "tool_use"]}


def no_key():
    anthropic.Anthropic(base_url=base, api_key="wrong", max_retries=0).messages.create(model=model, max_tokens=8, messages=question)


def unknown_model():
    client.messages.create(model="no-such-model", max_tokens=8, messages=question)


for name, fn in [("plain", plain), ("streamed", streamed), ("tools", tools), ("tools_streamed", tools_streamed),
                 ("no_key", no_key), ("unknown_model", unknown_model)]:
    record(name, fn)
print(json.dumps(out))
