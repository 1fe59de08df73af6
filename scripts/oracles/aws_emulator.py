"""Loopback emulations of the AWS endpoints that hand out credentials, for the credential-chain tests.

One HTTP server on 127.0.0.1 answers, by method and path:
  POST /                 STS (query/form API, XML answers): AssumeRole (SigV4-signed by the caller, verified
                         here with botocore) and AssumeRoleWithWebIdentity (unsigned; the token must be
                         `web-identity-token-<role name>`).
  GET  /federation/credentials   SSO GetRoleCredentials (JSON); header x-amz-sso_bearer_token must be
                         `sso-token-<account id>`.
  GET  /container/<name> the ECS / EKS Pod Identity container endpoint (JSON); when <name> contains `auth`,
                         the Authorization header must be `container-auth-<name>`.
  PUT  /latest/api/token and GET /latest/meta-data/iam/security-credentials/[<role>]: IMDSv2 (the GETs need
                         the token from the PUT; a PUT without the TTL header is refused, as EC2 does).
  POST /model/<id>/converse  a Bedrock Converse stand-in that verifies the request's SigV4 signature with
                         botocore (service `bedrock`) and answers `verified <access key id>`, or 403.
  GET  /_calls?key=K     how many credential requests named K (a role ARN, SSO role, container name or
                         IMDS role) were served: the refresh tests count them.

Every access key handed out is derived from what was asked (role ARN and caller, SSO role and account,
container name, IMDS role), so botocore and the Swift resolver get the same key for the same scenario, and
every secret key and session token is derived from its access key (`derived_secret`, `derived_token`), so
this server can verify any signature without a table of secrets. Roles whose name contains `rotating` get
a new key on every call (a counter), so a refresh is visible. Expirations are one hour ahead unless the
name contains `short` (5 minutes: inside botocore's mandatory refresh window).

Usage: aws_emulator.py PORT_FILE   (binds a free port and writes it to PORT_FILE; stops when stdin closes)
"""

import datetime
import hashlib
import hmac
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def derived_secret(access_key):
    return hmac.new(b"secret", access_key.encode(), hashlib.sha256).hexdigest()[:40]


def derived_token(access_key):
    return "tok" + hmac.new(b"token", access_key.encode(), hashlib.sha256).hexdigest()


def fingerprint(secret):
    """What tests print and compare instead of a secret."""
    return hmac.new(b"fingerprint", secret.encode(), hashlib.sha256).hexdigest()


CALLS = {}
LOCK = threading.Lock()
SIGNING = threading.Lock()


def count(key):
    with LOCK:
        CALLS[key] = CALLS.get(key, 0) + 1
        return CALLS[key]


