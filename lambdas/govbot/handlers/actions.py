"""Actions Lambda (Function URL): Slack button clicks, signature-verified, approvers only.

Inline work stays inside Slack's 3-second budget: verify, authorise, record, write the
exemption. Work that calls AppStream is handed to the enforcer's queue. The parts (ledger,
policy, secrets, work queue) come from the composition root.
"""

from __future__ import annotations

from typing import Any

from govbot.observability import entrypoint
from govbot.wiring import actions as wiring


@entrypoint(log_metrics=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Function URL event in, HTTP response for Slack out."""
    from govbot.actions.endpoint import ActionsDeps, handle_slack_action

    parts = wiring.actions_parts()
    deps = ActionsDeps(
        ledger=parts.ledger,
        policy=parts.policy(),
        secrets=parts.secrets,
        work_queue=parts.work_queue,
        guard=parts.guard,
        refusals=parts.refusals,
    )
    return handle_slack_action(event, deps)
