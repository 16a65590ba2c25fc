"""The composition root: builds every handler's dependencies from its settings.

Split so that each Lambda function's asset (its handler's import closure) carries only its
own builders: :mod:`govbot.wiring.core` holds the seams every handler shares (settings,
the one boto3 Session, the clock, the build-once cache); one module per handler builds that
handler's parts (:mod:`~govbot.wiring.enforcer`, :mod:`~govbot.wiring.replicator`,
:mod:`~govbot.wiring.notifier`, :mod:`~govbot.wiring.actions`), and
:mod:`~govbot.wiring.appstream_parts` what the enforcer and the replicator are both built from.
A handler imports only its own wiring module.

This package re-exports the core seams only (``wiring.configure``, ``wiring.session``...):
it must never import a handler's builders, or every asset would carry them all.
"""

from govbot.wiring.core import Seams, clock, configure, parameter_store, session, settings

__all__ = ["Seams", "clock", "configure", "parameter_store", "session", "settings"]
