"""The ``govbot-sandbox`` console script: says which extra to install when it is missing.

The sandbox needs moto and cbor2 (the ``sandbox`` extra); a plain ``pip install govbot``
has neither, and a traceback would be a poor way to say so.
"""

from __future__ import annotations

import importlib.util
import sys

SANDBOX_MODULES = ("moto", "cbor2")


def missing_modules() -> list[str]:
    """The sandbox extra's modules that cannot be imported here."""
    return [name for name in SANDBOX_MODULES if importlib.util.find_spec(name) is None]


def main() -> int:
    """Run ``govbot_sandbox.cli.main``, or explain in one line what to install."""
    missing = missing_modules()
    if missing:
        print(
            f"govbot-sandbox: error: needs the sandbox extra ({', '.join(missing)} missing): "
            "pip install 'govbot[sandbox]'",
            file=sys.stderr,
        )
        return 2
    from govbot_sandbox.cli import main as sandbox_main

    return sandbox_main()


if __name__ == "__main__":
    raise SystemExit(main())
