"""``govbot-sandbox serve`` refuses strangers and answers bad input the AWS way.

The server runs as a subprocess on a free loopback port; boto3 and raw HTTP (signed with
botocore's SigV4 signer where a signature is needed) talk to it from outside.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from govbot_sandbox.live.accounts import CONSUMER_ACCOUNT, SECRET_ACCESS_KEY
from tests.e2e.conftest import SharedServe

REPO_README = Path(__file__).resolve().parents[2] / "README.md"
OWNER_KEY = "AKIAOWNERALICE000000"
UNKNOWN_KEY = "AKIAUNKNOWNKEY000000"
START_TIMEOUT = 60.0
TARGET = "PhotonAdminProxyService"

pytestmark = pytest.mark.xdist_group("live-endpoint")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A running ``govbot-sandbox serve`` and ways to call it."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = log

    def client(self, service: Any, key: str = OWNER_KEY, secret: str = SECRET_ACCESS_KEY) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )

    def admin(self, path: str, body: bytes | None = None, method: str = "GET") -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"{self.endpoint}/_govbot/{path}", body, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def raw(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, **kw: Any
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers, **kw)
            reply = conn.getresponse()
            return reply.status, dict(reply.getheaders()), reply.read()
        finally:
            conn.close()

    def signed_appstream(
        self, operation: str, body: bytes, key: str = OWNER_KEY, *, chunked: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """A JSON 1.1 AppStream call signed by botocore's SigV4 signer, sent raw."""
        headers = {
            "X-Amz-Target": f"{TARGET}.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
            "Host": f"127.0.0.1:{self.port}",
        }
        request = AWSRequest("POST", f"{self.endpoint}/", headers=headers, data=body)
        SigV4Auth(Credentials(key, SECRET_ACCESS_KEY), "appstream", "us-east-1").add_auth(request)
        sent = {k: str(v) for k, v in request.headers.items() if k.lower() != "host"}
        if chunked:  # no Content-Length: the body arrives in chunks
            sent["Transfer-Encoding"] = "chunked"
            return self.raw("POST", "/", sent, iter([body[:7], body[7:]]), encode_chunked=True)
        return self.raw("POST", "/", sent, body)


@contextlib.contextmanager
def serving(home: Path) -> Iterator[Server]:
    """A ``govbot-sandbox serve`` subprocess in ``home``, until the block ends."""
    log = home / "serve.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "govbot_sandbox.cli", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=home,
        )
    live = Server(port, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if live.admin("health")[0] == 200:
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield live
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(guard_serve: SharedServe[Server]) -> Server:
    """The shared ``serve`` process (tests/e2e/conftest.py), reset: each module starts from
    the world a new process starts with."""
    live = guard_serve.get()
    status, reply = live.admin("reset", b"", "POST")
    assert (status, reply) == (200, {"status": "reset"})
    return live


def _prod_app_shares(server: Server) -> list[str]:
    listing = server.client("appstream").describe_image_permissions(Name="prod-app")
    return [entry["sharedAccountId"] for entry in listing["SharedImagePermissionsList"]]


def _refused(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    return error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]


# -- refuse strangers ------------------------------------------------------------------


def test_unknown_access_key_is_unrecognized_and_deletes_nothing(server: Server) -> None:
    stranger = server.client("appstream", key=UNKNOWN_KEY)
    refused = _refused(
        lambda: stranger.delete_image_permissions(Name="prod-app", SharedAccountId=CONSUMER_ACCOUNT)
    )
    assert refused == ("UnrecognizedClientException", 400)
    assert CONSUMER_ACCOUNT in _prod_app_shares(server)


def test_unsigned_request_is_missing_authentication_token(server: Server) -> None:
    anonymous = boto3.client(
        "appstream",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )
    refused = _refused(
        lambda: anonymous.delete_image_permissions(
            Name="prod-app", SharedAccountId=CONSUMER_ACCOUNT
        )
    )
    assert refused == ("MissingAuthenticationTokenException", 403)
    assert CONSUMER_ACCOUNT in _prod_app_shares(server)


def test_known_key_with_wrong_secret_is_an_invalid_signature(server: Server) -> None:
    forger = server.client("appstream", secret="not-the-sandbox-secret")
    refused = _refused(
        lambda: forger.delete_image_permissions(Name="prod-app", SharedAccountId=CONSUMER_ACCOUNT)
    )
    assert refused == ("InvalidSignatureException", 403)
    assert CONSUMER_ACCOUNT in _prod_app_shares(server)


def test_moto_services_refuse_strangers_and_serve_configured_keys(server: Server) -> None:
    refused = _refused(lambda: server.client("sts", key=UNKNOWN_KEY).get_caller_identity())
    assert refused == ("UnrecognizedClientException", 400)
    owner = server.client("sts").get_caller_identity()
    assert owner["Arn"].endswith(":user/alice")


# -- admin input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'{"seconds": 1e12}', b'{"seconds": NaN}', b'{"seconds": -5}', b'{"seconds": "600"}'],
)
def test_clock_advance_refuses_unbounded_or_non_numbers(server: Server, body: bytes) -> None:
    status, reply = server.admin("clock/advance", body, "POST")
    assert status == 400
    assert "'seconds' must be a finite number" in reply["error"]
    assert server.admin("health")[0] == 200
    assert server.client("appstream").describe_images(Names=["prod-app"])["Images"]


def test_reset_restores_the_clock(server: Server) -> None:
    before = server.admin("health")[1]["clock"]
    status, advanced = server.admin("clock/advance", b'{"seconds": 864000}', "POST")
    assert status == 200
    assert advanced["clock"] > before
    assert server.admin("reset", b"", "POST")[0] == 200
    after = server.admin("health")[1]["clock"]
    assert after < advanced["clock"][:10]  # ten days back: the advance is undone


# -- AWS-shaped errors only ------------------------------------------------------------


def test_deeply_nested_json_is_a_serialization_exception(server: Server) -> None:
    body = ('{"Names": ' + "[" * 980 + "]" * 980 + "}").encode()
    status, headers, payload = server.signed_appstream("DescribeImages", body)
    assert status == 400
    assert json.loads(payload)["__type"] == "SerializationException"
    assert headers["Content-Type"] == "application/x-amz-json-1.1"


def test_non_numeric_content_length_is_an_aws_shaped_400(server: Server) -> None:
    headers = {
        "X-Amz-Target": f"{TARGET}.DescribeImages",
        "Content-Type": "application/x-amz-json-1.1",
        "Content-Length": "abc",
    }
    status, reply_headers, payload = server.raw("POST", "/", headers, b"{}")
    assert status == 400
    assert reply_headers["x-amzn-ErrorType"] == "SerializationException"
    assert "Content-Length" in json.loads(payload)["message"]


def test_chunked_body_is_read(server: Server) -> None:
    body = json.dumps({"Names": ["payroll"]}).encode()
    status, _, payload = server.signed_appstream("DescribeImages", body, chunked=True)
    assert status == 200, payload
    assert [image["Name"] for image in json.loads(payload)["Images"]] == ["payroll"]
