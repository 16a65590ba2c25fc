"""moto answers one request at a time, so threaded clients stay safe in the sandbox.

moto's backends are not thread-safe: DynamoDB's ``TransactWriteItems`` deep-copies the
table for its rollback while another thread's ``PutItem`` changes it ("dictionary changed
size during iteration"). Real AWS has no such limit, and govbot's drift sweep calls the
ledger from several threads (one per account+region), so the sandbox serialises moto's
request processing instead of the product serialising its calls.

moto answers every mocked request through its one ``botocore_stubber`` (a generic
``before-send`` handler) and its ``process_request``; that method is wrapped here, once,
with a lock. Requests the AppStream emulator has answered are passed over (botocore calls
every ``before-send`` handler and keeps the first answer, the emulator's). Importing this
module is enough.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.models import botocore_stubber

_lock = threading.RLock()


def _serialised(process: Any) -> Any:
    def process_request(request: Any) -> Any:
        if getattr(request, "_govbot_emulator_response", None) is not None:
            # The AppStream emulator answered it already (its more specific handler ran
            # first and its response wins): moto would only search its URL table in vain.
            return None
        with _lock:
            return process(request)

    process_request.govbot_serialised = True  # type: ignore[attr-defined]
    return process_request


if not getattr(botocore_stubber.process_request, "govbot_serialised", False):
    # An instance attribute: BotocoreStubber.__call__ looks it up on the instance.
    botocore_stubber.process_request = _serialised(botocore_stubber.process_request)  # type: ignore[method-assign]
