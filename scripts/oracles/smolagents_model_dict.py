"""Oracle for ModelConfiguration.toDict / init(type:dict:) (issue 16): Python smolagents' own from_dict and to_dict.

    python smolagents_model_dict.py < cases.json

stdin: a JSON list of {"class": <smolagents class name>, "data": <dict>}. For each, builds the model with
smolagents' `cls.from_dict(data)` (= `cls(**data)`) and prints, as one JSON list on stdout, what Python made of it:
model_id, kwargs (the completion kwargs), custom_role_conversions, flatten_messages_as_text, the endpoint and
region its client got, and smolagents' own `to_dict()` of the model. The environment supplies dummy keys so the
SDK clients can be created offline; no request is sent.
"""
import contextlib
import io
import json
import sys

import smolagents


def describe(model):
    out = {
        "model_id": model.model_id,
        "kwargs": model.kwargs,
        "custom_role_conversions": getattr(model, "custom_role_conversions", None),
        "flatten_messages_as_text": getattr(model, "flatten_messages_as_text", None),
    }
    client = getattr(model, "client", None)
    if client is not None:
        base = getattr(client, "base_url", None) or getattr(client, "model", None)
        if base is not None:
            out["endpoint"] = str(base)
        meta = getattr(client, "meta", None)
        if meta is not None:
            out["region"] = meta.region_name
            out["endpoint"] = meta.endpoint_url
        provider = getattr(client, "provider", None)
        if provider is not None:
            out["provider"] = provider
    if hasattr(model, "api_base"):
        out["api_base"] = model.api_base
    # to_dict prints a warning for each key it refuses to export; keep stdout for the JSON answer.
    with contextlib.redirect_stdout(io.StringIO()):
        out["to_dict"] = model.to_dict()
    return out


def main():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        cls = getattr(smolagents, case["class"])
        try:
            results.append(describe(cls.from_dict(case["data"])))
        except Exception as error:  # reported to the Swift test, which names the case
            results.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
