#!/usr/bin/env python3
"""AWS event-stream fixtures for the Swift decoder, checked with botocore's own decoder.

Why: Bedrock's ConverseStream answers in `application/vnd.amazon.eventstream` frames. This script encodes
a realistic ConverseStream (text with multi-byte UTF-8, a tool call streamed as partial JSON, messageStop,
metadata with cache usage), every modelled in-stream exception, a generic `error` frame and frames with
every header type, then checks each file with botocore:
  * `botocore.eventstream.EventStreamBuffer`, whole and in 37-byte chunks: same headers (in wire order)
    and payloads as encoded;
  * `botocore.eventstream.EventStream` with the bedrock-runtime ConverseStream output shape: the events
    boto3's `converse_stream()` would yield, or the `EventStreamError` it would raise.
It writes the `.bin` files and `expectations.json` to Tests/SmolRemoteTests/Fixtures/bedrock/eventstream/.

With `--botocore-tests PATH` (botocore's `tests/unit/test_eventstream.py`, e.g. from a clone of
boto/botocore) it also extracts botocore's positive and negative vectors into `botocore/`. The 24 MiB
INVALID_PAYLOAD_LENGTH vector is cut to its first 64 bytes: its prelude alone must be rejected.

`--decode FILE` is the reverse oracle used by the Swift tests: it decodes FILE with botocore and prints
JSON {"frames": [...], "events": [...], "error": {...} | null} on stdout.

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/make_eventstream_fixtures.py \
         [--botocore-tests botocore/tests/unit/test_eventstream.py]
"""
import argparse
import ast
import binascii
import json
import struct
import sys
from pathlib import Path

import botocore
import botocore.session
from botocore.eventstream import EventStream, EventStreamBuffer, ParserError
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/bedrock/eventstream"
TYPES = {"true": 0, "false": 1, "byte": 2, "short": 3, "int": 4, "long": 5, "bytes": 6, "string": 7,
         "timestamp": 8, "uuid": 9}
FORMATS = {"byte": ">b", "short": ">h", "int": ">i", "long": ">q", "timestamp": ">q"}


def encode_header(name, kind, value):
    raw = name.encode()
    if kind == "bool":
        return bytes([len(raw)]) + raw + bytes([TYPES["true" if value else "false"]])
    out = bytes([len(raw)]) + raw + bytes([TYPES[kind]])
    if kind in FORMATS:
        return out + struct.pack(FORMATS[kind], value)
    if kind == "uuid":
        assert len(value) == 16
        return out + value
    data = value.encode() if kind == "string" else value
    return out + struct.pack(">H", len(data)) + data


def frame(headers, payload):
    """headers: [(name, kind, value)] in wire order; payload: bytes."""
    hb = b"".join(encode_header(*h) for h in headers)
    prelude = struct.pack(">II", 16 + len(hb) + len(payload), len(hb))
    prelude += struct.pack(">I", binascii.crc32(prelude))
    message = prelude + hb + payload
    return message + struct.pack(">I", binascii.crc32(message))


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def event(kind, payload):
    return frame([(":event-type", "string", kind), (":content-type", "string", "application/json"),
                  (":message-type", "string", "event")], compact(payload))


def exception(kind, payload):
    return frame([(":exception-type", "string", kind), (":content-type", "string", "application/json"),
                  (":message-type", "string", "exception")], compact(payload))


CONVERSE_EVENTS = [
    ("messageStart", {"role": "assistant", "p": "abcdefghijklmn"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Bonjour, voilà "}, "p": "abcd"}),
    ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "— 日本語 🌍 naïve façade."}}),
    ("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}),
    ("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {
        "toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "get_weather"}}}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"location\": \"Par"}}}),
    ("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "is\", \"unit\": \"°C\"}"}}}),
    ("contentBlockStop", {"contentBlockIndex": 1}),
    ("messageStop", {"stopReason": "tool_use", "p": "abc"}),
    ("metadata", {"usage": {"inputTokens": 412, "outputTokens": 37, "totalTokens": 449,
                            "cacheReadInputTokens": 128, "cacheWriteInputTokens": 64},
                  "metrics": {"latencyMs": 1234}, "p": "abcdefghijk"}),
]

EXCEPTIONS = {
    "throttlingException": {"message": "Too many tokens, please wait before trying again."},
    "validationException": {"message": "The model returned the following errors: max_tokens: must be ≤ 4096"},
    "modelStreamErrorException": {"message": "The model stream failed.", "originalStatusCode": 424,
                                  "originalMessage": "upstream reset"},
    "internalServerException": {"message": "The server encountered an internal error."},
    "serviceUnavailableException": {"message": "The service is unavailable. Try again later."},
}

UUID = bytes(range(0x10, 0x20))
ALL_HEADER_FRAMES = [
    frame([("bool-true", "bool", True), ("bool-false", "bool", False), ("byte", "byte", -128),
           ("short", "short", -32768), ("int", "int", -2147483648), ("long", "long", -(1 << 63)),
           ("bytes", "bytes", b"\x00\xff\x10"), ("string", "string", "héllo ✓ 😀"),
           ("timestamp", "timestamp", 1767225600123), ("uuid", "uuid", UUID)], b'{"all":"types"}'),
    frame([("nom-é", "byte", 127), ("short", "short", 32767), ("int", "int", 2147483647),
           ("long", "long", (1 << 63) - 1), ("bytes", "bytes", b""), ("string", "string", ""),
           ("timestamp", "timestamp", 0), ("uuid", "uuid", b"\xff" * 16), ("", "bool", True)], bytes(range(256))),
    frame([], b""),
    frame([("long-string", "string", "x" * 300 + "é" * 40), ("bytes", "bytes", bytes(range(256)) * 2)], b"tail"),
]


