#!/usr/bin/env python3
"""The official openai SDK as a client of `smol serve` (issue 15's test oracle).

Usage: serve_openai_client.py BASE_URL API_KEY MODEL
Runs the scenarios below against the server and prints one JSON object with what the SDK received.
Errors the SDK raises are recorded as {"error": class name, "status": HTTP status}.
"""
import json
import sys

import openai

base, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=120)
messages = [{"role": "user", "content": "What is the capital of France?"}]
weather = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "The city"}},
                   "required": ["city"]}}}]
city_schema = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
               "required": ["city", "country"], "additionalProperties": False}
out = {}


def record(name, fn):
    try:
        out[name] = fn()
    except openai.APIStatusError as error:
        out[name] = {"error": type(error).__name__, "status": error.status_code, "body": error.body}


def plain():
    r = client.chat.completions.create(model=model, messages=messages, max_tokens=16, temperature=0)
    c = r.choices[0]
    return {"content": c.message.content, "finish_reason": c.finish_reason, "role": c.message.role,
            "usage": r.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"}), "object": r.object}


def streamed():
    chunks = list(client.chat.completions.create(model=model, messages=messages, max_tokens=16, stream=True,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    usage = chunks[-1].usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"}) if chunks[-1].usage else None
    return {"content": text, "finish_reasons": finish, "usage": usage, "chunks": len(chunks)}


def tools():
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=weather, tool_choice="required", max_tokens=64)
    c = r.choices[0]
    return {"finish_reason": c.finish_reason,
            "calls": [{"id": t.id, "name": t.function.name, "arguments": json.loads(t.function.arguments)}
                      for t in c.message.tool_calls or []]}


def tools_streamed():
    calls = {}
    finish = None
    for chunk in client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Weather in Paris?"}],
                                                tools=weather, tool_choice="required", max_tokens=64, stream=True):
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for t in choice.delta.tool_calls or []:
            entry = calls.setdefault(t.index, {"name": "", "arguments": ""})
            if t.function and t.function.name:
                entry["name"] += t.function.name
            if t.function and t.function.arguments:
                entry["arguments"] += t.function.arguments
    return {"finish_reason": finish,
            "calls": [{"name": v["name"], "arguments": json.loads(v["arguments"])} for _, v in sorted(calls.items())]}


def schema():
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Name the capital of France as JSON."}], max_tokens=64,
        response_format={"type": "json_schema", "json_schema": {"name": "City", "schema": city_schema, "strict": True}})
    return {"content": r.choices[0].message.content, "schema": city_schema}


def no_key():
    return openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).chat.completions.create(
        model=model, messages=messages).model_dump()


def unknown_model():
    return client.chat.completions.create(model="no-such-model", messages=messages).model_dump()


def bad_body():
    return client.chat.completions.create(model=model, messages=messages, n=2).model_dump()


for name, fn in [("plain", plain), ("streamed", streamed), ("tools", tools), ("tools_streamed", tools_streamed),
                 ("schema", schema), ("no_key", no_key), ("unknown_model", unknown_model), ("bad_body", bad_body)]:
    record(name, fn)
out["models"] = [m.id for m in client.models.list().data]
print(json.dumps(out))
