"""``python -m govbot.cli``: the same as the ``govbot`` command."""

from govbot.cli import main

raise SystemExit(main())
