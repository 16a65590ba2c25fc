"""Runs inside the Lambda-like interpreter: imports handlers from the asset and invokes them.

Started as ``python -I runner.py ASSET_DIR [LAYER_DIR ...]`` (isolated: no PYTHONPATH, no
user site, no script directory), so the import path is the asset, then the layers' python
directories (Lambda's ``/opt/python``), then the Lambda environment only. It
reads one JSON request per line on stdin ({"handler": "pkg.mod.func", "event": {...}})
and answers one JSON line on the original stdout; the handlers' own logs (Powertools
writes JSON logs to stdout, as in Lambda) go to stderr. This file imports nothing from
the project, on purpose.
"""

import importlib
import json
import os
import sys
import traceback
import uuid


class Context:
    """The parts of the Lambda context object handlers and Powertools read."""

    def __init__(self, function_name):
        self.function_name = function_name
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        )

    def get_remaining_time_in_millis(self):
        # A fresh invocation of the longest-running function (the notifier's 300 s: it
        # starts a Slack post only when it can wait for the answer).
        return 300_000


def main():
    sys.path[0:0] = sys.argv[1:]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        request = json.loads(line)
        module_name, _, function_name = request["handler"].rpartition(".")
        try:
            module = importlib.import_module(module_name)
            handler = getattr(module, function_name)
            if request["event"] == {"__import_only__": True}:
                result = None
            else:
                result = handler(request["event"], Context(module_name.rpartition(".")[2]))
            answer = {"ok": True, "result": result, "file": module.__file__}
        except BaseException:  # report everything, the test decides
            answer = {"ok": False, "error": traceback.format_exc()}
        protocol.write(json.dumps(answer, default=str) + "\n")


if __name__ == "__main__":
    main()
