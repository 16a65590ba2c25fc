"""Powertools Logger and Metrics shared by every handler, and a Tracer made only when tracing.

Service name and metrics namespace come from the standard Powertools environment
variables, so the same objects work in Lambda, in the sandbox and in tests.

The Tracer is built on a handler's first call, and only when tracing is on (in Lambda and
``POWERTOOLS_TRACE_DISABLED`` unset, Powertools' own rule): building it imports the X-Ray
SDK, which costs the cold start tens of milliseconds that a function without tracing
should not pay. Handlers wrap themselves with :func:`entrypoint`, never with the Tracer.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics

logger = Logger()
metrics = Metrics()

F = TypeVar("F", bound=Callable[..., Any])
# What the X-Ray SDK traces: AWS calls (botocore) and Slack's webhooks (http.client).
# Powertools' default patches every library the SDK knows, probing each for import.
TRACED_MODULES = ("botocore", "httplib")
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_lock = threading.Lock()
_tracer: Any = None
_emit_metrics = True


def configure(*, emit_metrics: bool = True) -> None:
    """Public seam for local runs: ``emit_metrics=False`` drops metrics instead of printing
    EMF lines (the sandbox and the demo; Lambda always emits them)."""
    global _emit_metrics
    _emit_metrics = emit_metrics


def add_counts(name: str, counts: Mapping[str, int], *, dimension: str) -> None:
    """Emit ``name`` once per ``dimension`` value (e.g. remedies by rule), now, as EMF.

    Powertools' ``metrics`` object shares one dimension set per flush, so a per-value
    dimension needs ``single_metric``; it honours :func:`configure` like the handlers do.
    Zero counts are not emitted.
    """
    if not _emit_metrics:
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    # Namespace and service as the shared object has them (what Powertools' own cold-start
    # metric does), so these land beside every other govbot metric.
    for value, count in sorted(counts.items()):
        if count > 0:
            with single_metric(
                name=name, unit=MetricUnit.Count, value=count, namespace=metrics.namespace
            ) as metric:
                if metrics.service:
                    metric.add_dimension(name="service", value=str(metrics.service))
                metric.add_dimension(name=dimension, value=value)


def tracing_enabled() -> bool:
    """Powertools' rule: on in Lambda (not SAM local/Chalice) unless explicitly disabled."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in _TRUE:
        return False
    in_lambda = bool(os.environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


def tracer() -> Any:
    """The process's Powertools Tracer (built on first use; imports the X-Ray SDK)."""
    global _tracer
    with _lock:
        if _tracer is None:
            from aws_lambda_powertools.tracing import Tracer

            _tracer = Tracer(patch_modules=TRACED_MODULES)
        return _tracer


def entrypoint(*, log_metrics: bool = True) -> Callable[[F], F]:
    """Wrap a Lambda handler: log context, metrics flush, and tracing when it is on.

    The wrapping is decided on the first invocation, so importing a handler builds nothing.
    """

    def decorate(handler: F) -> F:
        chains: dict[bool, Callable[..., Any]] = {}

        def chain(emit: bool) -> Callable[..., Any]:
            if emit not in chains:
                inner: Callable[..., Any] = handler
                if tracing_enabled():
                    inner = tracer().capture_lambda_handler(inner)
                if emit:
                    inner = metrics.log_metrics(inner)
                chains[emit] = logger.inject_lambda_context(inner)
            return chains[emit]

        @functools.wraps(handler)
        def invoke(event: Any, context: Any) -> Any:
            emit = log_metrics and _emit_metrics
            try:
                return chain(emit)(event, context)
            finally:
                if not emit:
                    metrics.clear_metrics()  # dropped, not left to grow across invocations

        return invoke  # type: ignore[return-value]

    return decorate