def json_value(value):
    if isinstance(value, (bytes, bytearray)):
        return {"hex": bytes(value).hex()}
    return value


def decode_frames(data, chunk):
    buffer, frames = EventStreamBuffer(), []
    for i in range(0, len(data), chunk):
        buffer.add_data(data[i:i + chunk])
        frames.extend(buffer)
    assert len(buffer._data) == 0, "trailing bytes"
    return [{"headers": [[k, json_value(v)] for k, v in m.headers.items()], "payload_hex": m.payload.hex(),
             "total_length": m.prelude.total_length, "prelude_crc": m.prelude.crc, "message_crc": m.crc}
            for m in frames]


class RawStream:
    def __init__(self, data, chunk):
        self.data, self.chunk = data, chunk

    def stream(self):
        for i in range(0, len(self.data), self.chunk):
            yield self.data[i:i + self.chunk]

    def close(self):
        pass


def converse_stream(data, chunk=37):
    """What boto3's converse_stream() yields for `data`: events, then the EventStreamError if one is raised."""
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("ConverseStream").output_shape.members["stream"]
    events, error = [], None
    try:
        for parsed in EventStream(RawStream(data, chunk), shape, EventStreamJSONParser(), "ConverseStream"):
            (kind, payload), = parsed.items()
            events.append({"type": kind, "payload": payload})
    except EventStreamError as exc:
        error = {"code": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
    return events, error


def without_padding(value):
    if isinstance(value, dict):
        return {k: without_padding(v) for k, v in value.items() if k != "p"}
    return value


def check(name, data, frames_spec=None, expected_events=None):
    whole, chunked = decode_frames(data, len(data) or 1), decode_frames(data, 37)
    assert whole == chunked == decode_frames(data, 1), name
    events, error = converse_stream(data)
    if expected_events is not None:
        want = [{"type": k, "payload": without_padding(p)} for k, p in expected_events]
        assert events == want, f"{name}: botocore yielded {events}"
    return {"file": f"{name}.bin", "size": len(data), "frames": whole, "botocore_events": events, "botocore_error": error}


def botocore_vectors(test_file):
    tree = ast.parse(Path(test_file).read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            try:
                encoded = eval(compile(ast.Expression(node.value.elts[0]), test_file, "eval"), {"__builtins__": {}})
            except Exception:
                continue
            if isinstance(encoded, bytes):
                second = node.value.elts[1]
                values[node.targets[0].id] = (encoded, second.id if isinstance(second, ast.Name) else None)
    names = {"POSITIVE_CASES": [], "NEGATIVE_CASES": []}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id in names:
            names[node.targets[0].id] = [e.id for e in node.value.elts]
    out, result = OUT / "botocore", {"positive": [], "negative": []}
    out.mkdir(parents=True, exist_ok=True)
    for name in names["POSITIVE_CASES"]:
        data = values[name][0]
        (out / f"{name}.bin").write_bytes(data)
        result["positive"].append({"name": name, "file": f"botocore/{name}.bin", "frames": decode_frames(data, 37)})
    for name in names["NEGATIVE_CASES"]:
        data, exc = values[name]
        buffer = EventStreamBuffer()
        buffer.add_data(data)
        try:
            list(buffer)
            raise AssertionError(f"{name} decoded")
        except ParserError as raised:
            assert type(raised).__name__ == exc, (name, raised)
        truncated = len(data) > 4096
        if truncated:
            data = data[:64]
        (out / f"{name}.bin").write_bytes(data)
        result["negative"].append({"name": name, "file": f"botocore/{name}.bin", "botocore_exception": exc,
                                   "truncated": truncated})
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--botocore-tests")
    parser.add_argument("--decode")
    args = parser.parse_args()
    if args.decode:
        data = Path(args.decode).read_bytes()
        events, error = converse_stream(data)
        json.dump({"frames": decode_frames(data, 37), "events": events, "error": error}, sys.stdout, ensure_ascii=False)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    fixtures = {}
    stream = b"".join(event(k, p) for k, p in CONVERSE_EVENTS)
    fixtures["converse_stream"] = (stream, CONVERSE_EVENTS)
    throttled = b"".join(event(k, p) for k, p in CONVERSE_EVENTS[:2])
    fixtures["converse_stream_throttled"] = (throttled + exception("throttlingException", EXCEPTIONS["throttlingException"]),
                                            CONVERSE_EVENTS[:2])
    for kind, payload in EXCEPTIONS.items():
        fixtures[f"exception_{kind}"] = (exception(kind, payload), [])
    fixtures["error_message"] = (frame([(":message-type", "string", "error"), (":error-code", "string", "InternalFailure"),
                                        (":error-message", "string", "The request processing has failed.")], b""), [])
    fixtures["all_header_types"] = (b"".join(ALL_HEADER_FRAMES), None)

    expectations = {"generator": "scripts/oracles/make_eventstream_fixtures.py", "botocore": botocore.__version__,
                    "converse_events": [{"type": k, "payload": p} for k, p in CONVERSE_EVENTS], "fixtures": []}
    for name, (data, events) in fixtures.items():
        (OUT / f"{name}.bin").write_bytes(data)
        expectations["fixtures"].append(check(name, data, expected_events=events))
    for entry in expectations["fixtures"]:
        if entry["file"].startswith(("exception_", "converse_stream_throttled")):
            assert entry["botocore_error"] and entry["botocore_error"]["code"].endswith("Exception"), entry
    previous = OUT / "expectations.json"
    if args.botocore_tests:
        expectations["botocore_vectors"] = botocore_vectors(args.botocore_tests)
    elif previous.exists():
        expectations["botocore_vectors"] = json.loads(previous.read_text()).get("botocore_vectors")
    previous.write_text(json.dumps(expectations, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(fixtures)} fixtures to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
