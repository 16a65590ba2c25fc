"""The ``govbot`` command line: operators' entry point to the same engine the Lambdas use.

Commands::

    govbot policy validate FILE...
    govbot policy explain FILE --image NAME [--tag k=v] [--share ACCOUNT:fleet,builder] ...
    govbot check --region R [--account A] (--image NAME | --all) --policy FILE [--endpoint-url URL]
    govbot ledger (image ARN | account ID | since DURATION | event ID | rejected | outbox STATUS)
    govbot slack check [--region R] [--policy FILE]
    govbot completion bash|zsh

Every command prints text, or JSON with ``--json``. Exit codes: 0 ok, 1 findings
(violations, an unknown event), 2 usage, input or read error (one message on stderr,
never a traceback).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import TextIO

from govbot import __version__
from govbot_cli.check_cmd import CheckFailed
from govbot_cli.common import EXIT_USAGE, CliParser, Output, UsageError
from govbot_cli.deps import CliDeps
from govbot_cli.ledger_cmd import LedgerReadFailed

__all__ = ["CliDeps", "build_parser", "main"]


def build_parser() -> CliParser:
    """The full ``govbot`` argument parser (subcommands carry their own ``handler``)."""
    from govbot_cli import (
        check_cmd,
        completion_cmd,
        ledger_cmd,
        policy_cmd,
        report_cmd,
        simulate_cmd,
        slack_cmd,
    )

    parser = CliParser(
        prog="govbot",
        description="govbot: governance for Amazon AppStream 2.0 images.",
    )
    parser.add_argument("--version", action="version", version=f"govbot {__version__}")
    json_flag = CliParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON for machines")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    policy_cmd.add_parser(commands, [json_flag])
    check_cmd.add_parser(commands, [json_flag])
    ledger_cmd.add_parser(commands, [json_flag])
    simulate_cmd.add_parser(commands, [json_flag])
    report_cmd.add_parser(commands, [json_flag])
    slack_cmd.add_parser(commands, [json_flag])
    completion_cmd.add_parser(commands, [], root=parser)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    deps: CliDeps | None = None,
) -> int:
    """Run ``govbot`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Examples
    --------
    >>> main(["policy", "validate", "policies/demo.yaml"])  # doctest: +SKIP
    OK policies/demo.yaml (5 rules, 1 exemptions, 1 golden)
    0
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        try:
            # argparse prints --help/--version to sys.stdout; send it to our stream.
            with contextlib.redirect_stdout(out):
                args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help and --version print, then exit
            return int(exc.code or 0)
        output = Output(out=out, err=err, as_json=bool(getattr(args, "json", False)))
        code: int = args.handler(args, output, deps or CliDeps())
        return code
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=err)
        return EXIT_USAGE
    except (CheckFailed, LedgerReadFailed) as exc:
        print(f"govbot: error: {exc}", file=err)
        return EXIT_USAGE
