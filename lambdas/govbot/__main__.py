"""``python -m govbot``: the same as the ``govbot`` command."""

from govbot.cli import main

raise SystemExit(main())
