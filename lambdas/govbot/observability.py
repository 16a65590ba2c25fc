"""Powertools Logger, Metrics and Tracer shared by every handler.

Service name and metrics namespace come from the standard Powertools environment
variables, so the same objects work in Lambda, in the sandbox and in tests.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()
