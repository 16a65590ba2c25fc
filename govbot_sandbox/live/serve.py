"""``govbot-sandbox serve``: the live sandbox on one loopback endpoint.

Start-up prints the endpoint, the region and the credentials of each demo identity, then
narrates what happens: CloudTrail records, govbot's decisions and actions, Slack messages.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TextIO

from govbot_sandbox.live.accounts import SECRET_ACCESS_KEY, identity_map, parse_identity
from govbot_sandbox.live.endpoint import LiveEndpoint
from govbot_sandbox.live.narrator import Narrator
from govbot_sandbox.live.world import REGION, LiveSandbox


class ServeError(Exception):
    """A start-up problem the user can fix (bad option, port taken)."""


def _quiet_access_log() -> None:
    # werkzeug logs every request at INFO on stderr; the narration is what people watch.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _moto_app() -> Any:
    # moto's server application (the one `moto_server` runs): dispatches by host, target
    # header or SigV4 scope to each service's backend, sharing the in-process backends.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


class LiveServer:
    """The WSGI server of the live endpoint, serving in a daemon thread."""

    def __init__(self, endpoint: LiveEndpoint, host: str, port: int) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        try:
            self._server = make_server(
                host, port, endpoint, threaded=True, request_handler=MotoRequestHandler
            )
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits for the next poll: stop quickly
            name="govbot-live-http",
            daemon=True,
        )

    @property
    def endpoint_url(self) -> str:
        """``http://host:port``: the value for ``AWS_ENDPOINT_URL``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def banner(server: LiveServer, endpoint: LiveEndpoint, out: Callable[[str], None]) -> None:
    """What a person needs to talk to the endpoint."""
    owner = next(iter(sorted(endpoint.identities.values(), key=lambda i: i.role != "owner")))
    out(f"govbot live sandbox on {server.endpoint_url} (region {REGION})")
    out(f"  export AWS_ENDPOINT_URL={server.endpoint_url} AWS_DEFAULT_REGION={REGION}")
    out(
        f"  export AWS_ACCESS_KEY_ID={owner.access_key_id} "
        f"AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}   # {owner.role}"
    )
    out(f"  access keys (secret access key: {SECRET_ACCESS_KEY}; requests must be signed):")
    for who in sorted(endpoint.identities.values(), key=lambda i: (i.account_id, i.access_key_id)):
        out(f"    {who.access_key_id}  {who.account_id}  {who.principal_arn}  ({who.role})")
    out(f"  admin: {server.endpoint_url}/_govbot/health | events | slack | reset | clock/advance")
    out("press Ctrl-C to stop")


def run(
    args: argparse.Namespace,
    out: TextIO,
    wait: Callable[[], None],
) -> int:
    """Start the live sandbox and its endpoint, print the banner, wait, stop."""
    try:
        extra = [parse_identity(spec) for spec in args.accounts or []]
    except ValueError as exc:
        raise ServeError(str(exc)) from None
    if args.speed <= 0:
        raise ServeError(f"--speed must be > 0, got {args.speed}")
    identities = identity_map(extra)
    _quiet_access_log()
    jsonl: TextIO | None = None
    with contextlib.ExitStack() as stack:
        if args.cloudtrail_log:
            try:
                jsonl = stack.enter_context(open(args.cloudtrail_log, "a", encoding="utf-8"))
            except OSError as exc:
                raise ServeError(
                    f"--cloudtrail-log {args.cloudtrail_log}: {exc.strerror or exc}"
                ) from None
        narrator = Narrator(None if args.quiet else out, jsonl)
        live = LiveSandbox(identities.values(), narrator, speed=args.speed)
        endpoint = LiveEndpoint(live, _moto_app(), identities)
        server = LiveServer(endpoint, args.host, args.port)
        live.start()
        stack.callback(live.stop)
        server.start()
        stack.callback(server.stop)
        banner(server, endpoint, lambda line: print(line, file=out, flush=True))
        with contextlib.suppress(KeyboardInterrupt):
            wait()
    print("live sandbox stopped", file=out, flush=True)
    return 0
