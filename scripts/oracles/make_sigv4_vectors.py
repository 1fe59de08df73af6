#!/usr/bin/env python3
"""Write SigV4 test vectors for Bedrock, signed by botocore under a frozen clock.

Why: the Swift SigV4Signer must put on the wire the Authorization header botocore computes, byte for
byte. botocore's signer reads the time from botocore.auth.get_current_datetime; patching it makes the
signature deterministic (providers.md B2). Each vector is signed with
botocore.auth.SigV4Auth(credentials, service, region).add_auth(AWSRequest(method, url, headers, body)).

For the vectors marked "client", the URL, body and headers are not written by hand: they are what a
real boto3 client builds for that call (captured in a before-send hook, so nothing leaves the machine),
and the script checks that the client's own Authorization equals the one SigV4Auth gives for the
vector. That ties the vectors to what boto3 really sends (model ids percent-encoded in the path, the
headers signed, the JSON body).

Output: Tests/SmolRemoteTests/Fixtures/bedrock/sigv4-vectors.json, a list of vectors with the inputs
(method, url, headers_in, body, date, credentials, service, region) and botocore's results
(canonical_request, string_to_sign, authorization, headers_out in order).

Run: ~/.cache/swift-smolagents/venv-sdk/bin/python scripts/oracles/make_sigv4_vectors.py
(the sdk venv from scripts/oracles/setup.sh has boto3/botocore 1.43.11).
"""
import datetime
import json
import os
from pathlib import Path

