"""The seams of the composition root, shared by every handler's wiring.

Parts are built on a handler's first call (so a bad environment fails that invocation with
a clear ConfigError, never the import) and kept for the warm container by :func:`_once`.

The public seam is :func:`configure`: tests and the local sandbox give it the settings
environment, the boto3 Session and the clock to use; it forgets everything built so the
next call builds afresh. Nothing else swaps dependencies (no os.environ writes, no private
caches). Every AWS client of the process comes from :func:`session`, one boto3 Session.

Nothing handler-specific is imported here: every function's asset carries this module.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from govbot.config import _EnvModel
    from govbot.gateways.ssm import ParameterStore

from govbot.clock import Clock, utcnow

T = TypeVar("T")

# The organization member cache lives in this gateway's module (a warm-container cache).
# configure() clears it only if the module is loaded: when it is not, nothing was cached,
# and importing it here would put it in the assets of functions that never use it.
_ORGANIZATIONS_MODULE = "govbot.gateways.organizations"


@dataclass(frozen=True)
class Seams:
    """What the process runs on. None means the deployed default for that seam."""

    environ: Mapping[str, str] | None = None  # settings source (None: os.environ)
    session: Any = None  # boto3 Session for every client (None: one made on first use)
    clock: Clock | None = None  # governance time: enforcer, sweep, replicator, their ledger
    sleep: Callable[[float], None] | None = None  # how in-process retries wait (time.sleep)
    slack_timeout: int | None = None  # seconds a Slack post waits for its answer (30)


_lock = threading.RLock()
_seams = Seams()
_built: dict[str, Any] = {}


def configure(
    *,
    environ: Mapping[str, str] | None = None,
    session: Any = None,
    clock: Clock | None = None,
    sleep: Callable[[float], None] | None = None,
    slack_timeout: int | None = None,
) -> None:
    """Run the handlers on these settings, Session, clock, sleep and Slack timeout (None: the
    deployed default).

    Forgets every part built so far (and the organization member cache, a warm-container
    cache), so the next invocation builds from the new seams. ``configure()`` with no
    arguments returns to the deployed defaults.
    """
    global _seams
    with _lock:
        _seams = Seams(
            environ=dict(environ) if environ is not None else None,
            session=session,
            clock=clock,
            sleep=sleep,
            slack_timeout=slack_timeout,
        )
        _built.clear()
    organizations = sys.modules.get(_ORGANIZATIONS_MODULE)
    if organizations is not None:
        organizations.clear_cache()


def _once(name: str, build: Callable[[], T]) -> T:
    """``build()``'s value, built once per process (until the next :func:`configure`)."""
    with _lock:
        if name not in _built:
            _built[name] = build()
        value: T = _built[name]
        return value


def session(*, profile: str | None = None) -> Any:
    """The process's one boto3 Session: the seam's, else one created on first use.

    ``profile`` (the CLI's ``--profile``): a Session of that named profile instead, one per
    profile per process.
    """
    if profile:
        import boto3

        return _once(f"session:{profile}", lambda: boto3.session.Session(profile_name=profile))

    def build() -> Any:
        if _seams.session is not None:
            return _seams.session
        import boto3

        return boto3.session.Session()

    return _once("session", build)


def clock() -> Clock:
    """The governance clock (the seam's, else the wall clock)."""
    return _seams.clock or utcnow


def sleeper() -> Callable[[float], None]:
    """How in-process retries wait (the seam's, else ``time.sleep``): Slack's back-off."""
    if _seams.sleep is not None:
        return _seams.sleep
    import time

    return time.sleep


def slack_timeout() -> int | None:
    """How long a Slack post waits for its answer: the seam's, else None (the gateway's 30 s)."""
    return _seams.slack_timeout


S = TypeVar("S", bound="_EnvModel")


def settings(model: type[S]) -> S:
    """``model`` validated from the seam's environment (default: os.environ)."""
    from govbot.config import load_settings

    return load_settings(model, _seams.environ)


def parameter_store() -> ParameterStore:
    """SSM parameters (the policy), one cache per process."""
    from govbot.gateways.ssm import ParameterStore

    return _once("ssm", lambda: ParameterStore(lambda: session().client("ssm")))
