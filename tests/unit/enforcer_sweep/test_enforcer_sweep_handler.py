"""The drift sweeper's entry point refuses anything but its schedule (no AWS touched)."""

from __future__ import annotations

import pytest

from govbot.handlers.enforcer import sweep_handler
from govbot_sandbox.lambda_service import LambdaContextStub


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"body": "{}"}]},
        {"source": "aws.appstream", "detail-type": "AWS API Call via CloudTrail"},
    ],
)
def test_the_sweeper_refuses_what_is_not_a_schedule_event(event: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="drift sweeper: expected EventBridge's 'Scheduled Event'"):
        sweep_handler(event, LambdaContextStub("govbot-drift-sweeper"))
