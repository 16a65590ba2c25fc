"""Limits of the SQS queues that feed govbot's functions (no imports: every handler reads it)."""

from __future__ import annotations

from typing import Final

# How many times SQS hands a message to a function before dead-lettering it. One value for
# the deployed queues (infra), the enforcer (which knows its last attempt from it) and the
# sandbox that plays SQS.
MAX_RECEIVE_COUNT: Final = 5
