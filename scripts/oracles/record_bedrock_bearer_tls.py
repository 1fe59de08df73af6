#!/usr/bin/env python3
"""Record the golden Bedrock API-key (bearer) request from boto3, over TLS.

Why: with `AWS_BEARER_TOKEN_BEDROCK` set, botocore sends `Authorization: Bearer <key>` instead of a SigV4
signature, and only over HTTPS. So this script makes a self-signed certificate for IP 127.0.0.1
(`openssl req -x509 …`, valid for 10 years), serves HTTPS on 127.0.0.1:PORT with the capture logic of
record_bedrock_golden.py, runs one `converse` call with `AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-golden`
and `verify=<cert.pem>`, and writes into Tests/SmolRemoteTests/Fixtures/bedrock/golden-tls/:

  bearer.json  the fixture, shaped like the golden/ ones: {"name", "sdk", "client": {region, api_key,
               endpoint_url, ...}, "stream", "call", "swift", "request": {method, path, headers
               (content-type, x-amz-date, x-amz-security-token, authorization — those present), body,
               body_raw}, "sdk_response"}
  cert.pem     the test server's certificate (the Swift test trusts it via HTTPConfiguration)
  key.pem      its private key: test-only, never used for anything but the local test server

An existing cert.pem/key.pem pair is reused (pass --new-cert to make a fresh one), so re-recording does
not churn the committed files.

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/record_bedrock_bearer_tls.py [--port 18443]
"""
import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import record_bedrock_golden as golden  # noqa: E402  (also freezes botocore's clock; unused for bearer)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

OUT = HERE.parents[1] / "Tests/SmolRemoteTests/Fixtures/bedrock/golden-tls"
API_KEY = "bedrock-api-key-golden"
SCENARIO = dict(name="bearer",
                call=dict(messages=[golden.user("What is the capital of France?")],
                          system=[{"text": golden.SYSTEM}], inferenceConfig={"maxTokens": 64}),
                swift=dict(messages=[golden.s("system", golden.SYSTEM),
                                     golden.s("user", "What is the capital of France?")],
                           parameters={"max_tokens": 64}))


def make_certificate(cert, key):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)


def start_tls_server(port, cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv = socket.create_server(("127.0.0.1", port))
    log, lock = [], threading.Lock()

    def handle(raw):
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        golden.serve(conn, log, lock)

    def loop():
        while True:
            raw, _ = srv.accept()
            threading.Thread(target=handle, args=(raw,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return log


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18443)
    parser.add_argument("--new-cert", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cert, key = OUT / "cert.pem", OUT / "key.pem"
    if args.new_cert or not (cert.exists() and key.exists()):
        make_certificate(cert, key)
    log = start_tls_server(args.port, cert, key)
    endpoint = f"https://127.0.0.1:{args.port}"
    # Only the bearer token: no AWS keys, so botocore cannot fall back to SigV4.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ["AWS_BEARER_TOKEN_BEDROCK"] = API_KEY
    client = boto3.client("bedrock-runtime", region_name=golden.REGION, endpoint_url=endpoint, verify=str(cert),
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    call = SCENARIO["call"]
    sdk_response = golden.jsonable(client.converse(modelId=golden.MODEL, **call))
    assert len(log) == 1, f"expected one request, got {len(log)}"
    req = log[0]
    wire_call = {"model_id": golden.MODEL, "messages": golden.jsonable(call["messages"]), "system": call.get("system")}
    for name in ("inferenceConfig", "toolConfig", "guardrailConfig", "additionalModelRequestFields"):
        wire_call[name] = call.get(name)
    fixture = {
        "name": SCENARIO["name"],
        "sdk": f"boto3 {boto3.__version__}",
        "client": {"region": golden.REGION, "api_key": API_KEY, "environment": {"AWS_BEARER_TOKEN_BEDROCK": API_KEY},
                   "endpoint_url": endpoint},
        "stream": False,
        "call": wire_call,
        "swift": {"model_id": golden.MODEL, **SCENARIO["swift"]},
        "request": {"method": req["method"], "path": req["path"],
                    "headers": {k: req["headers"][k] for k in golden.KEPT_HEADERS if k in req["headers"]},
                    "body": json.loads(req["body"]), "body_raw": req["body"]},
        "sdk_response": sdk_response,
    }
    (OUT / "bearer.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
    print(f"bearer: {req['method']} {req['path']} authorization={req['headers'].get('authorization')!r}")


if __name__ == "__main__":
    main()
