"""Validates structured outputs of the local models with Python's jsonschema (the oracle).

Usage: validate_structured.py CASES.json  — prints {"checked": N, "failures": [...]} on stdout.
CASES.json is a list of cases:
  {"name": ..., "schema": {...}, "outputs": ["<document text>", ...]}            (response_format json_schema)
  {"name": ..., "json_object": true, "outputs": [...]}                           (response_format json_object)
  {"name": ..., "tools": {"<tool name>": <parameters schema>, ...},
   "calls": [{"name": ..., "arguments": {...}} | null, ...]}                     (forced tool calls)
Every document must parse with json.loads (strict) and validate, formats included (FormatChecker with
rfc3339-validator installed, so date, time, date-time, uuid and email are checked).
"""
import json
import sys

from jsonschema.validators import validator_for


def check(schema, instance):
    cls = validator_for(schema)
    cls.check_schema(schema)
    # The draft's own checker: a bare FormatChecker() mixes drafts (draft 3's "time" wins there).
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(instance), key=str)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    checked, failures = 0, []
    for case in cases:
        if "calls" in case:
            for index, call in enumerate(case["calls"]):
                checked += 1
                if not isinstance(call, dict) or call.get("name") not in case["tools"]:
                    failures.append({"case": case["name"], "index": index, "error": f"not a call of an offered tool: {call!r}"})
                    continue
                errors = check(case["tools"][call["name"]], call.get("arguments"))
                if errors:
                    failures.append({"case": case["name"], "index": index, "error": errors, "call": call})
            continue
        schema = {"type": "object"} if case.get("json_object") else case["schema"]
        for index, text in enumerate(case["outputs"]):
            checked += 1
            try:
                instance = json.loads(text)
            except ValueError as error:
                failures.append({"case": case["name"], "index": index, "error": f"json.loads: {error}", "text": text})
                continue
            errors = check(schema, instance)
            if errors:
                failures.append({"case": case["name"], "index": index, "error": errors, "text": text})
    json.dump({"checked": checked, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main()
