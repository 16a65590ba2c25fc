"""``python -m govbot_cli``: the same as the ``govbot`` command."""

from govbot_cli import main

raise SystemExit(main())
