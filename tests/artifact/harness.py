"""The synthesized asset, run as Lambda would run it, against the sandbox served on loopback.

* :func:`synthesized_assets` synthesizes the app and reads, for every function of the
  hub template, its ``Handler``, its asset directory and its own layers' asset directories
  from the cloud assembly (the very directories CloudFormation's asset publishing zips and
  uploads).
* :class:`LambdaProcess` is one interpreter of the Lambda environment (tests/artifact/
  lambda_env.py) with that asset as its only other import path; it invokes handlers.
* :class:`ServedSandbox` serves the sandbox's AWS (moto's ``ThreadedMotoServer``, sharing
  the in-process backends the sandbox set up) and its AppStream emulator on 127.0.0.1, and
  gives the environment that points the subprocess's boto3 at them.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from govbot_sandbox.emulator.server import EmulatorServer
from govbot_sandbox.sandbox import FUNCTIONS_ACCESS_KEY, Sandbox
from infra.assembly import HubAssets, hub_assets
from tests.artifact.lambda_env import lambda_python

RUNNER = Path(__file__).with_name("runner.py")


def synthesized_assets(outdir: Path) -> HubAssets:
    """Every function's asset and every own layer's asset of the hub, from the cloud
    assembly."""
    return hub_assets(outdir)


class LambdaProcess:
    """A Lambda-like interpreter holding ``asset_dir`` and the ``layers`` (directories whose
    content Lambda unpacks in /opt, in order); ``invoke`` runs one handler call."""

    def __init__(
        self, asset_dir: Path, environment: dict[str, str], layers: Sequence[Path] = ()
    ) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", **environment}
        python_dirs = [str(layer / "python") for layer in layers]
        self._process = subprocess.Popen(
            # -B: write no bytecode, as in Lambda's read-only /var/task (and so a run can
            # never supply bytecode the asset lacks).
            [str(lambda_python()), "-I", "-B", str(RUNNER), str(asset_dir), *python_dirs],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def invoke(self, handler: str, event: dict[str, Any]) -> dict[str, Any]:
        """{"ok": True, "result": ..., "file": ...} or {"ok": False, "error": traceback}."""
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(json.dumps({"handler": handler, "event": event}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise AssertionError(f"the Lambda process died: {self.stop()}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> str:
        """End the process; returns what it logged (stderr)."""
        assert self._process.stdin is not None
        assert self._process.stderr is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)
        return self._process.stderr.read()


class ServedSandbox:
    """``sandbox``'s moto backends and AppStream emulator, served on loopback."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._emulator = EmulatorServer(sandbox.emulator)

    def __enter__(self) -> ServedSandbox:
        self._moto.start()
        self._emulator.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._emulator.stop()
        self._moto.stop()

    def environment(self) -> dict[str, str]:
        """What the deployed stack gives the functions, with endpoints on loopback."""
        host, port = self._moto.get_host_and_port()
        box = self.sandbox
        assert box.enforcer_queue is not None
        env = dict(box.handler_environment())
        env.update(
            {
                "SLACK_WEBHOOKS_SECRET_ARN": box.slack_secret_arn,
                "SLACK_SIGNING_SECRET_ARN": box.signing_secret_arn,
                "WORK_QUEUE_URL": box.enforcer_queue.url,
                "WORK_SIGNING_SECRET_ARN": box.work_key_secret_arn,
                "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                "AWS_ENDPOINT_URL_APPSTREAM": self._emulator.endpoint_url,
                # What the Lambda service itself sets: region and the role's credentials.
                "AWS_REGION": self.sandbox.hub_region,
                "AWS_DEFAULT_REGION": self.sandbox.hub_region,
                "AWS_ACCESS_KEY_ID": FUNCTIONS_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": "sandbox",
                "POWERTOOLS_SERVICE_NAME": "govbot",
                "POWERTOOLS_METRICS_NAMESPACE": "govbot",
            }
        )
        return env