def issue(prefix, name, *parts):
    """An access key for `name` (+ the parts that make it distinct), counted; rotating names add the count."""
    number = count(name)
    digest = hashlib.sha256("|".join((name,) + parts).encode()).hexdigest()[:10].upper()
    key = f"{prefix}{digest}"
    if "rotating" in name:
        key += f"N{number}"
    lifetime = datetime.timedelta(minutes=5 if "short" in name else 60)
    expiration = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + lifetime
    return key, derived_secret(key), derived_token(key), expiration


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_sigv4(method, url, headers, body, service):
    """Whether botocore, with the secret derived from the request's access key, signs the request the same way."""
    authorization = headers.get("Authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 Credential="):
        return False, "no SigV4 Authorization header"
    credential = authorization.split("Credential=", 1)[1].split(",", 1)[0]
    access_key, _date, region, signed_service, _ = credential.split("/")
    if signed_service != service:
        return False, f"signed for service {signed_service}"
    token = headers.get("X-Amz-Security-Token")
    if token is not None and token != derived_token(access_key):
        return False, "wrong session token"
    signed = authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    amz_date = headers.get("X-Amz-Date", "")
    moment = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    kept = {name: value for name, value in headers.items()
            if name.lower() in signed and name.lower() not in ("x-amz-date", "x-amz-security-token")}
    request = botocore.awsrequest.AWSRequest(method=method, url=url, headers=kept, data=body)
    credentials = botocore.credentials.Credentials(access_key, derived_secret(access_key), token)
    # The patch replaces a module global: one verification at a time.
    with SIGNING, mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
    if request.headers["Authorization"] != authorization:
        return False, "signature mismatch"
    return True, access_key


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def url(self):
        return f"http://{self.headers.get('Host')}{self.path}"

    # STS, Bedrock, and unknown POSTs.
    def do_POST(self):
        body = self.body()
        path = urllib.parse.urlparse(self.path).path
        if path.startswith("/model/"):
            ok, detail = verify_sigv4("POST", self.url(), dict(self.headers), body, "bedrock")
            if not ok:
                return self.reply(403, json.dumps({"message": detail}))
            return self.reply(200, json.dumps({
                "output": {"message": {"role": "assistant", "content": [{"text": f"verified {detail}"}]}},
                "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}}))
        form = dict(urllib.parse.parse_qsl(body.decode()))
        action = form.get("Action")
        role = form.get("RoleArn", "")
        if action == "AssumeRole":
            ok, caller = verify_sigv4("POST", self.url(), dict(self.headers), body, "sts")
            if not ok:
                return self.sts_error(403, "SignatureDoesNotMatch", caller)
            key = issue("ASIASTS", role, caller, form.get("ExternalId", ""))
        elif action == "AssumeRoleWithWebIdentity":
            if "Authorization" in self.headers:
                return self.sts_error(400, "InvalidRequest", "AssumeRoleWithWebIdentity must not be signed")
            if form.get("WebIdentityToken") != "web-identity-token-" + role.rsplit("/", 1)[-1]:
                return self.sts_error(400, "InvalidIdentityToken", "the web identity token is not valid")
            key = issue("ASIAWEB", role)
        else:
            return self.sts_error(400, "InvalidAction", f"unknown action {action}")
        if not form.get("RoleSessionName"):
            return self.sts_error(400, "ValidationError", "RoleSessionName is required")
        access_key, secret, token, expiration = key
        result = f"{action}Result"
        self.reply(200, (
            f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{result}>'
            f"<Credentials><AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{escape(secret)}</SecretAccessKey>"
            f"<SessionToken>{escape(token)}</SessionToken><Expiration>{iso(expiration)}</Expiration></Credentials>"
            f"<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/{escape(form['RoleSessionName'])}</Arn>"
            f"<AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></{result}>"
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"), "text/xml")

    def sts_error(self, status, code, message):
        self.reply(status, f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                           f"<Code>{code}</Code><Message>{escape(message)}</Message></Error><RequestId>r</RequestId>"
                           "</ErrorResponse>", "text/xml")

    def do_PUT(self):
        self.body()
        if self.path == "/latest/api/token":
            if not self.headers.get("x-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "missing TTL", "text/plain")
            return self.reply(200, "imds-session-token", "text/plain")
        self.reply(404, "not found", "text/plain")

    def do_GET(self):
        parsed = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path == "/_calls":
            with LOCK:
                return self.reply(200, json.dumps({"count": CALLS.get(query.get("key", ""), 0)}))
        if parsed.path == "/federation/credentials":
            account, role = query.get("account_id", ""), query.get("role_name", "")
            if self.headers.get("x-amz-sso_bearer_token") != "sso-token-" + account:
                return self.reply(401, json.dumps({"message": "Session token not found or invalid"}))
            access_key, secret, token, expiration = issue("ASIASSO", role, account)
            return self.reply(200, json.dumps({"roleCredentials": {
                "accessKeyId": access_key, "secretAccessKey": secret, "sessionToken": token,
                "expiration": int(expiration.timestamp() * 1000)}}))
        if parsed.path.startswith("/container/"):
            name = parsed.path[len("/container/"):]
            if "auth" in name and self.headers.get("Authorization") != "container-auth-" + name:
                return self.reply(401, json.dumps({"message": "bad authorization token"}))
            access_key, secret, token, expiration = issue("ASIACTR", name)
            return self.reply(200, json.dumps({
                "AccessKeyId": access_key, "SecretAccessKey": secret, "Token": token,
                "Expiration": iso(expiration), "RoleArn": "arn:aws:iam::123456789012:role/" + name}))
        if parsed.path.startswith("/latest/meta-data/iam/security-credentials/"):
            if self.headers.get("x-aws-ec2-metadata-token") != "imds-session-token":
                return self.reply(401, "", "text/plain")
            role = parsed.path[len("/latest/meta-data/iam/security-credentials/"):]
            if not role:
                return self.reply(200, "emulator-instance-role", "text/plain")
            access_key, secret, token, expiration = issue("ASIAIMDS", role)
            return self.reply(200, json.dumps({
                "Code": "Success", "LastUpdated": iso(datetime.datetime.now(datetime.timezone.utc)),
                "Type": "AWS-HMAC", "AccessKeyId": access_key, "SecretAccessKey": secret, "Token": token,
                "Expiration": iso(expiration)}))
        self.reply(404, json.dumps({"message": "not found"}))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as handle:
        handle.write(str(server.server_address[1]))
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # The test holds our stdin open; when it exits (or is killed), stdin closes and so do we.
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
