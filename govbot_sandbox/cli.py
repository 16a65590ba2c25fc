"""``govbot-sandbox``: sandbox-only commands.

``govbot-sandbox serve [--port 0] [--speed 1] [--accounts KEY=ARN ...]`` runs govbot live
behind one loopback endpoint (AppStream emulator + moto services + admin API under
``/_govbot/``): point ``AWS_ENDPOINT_URL`` at it and use the AWS CLI or boto3 unchanged.
See ``govbot_sandbox.live``.

``govbot-sandbox serve-emulator [--host 127.0.0.1] [--port 0] [--seed-demo]`` prints the
endpoint URL and serves until Ctrl-C. Pass that URL to ``govbot check --endpoint-url`` or to
boto3 as ``endpoint_url``. Only loopback hosts are accepted: the emulator trusts every
caller and must never be reachable from another machine.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from govbot_sandbox.emulator import AppStreamEmulator, EmulatorServer
from govbot_sandbox.emulator.identity import default_account_id

ACCOUNT_ID = re.compile(r"^\d{12}$")
EXIT_OK = 0
EXIT_USAGE = 2
DEMO_REGION = "us-east-1"

# (name, tags, shared_with {account: (allow_fleet, allow_image_builder)}), chosen so that
# ``govbot check --policy policies/demo.yaml`` finds allowed, violating and audit cases.
DEMO_IMAGES: tuple[tuple[str, dict[str, str], dict[str, tuple[bool, bool]]], ...] = (
    ("app-base", {"team": "platform"}, {"111111111111": (True, True)}),
    ("prod-app", {}, {"222222222222": (True, False), "999999999999": (True, True)}),
    ("payroll", {"classification": "confidential"}, {"111111111111": (True, False)}),
    ("dev-tools", {}, {"333333333333": (True, False)}),
    ("golden-base-2026", {}, {}),
)


class UsageError(Exception):
    """Bad input; printed on one stderr line as ``PROG: error: MESSAGE`` (exit 2)."""

    def __init__(self, message: str, *, prog: str = "govbot-sandbox serve-emulator") -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog)


def loopback_host(value: str) -> str:
    """``value`` when it is a loopback address (127.0.0.0/8, ::1, localhost), else error."""
    if value == "localhost":
        return value
    try:
        loopback = ipaddress.ip_address(value).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"--host: refusing {value!r}; the emulator serves loopback only "
            "(127.0.0.0/8, ::1 or localhost)"
        )
    return value


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 0-65535 (0: any free), got {port}")
    return port


def build_parser() -> argparse.ArgumentParser:
    """The ``govbot-sandbox`` argument parser."""
    parser = _Parser(prog="govbot-sandbox", description="govbot local sandbox tools.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve-emulator", help="serve the AppStream emulator on a loopback address"
    )
    serve.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    serve.add_argument("--seed-demo", action="store_true", help="seed a few demo images")
    serve.add_argument(
        "--account", default=None, help="owner of the demo images (default: the sandbox account)"
    )
    serve.add_argument("--region", default=DEMO_REGION, help="region of the demo images")
    live = commands.add_parser(
        "serve",
        help="run govbot live behind one loopback endpoint (AppStream + moto + admin API)",
    )
    live.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    live.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    live.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="clock seconds per real second for copies, builds and schedules (default 1)",
    )
    live.add_argument(
        "--accounts",
        action="append",
        metavar="KEY=ARN",
        help="map an access key id to an IAM user or assumed-role ARN (repeatable)",
    )
    live.add_argument(
        "--cloudtrail-log", metavar="FILE", help="also append each CloudTrail record to FILE"
    )
    live.add_argument(
        "--quiet", action="store_true", help="print the banner only, not what happens"
    )
    return parser


def seed_demo(emulator: AppStreamEmulator, account_id: str, region: str) -> list[str]:
    """Seed ``DEMO_IMAGES`` into the emulator; return their ARNs."""
    backend: Any = emulator.backend
    return [
        backend.seed_image(account_id, region, name, tags=tags, shared_with=shares)
        for name, tags, shares in DEMO_IMAGES
    ]


def wait_for_interrupt(server: EmulatorServer) -> None:
    """Block until Ctrl-C (the default way ``serve-emulator`` ends)."""
    with contextlib.suppress(KeyboardInterrupt):
        while server.running:
            time.sleep(0.5)


def serve_emulator(
    args: argparse.Namespace, out: TextIO, wait: Callable[[EmulatorServer], None]
) -> int:
    """Start the server, print its URL (and the seeded images), wait, stop."""
    host = loopback_host(args.host)
    emulator = AppStreamEmulator(sinks=[])  # no EventBridge outside moto: record only
    account = args.account or default_account_id()
    if not ACCOUNT_ID.match(account):
        raise UsageError(f"--account: expected 12 digits, got {account!r}")
    # The owner of the seeded images must be someone a caller can be: a known access key.
    owner_key = f"AKIASEED{account}"
    emulator.register_identity(owner_key, account, f"arn:aws:iam::{account}:user/owner")
    seeded = seed_demo(emulator, account, args.region) if args.seed_demo else []
    try:
        server = emulator.serve(host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{args.port}: {exc.strerror or exc}") from None
    try:
        print(f"AppStream emulator listening on {server.endpoint_url}", file=out)
        print(
            f"sign with access key {owner_key} to act as account {account} "
            "(any other key: the default sandbox account)",
            file=out,
        )
        for arn in seeded:
            print(f"seeded {arn}", file=out)
        if seeded:
            print(
                f"try: govbot check --region {args.region} --account {account} --all "
                f"--policy policies/demo.yaml --endpoint-url {server.endpoint_url} "
                "--no-organizations",
                file=out,
            )
        print("press Ctrl-C to stop", file=out, flush=True)
        wait(server)
    finally:
        server.stop()
    print("emulator stopped", file=out, flush=True)
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def wait_forever() -> None:
    """Block until Ctrl-C or SIGTERM (both end ``serve`` cleanly)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    threading.Event().wait()


def serve_live(args: argparse.Namespace, out: TextIO, wait: Callable[[], None]) -> int:
    """``govbot-sandbox serve``: the live sandbox (imports moto's server only when asked)."""
    from govbot_sandbox.live.serve import ServeError, run

    try:
        loopback_host(args.host)
    except UsageError as exc:
        raise UsageError(str(exc), prog="govbot-sandbox serve") from None
    try:
        return run(args, out, wait)
    except ServeError as exc:
        raise UsageError(str(exc), prog="govbot-sandbox serve") from None


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    wait: Callable[[EmulatorServer], None] = wait_for_interrupt,
    wait_live: Callable[[], None] = wait_forever,
) -> int:
    """Run ``govbot-sandbox`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        try:
            with contextlib.redirect_stdout(out):
                args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        except SystemExit as exc:  # --help
            return int(exc.code or 0)
        if args.command == "serve":
            return serve_live(args, out, wait_live)
        return serve_emulator(args, out, wait)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=err)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
