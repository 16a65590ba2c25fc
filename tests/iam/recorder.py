"""A pytest plugin recording every AWS call govbot's functions make, as IAM sees it.

Loaded with ``-p tests.iam.recorder`` and ``GOVBOT_IAM_RECORD=<file>``: every botocore
call made while a govbot handler is on the stack is recorded as (function, account,
region, IAM action, resource ARN), and the list is written to the file at the end of the
session. ``TransactWriteItems`` is recorded as the item actions IAM authorizes it by
(PutItem, UpdateItem, ConditionCheckItem, DeleteItem), one per item.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
from botocore.client import BaseClient

ENV = "GOVBOT_IAM_RECORD"
_HANDLER_FILE = re.compile(r"govbot[\\/]handlers[\\/](\w+)\.py$")
_IAM_PREFIX = {"dynamodbstreams": "dynamodb"}
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "ConditionCheck": "ConditionCheckItem",
    "Delete": "DeleteItem",
}


@dataclass(frozen=True)
class Call:
    """One authorization request: ``call`` is the API (``service:Operation``)."""

    function: str
    account: str
    region: str
    call: str
    action: str
    resource: str


_INHERITED = threading.local()  # the function a worker thread was submitted by


def current_function() -> str | None:
    """The govbot function whose handler is on the stack (``enforcer``, ...), if any.

    A worker thread (the sweep's lanes) has no handler on its own stack: it answers for
    the function whose handler submitted its work (see :meth:`Recorder.install`).
    """
    frame = sys._getframe(2)
    while frame is not None:
        match = _HANDLER_FILE.search(frame.f_code.co_filename)
        if match and match.group(1) != "__init__":
            return match.group(1)
        frame = frame.f_back  # type: ignore[assignment]
    return getattr(_INHERITED, "function", None)


def _account_of(client: Any) -> str:
    from moto.iam.models import get_account_id_from

    credentials = client._request_signer._credentials  # the keys say whose call it is
    return str(get_account_id_from(credentials.access_key))


def resources(service: str, operation: str, params: dict[str, Any], region: str,
              account: str) -> Iterator[tuple[str, str]]:  # fmt: skip
    """``(IAM operation, resource ARN)`` pairs one API call is authorized by."""
    base = f"arn:aws:{service}:{region}:{account}"
    if service == "appstream":
        names = params.get("Names") or [params.get("Name") or params.get("SourceImageName") or "*"]
        if "ResourceArn" in params:
            yield operation, params["ResourceArn"]
            return
        kind = {
            "DescribeFleets": "fleet",
            "DescribeImageBuilders": "image-builder",
            "UpdateImageBuilder": "image-builder",
        }.get(operation, "image")
        for name in names:
            yield operation, f"{base}:{kind}/{name}"
    elif service in ("dynamodb", "dynamodbstreams"):
        table_arn = f"arn:aws:dynamodb:{region}:{account}:table"
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                yield _TRANSACT_ACTIONS[kind], f"{table_arn}/{body['TableName']}"
        elif "StreamArn" in params:
            yield operation, params["StreamArn"]
        elif "ShardIterator" in params:
            yield operation, f"{table_arn}/*/stream/*"
        else:
            arn = f"{table_arn}/{params['TableName']}"
            if params.get("IndexName"):
                arn += f"/index/{params['IndexName']}"
            yield operation, arn
    elif service == "ec2":
        if operation == "DescribeImages":
            yield operation, "*"  # no resource-level permissions
        else:  # AMI ARNs carry no account
            yield operation, f"arn:aws:ec2:{region}::image/{params.get('ImageId', '*')}"
    elif service == "secretsmanager":
        yield operation, params["SecretId"]
    elif service == "ssm":
        yield operation, f"{base}:parameter{params['Name']}"
    elif service == "sqs":
        yield operation, f"{base}:{urlparse(params['QueueUrl']).path.rsplit('/', 1)[-1]}"
    elif service == "sts":
        yield operation, params.get("RoleArn", "*")
    else:
        yield operation, "*"


class Recorder:
    """Patches ``BaseClient._make_api_call`` for the session; collects :class:`Call`."""

    def __init__(self, *, active: bool = True) -> None:
        self.calls: list[Call] = []
        self.active = active  # off: calls pass through unrecorded
        self._installed = False
        self._original: Any = getattr(BaseClient, "_make_api_call")  # noqa: B009
        self._original_submit: Any = ThreadPoolExecutor.submit

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        original = self._original
        recorder = self

        def recording(client: BaseClient, operation_name: str, api_params: Any) -> Any:
            function = current_function() if recorder.active else None
            if function is not None:
                recorder.record(client, function, operation_name, dict(api_params))
            return original(client, operation_name, api_params)

        setattr(BaseClient, "_make_api_call", recording)  # noqa: B010
        original_submit = self._original_submit

        def submit(pool: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any,
                   **kwargs: Any) -> Future[Any]:  # fmt: skip
            function = current_function()

            def inheriting(*a: Any, **kw: Any) -> Any:
                _INHERITED.function = function
                try:
                    return fn(*a, **kw)
                finally:
                    _INHERITED.function = None

            return original_submit(pool, inheriting, *args, **kwargs)

        setattr(ThreadPoolExecutor, "submit", submit)  # noqa: B010

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        setattr(BaseClient, "_make_api_call", self._original)  # noqa: B010
        setattr(ThreadPoolExecutor, "submit", self._original_submit)  # noqa: B010

    def record(self, client: BaseClient, function: str, operation: str,
               params: dict[str, Any]) -> None:  # fmt: skip
        service = client.meta.service_model.service_name
        region = client.meta.region_name or ""
        account = _account_of(client)
        prefix = _IAM_PREFIX.get(service, service)
        for iam_operation, resource in resources(service, operation, params, region, account):
            self.calls.append(
                Call(
                    function,
                    account,
                    region,
                    f"{service}:{operation}",
                    f"{prefix}:{iam_operation}",
                    resource,
                )
            )

    def unique(self) -> list[dict[str, Any]]:
        """The distinct calls, sorted, as plain dicts (the file's content)."""
        distinct = sorted({json.dumps(asdict(c), sort_keys=True) for c in self.calls})
        return [json.loads(c) for c in distinct]


_RECORDER: Recorder | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _RECORDER
    if os.environ.get(ENV):
        _RECORDER = Recorder()
        _RECORDER.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RECORDER is None:
        return
    _RECORDER.uninstall()
    with open(os.environ[ENV], "w", encoding="utf-8") as out:
        json.dump(_RECORDER.unique(), out, indent=1)