# No machine credentials, config files or region may leak into the clients built below.
for name in list(os.environ):
    if name.startswith("AWS_"):
        del os.environ[name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "Tests/SmolRemoteTests/Fixtures/bedrock/sigv4-vectors.json"

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexample+token/with=padding=="
HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

_now = [datetime.datetime(2024, 1, 2, 3, 4, 5)]
botocore.auth.get_current_datetime = lambda *args, **kwargs: _now[0]


class Sent(Exception):
    """Raised from before-send: carries the prepared request, so no connection is made."""


def capture(service, region, token, call, endpoint_url=None):
    """The (method, url, headers, body) a boto3 client sends for `call(client)`."""
    client = boto3.client(
        service, region_name=region, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        aws_session_token=token, endpoint_url=endpoint_url)

    def hook(request, **kwargs):
        raise Sent(request)

    client.meta.events.register(f"before-send.{service}.*", hook)
    try:
        call(client)
    except Sent as sent:
        request = sent.args[0]
    else:
        raise AssertionError("the client did not send")
    headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
    body = request.body or b""
    signing_name = client.meta.service_model.signing_name  # "bedrock" for bedrock-runtime too
    return signing_name, request.method, request.url, headers, body if isinstance(body, bytes) else body.encode()


class RecordingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that keeps the canonical request and string to sign it computed while signing."""

    def string_to_sign(self, request, canonical_request):
        self.recorded_canonical_request = canonical_request
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign


def vector(name, *, service, region, method, url, headers, body, date, token=None, client_authorization=None):
    _now[0] = date.replace(tzinfo=None)
    auth = RecordingSigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), service, region)
    request = AWSRequest(method=method, url=url, data=body)
    for key, value in headers:  # HTTPHeaders appends, so repeated headers stay repeated and in order
        request.headers[key] = value
    auth.add_auth(request)
    out = [[k, v] for k, v in request.headers.items()]
    authorization = request.headers["Authorization"]
    if client_authorization is not None:
        assert authorization == client_authorization, (name, authorization, client_authorization)
    return {
        "name": name,
        "service": service,
        "region": region,
        "credentials": {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "session_token": token},
        "date": date.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "epoch_seconds": date.replace(tzinfo=datetime.timezone.utc).timestamp(),
        "method": method,
        "url": url,
        "headers_in": [[k, v] for k, v in headers],
        "body": body.decode("utf-8"),
        "canonical_request": auth.recorded_canonical_request,
        "string_to_sign": auth.recorded_string_to_sign,
        "authorization": authorization,
        "headers_out": out,
        "checked_against_client": client_authorization is not None,
    }


def client_vector(name, *, client, region, token, call, date, endpoint_url=None):
    """A vector whose inputs are what boto3 sends, cross-checked against the client's own signature."""
    _now[0] = date.replace(tzinfo=None)
    service, method, url, sent_headers, body = capture(client, region, token, call, endpoint_url)
    client_authorization = dict(sent_headers)["Authorization"]
    # The headers present when botocore signs: what the client sent minus what signing added and what
    # is added after signing (amz-sdk-*, Content-Length).
    dropped = {"authorization", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request",
               "content-length"}
    headers = [(k, v) for k, v in sent_headers if k.lower() not in dropped]
    # The User-Agent (unsigned) names this machine's OS and kernel: keep the header, not the details.
    headers = [(k, f"Boto3/{boto3.__version__} Botocore/{botocore.__version__}" if k.lower() == "user-agent" else v)
               for k, v in headers]
    return vector(name, service=service, region=region, method=method, url=url, headers=headers, body=body,
                  date=date, token=token, client_authorization=client_authorization)


def main():
    d1 = datetime.datetime(2024, 1, 2, 3, 4, 5)
    d2 = datetime.datetime(2026, 11, 26, 8, 20, 32)
    converse = lambda model: lambda c: c.converse(modelId=model, messages=MESSAGES)  # noqa: E731
    stream = lambda model: lambda c: c.converse_stream(  # noqa: E731
        modelId=model, messages=MESSAGES, inferenceConfig={"maxTokens": 64, "temperature": 0.2})
    vectors = [
        client_vector("converse-haiku-us-west-2-local-endpoint", client="bedrock-runtime", region="us-west-2",
                      token=None, call=converse(HAIKU), date=d1, endpoint_url="http://127.0.0.1:18080"),
        client_vector("converse-haiku-us-west-2", client="bedrock-runtime", region="us-west-2", token=None,
                      call=converse(HAIKU), date=d1),
        client_vector("converse-haiku-us-east-1-session-token", client="bedrock-runtime", region="us-east-1",
                      token=TOKEN, call=converse(HAIKU), date=d2),
        client_vector("converse-stream-haiku-us-east-1", client="bedrock-runtime", region="us-east-1", token=None,
                      call=stream(HAIKU), date=d2),
        client_vector("converse-stream-haiku-us-west-2-session-token", client="bedrock-runtime", region="us-west-2",
                      token=TOKEN, call=stream(HAIKU), date=d1),
        client_vector("converse-arn-us-east-1", client="bedrock-runtime", region="us-east-1", token=None,
                      call=converse(ARN), date=d2),
        client_vector("converse-arn-us-east-1-session-token", client="bedrock-runtime", region="us-east-1",
                      token=TOKEN, call=converse(ARN), date=d1),
        client_vector("converse-stream-arn-us-west-2", client="bedrock-runtime", region="us-west-2", token=None,
                      call=stream(ARN), date=d2),
        client_vector("converse-stream-arn-us-west-2-session-token", client="bedrock-runtime", region="us-west-2",
                      token=TOKEN, call=stream(ARN), date=d2),
        client_vector("bedrock-list-foundation-models-query", client="bedrock", region="us-east-1", token=None,
                      call=lambda c: c.list_foundation_models(byProvider="anthropic", byOutputModality="TEXT"),
                      date=d1),
    ]
    # Hand-built requests for the corners the clients do not reach.
    wire = "/model/" + botocore.utils.percent_encode(HAIKU) + "/converse"
    vectors += [
        vector("headers-trimmed-repeated-and-unsigned", service="bedrock", region="us-west-2", method="POST",
               url="https://bedrock-runtime.us-west-2.amazonaws.com" + wire,
               headers=[("Content-Type", "application/json"), ("X-Custom", "  a   b\tc  "), ("x-custom", "second"),
                        ("User-Agent", "swift-smolagents"), ("Accept", "application/json"),
                        ("X-Amzn-Trace-Id", "Root=1-0")],
               body=json.dumps({"messages": MESSAGES}).encode(), date=d1),
        vector("utf8-body-uppercase-host-custom-port", service="bedrock", region="us-east-1", method="POST",
               url="http://Bedrock.Example.COM:8443" + wire,
               headers=[("Content-Type", "application/json")],
               body='{"messages":[{"role":"user","content":[{"text":"héllo ☃ 日本"}]}]}'.encode(), date=d2,
               token=TOKEN),
        vector("stale-auth-headers-replaced", service="bedrock", region="us-east-1", method="POST",
               url="https://bedrock-runtime.us-east-1.amazonaws.com" + wire,
               headers=[("Authorization", "Bearer stale"), ("X-Amz-Date", "19990101T000000Z"),
                        ("Content-Type", "application/json"), ("X-Amz-Security-Token", "stale")],
               body=b"{}", date=d1, token=TOKEN),
        vector("date-header-instead-of-x-amz-date", service="bedrock", region="us-east-1", method="POST",
               url="https://bedrock-runtime.us-east-1.amazonaws.com" + wire,
               headers=[("Date", "Thu, 01 Jan 1970 00:00:00 GMT"), ("Content-Type", "application/json")],
               body=b"{}", date=d2),
        vector("fractional-seconds-truncated", service="bedrock", region="eu-central-1", method="POST",
               url="https://bedrock-runtime.eu-central-1.amazonaws.com" + wire,
               headers=[("Content-Type", "application/json")], body=b"{}",
               date=datetime.datetime(2025, 2, 28, 23, 59, 59, 750000)),
        vector("empty-body-get-with-query", service="bedrock", region="us-west-2", method="get",
               url="https://bedrock.us-west-2.amazonaws.com/foundation-models?byProvider=meta&byInferenceType=ON_DEMAND",
               headers=[], body=b"", date=d2),
    ]
    document = {
        "about": "SigV4 vectors signed by botocore under a frozen clock; made by scripts/oracles/make_sigv4_vectors.py. "
                 "The credentials are AWS's documentation examples, not real keys.",
        "botocore_version": botocore.__version__,
        "vectors": vectors,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUT}")


if __name__ == "__main__":
    main()
