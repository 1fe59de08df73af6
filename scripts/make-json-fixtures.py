#!/usr/bin/env python3
"""Writes Tests/SmolCoreTests/Fixtures/json/python-dumps.jsonl: what Python's json.dumps prints.

Each line is an object {"input", "dumps", "dumps_ascii", "dumps_indent2"}: "input" is JSON text written
with varied spellings (float forms such as 1E16, 1e-5, 0.10000000000000001 or long decimal strings,
\\uXXXX escapes, surrogate-pair escapes, odd whitespace), and the others are
json.dumps(json.loads(input), ...) with ensure_ascii=False, ensure_ascii=True and indent=2 (with
ensure_ascii=False). The Swift tests parse "input" and check that JSONEmitter prints the same three texts.

Integers stay within 64 bits, because the Swift parser turns larger ones into doubles where Python keeps
them exact. Object keys avoid combining marks: Swift compares strings by canonical equivalence, so
"\u00e9" and "e\u0301" would be one key there and two in Python.

Deterministic: run it again and the file is identical. Usage: python3 scripts/make-json-fixtures.py
"""

import json
import math
import os
import random
import struct
import sys

SEED = 20250611
COUNT = 300
OUTPUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SmolCoreTests", "Fixtures", "json", "python-dumps.jsonl"
)

TRICKY_FLOATS = [
    0.0, -0.0, 1e16, 1e15, 1e-05, 0.0001, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
    1e22, 1e23, 9007199254740993.0, 1234567890123456.7, 12345678901234567.0, 0.1, 1.0, 100.0, 1.5e-5, 123.456,
    2.0 ** 53, 2.0 ** 63, -2.0 ** 63, 1e-4, 9.999999999999999e-05, 9999999999999998.0, 1e300 * 10,
]
TRICKY_FLOAT_TEXTS = [
    "1e400", "-1e400", "1e-400", "-1e-400", "NaN", "Infinity", "-Infinity", "1E16", "1e+16", "10000000000000000.0",
    "1e-5", "0.00001", "0.10000000000000001", "0.30000000000000004", "4.9406564584124654e-324", "2.4703282292062328e-324",
    "2.4703282292062327e-324", "1.00000000000000011102230246251565404236316680908203125", "-0.0", "0e0", "0E-0",
    "123456789012345678901234567890.0", "3.141592653589793238462643383279502884197", "1.7976931348623158e308",
    "1.7976931348623159e308", "9007199254740993.0", "0.000000000000000000000000000000000000001",
]
TRICKY_INTS = [0, 1, -1, 2 ** 53, 2 ** 53 + 1, -(2 ** 53) - 1, 2 ** 63 - 1, -(2 ** 63), 10 ** 18, -(10 ** 18)]
SPECIAL_CHARS = "\x00\x01\x08\t\n\x0b\x0c\r\x1f \"\\/\x7f\x80\x85\xa0\u00e9\u0301\u2028\u2029\ufeff\uffff\U0001F680\U0010FFFF\u4e2d"


def random_char(rng, for_key=False):
    roll = rng.random()
    if roll < 0.45:
        return chr(rng.randrange(0x20, 0x7F))
    if roll < 0.6:
        char = rng.choice(SPECIAL_CHARS)
        return "x" if for_key and char == "\u0301" else char
    if roll < 0.8:
        while True:
            code = rng.randrange(0x80, 0x10000)
            if not 0xD800 <= code <= 0xDFFF and not (for_key and 0x300 <= code <= 0x36F):
                return chr(code)
    return chr(rng.randrange(0x10000, 0x110000))


def random_string(rng, for_key=False):
    length = rng.choice([0, 1, 2, 3, 5, 8, 13, 40]) if not for_key else rng.randrange(0, 6)
    return "".join(random_char(rng, for_key) for _ in range(length))


def random_float_text(rng):
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(TRICKY_FLOAT_TEXTS)
    if roll < 0.4:
        value = rng.choice(TRICKY_FLOATS)
    elif roll < 0.6:
        while True:
            value = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            if math.isfinite(value):
                break
    elif roll < 0.8:
        value = rng.randrange(-10 ** 6, 10 ** 6) / 10 ** rng.randrange(0, 12)
    else:
        # Long decimal strings: more digits than a double holds, so they must be rounded correctly.
        whole = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 25))).lstrip("0") or "0"
        fraction = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 30)))
        return rng.choice(["", "-"]) + whole + "." + fraction + rng.choice(["", "e-7", "E+12", "e300", "e-330"])
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    spelling = rng.randrange(4)
    if spelling == 0:
        return repr(value)
    if spelling == 1:
        return "%.17g" % value if "e" in "%.17g" % value or "." in "%.17g" % value else "%.17g.0" % value
    if spelling == 2:
        return "%.20e" % value
    return repr(value).upper()


def string_literal(rng, text):
    out = ['"']
    for char in text:
        code = ord(char)
        roll = rng.random()
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif char == "/" and roll < 0.5:
            out.append("\\/")
        elif code < 0x20 or roll < 0.15:
            short = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
            if char in short and roll < 0.5:
                out.append(short[char])
            elif code >= 0x10000:
                high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
                out.append(("\\u%04x\\u%04X" if roll < 0.07 else "\\u%04X\\u%04x") % (high, low))
            else:
                out.append(("\\u%04x" if roll < 0.5 else "\\u%04X") % code)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def whitespace(rng):
    return rng.choice(["", "", "", " ", "\n", "\t", "\r\n  ", "  "])


def random_text(rng, depth):
    kind = rng.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return rng.choice(["null", "true", "false"])
    if kind == 1:
        value = rng.choice(TRICKY_INTS) if rng.random() < 0.3 else rng.randrange(-(10 ** rng.randrange(1, 19)), 10 ** rng.randrange(1, 19))
        return str(value)
    if kind == 2:
        return random_float_text(rng)
    if kind in (3, 4):
        return string_literal(rng, random_string(rng))
    count = rng.randrange(0, 5)
    if kind == 5:
        items = [whitespace(rng) + random_text(rng, depth + 1) + whitespace(rng) for _ in range(count)]
        return "[" + ",".join(items) + "]" if items else "[" + whitespace(rng) + "]"
    keys = [random_string(rng, for_key=True) for _ in range(count)]
    if keys and rng.random() < 0.2:
        keys.append(rng.choice(keys))  # a repeated key: first position, last value
    members = [
        whitespace(rng) + string_literal(rng, key) + whitespace(rng) + ":" + whitespace(rng) + random_text(rng, depth + 1) + whitespace(rng)
        for key in keys
    ]
    return "{" + ",".join(members) + "}" if members else "{" + whitespace(rng) + "}"


def main():
    rng = random.Random(SEED)
    lines = []
    for index in range(COUNT):
        text = whitespace(rng) + random_text(rng, 0 if index % 3 else 1) + whitespace(rng)
        value = json.loads(text)
        record = {
            "input": text,
            "dumps": json.dumps(value, ensure_ascii=False),
            "dumps_ascii": json.dumps(value),
            "dumps_indent2": json.dumps(value, ensure_ascii=False, indent=2),
        }
        lines.append(json.dumps(record))
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="ascii", newline="\n") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} lines to {os.path.normpath(OUTPUT)} with Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
