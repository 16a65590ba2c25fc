"""Every AWS call govbot makes, with the IAM it needs: the gateways' ``declare`` tables.

Importing this module imports every gateway module (and the ledger's), so each has
registered its table in ``govbot.iam``; ``infra/grants.py`` and ``tests/iam`` read the
needs here. It lives apart from ``govbot.iam`` because the gateways import that module
(to declare) and no package may import one that imports it back.
"""

from __future__ import annotations

from collections.abc import Mapping

import govbot.gateways.appstream
import govbot.gateways.appstream_exits
import govbot.gateways.ec2
import govbot.gateways.organizations
import govbot.gateways.secrets
import govbot.gateways.sqs
import govbot.gateways.ssm
import govbot.gateways.streams
import govbot.ledger.gateway  # noqa: F401  (each import registers its declarations)
from govbot.iam import FUNCTION_CALLS, NOT_EXERCISED, RESOURCE_KINDS, Need, declared_so_far

__all__ = ["FUNCTION_CALLS", "NOT_EXERCISED", "RESOURCE_KINDS", "Need", "declared", "need"]


def need(call: str) -> Need:
    """The declared need of ``call`` (``service:Operation``); KeyError names what's missing."""
    try:
        return declared_so_far()[call]
    except KeyError:
        raise KeyError(
            f"{call} has no IAM declaration: add it to its gateway's declare(...) table"
        ) from None


def declared() -> Mapping[str, Need]:
    """Every declared call."""
    return declared_so_far()
