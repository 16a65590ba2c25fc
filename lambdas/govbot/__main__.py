"""``python -m govbot``: the same as the ``govbot`` command.

The CLI is the ``govbot_cli`` package, beside govbot: this is the one govbot module that
imports it, and only when run as a script (no handler imports it, so no asset carries it).
"""

from govbot_cli import main

raise SystemExit(main())
