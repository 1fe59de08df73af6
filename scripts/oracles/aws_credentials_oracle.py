"""botocore's own credential chain, run on the caller's environment, as the oracle for the Swift resolver.

Prints one JSON object on stdout and never a secret: {"botocore_version", "method", "access_key",
"secret_fingerprint", "token_fingerprint"} (fingerprints as in aws_emulator.fingerprint: HMAC-SHA256 under
the key "fingerprint", hex), or {"botocore_version", "error": <exception class>, "message"} when botocore
finds nothing or fails. The environment (HOME, AWS_*) is the scenario's: the test passes it to this process.
ORACLE_PROFILE, when set, is passed as `Session(profile=…)`: an explicitly named profile, which makes botocore
ignore the environment's keys. ORACLE_CONTAINER_HOST, when set, replaces ECS's fixed container host
(169.254.170.2, where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved) with a loopback host:port.

Usage: aws_credentials_oracle.py
"""

import hashlib
import hmac
import json
import os
import sys

import botocore
import botocore.session
import botocore.utils


def fingerprint(value):
    if value is None:
        return None
    return hmac.new(b"fingerprint", value.encode(), hashlib.sha256).hexdigest()


def main():
    result = {"botocore_version": botocore.__version__}
    if os.environ.get("ORACLE_CONTAINER_HOST"):
        botocore.utils.ContainerMetadataFetcher.IP_ADDRESS = os.environ["ORACLE_CONTAINER_HOST"]
    try:
        credentials = botocore.session.Session(profile=os.environ.get("ORACLE_PROFILE")).get_credentials()
        if credentials is None:
            result.update(error="NoCredentialsError", message="Unable to locate credentials")
        else:
            frozen = credentials.get_frozen_credentials()
            result.update(method=credentials.method, access_key=frozen.access_key,
                          secret_fingerprint=fingerprint(frozen.secret_key),
                          token_fingerprint=fingerprint(frozen.token))
    except Exception as error:  # the class name is what the tests compare
        result.update(error=type(error).__name__, message=str(error))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
