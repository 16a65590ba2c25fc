"""What the docs promise exists: referenced docs files, every message kind in the example
policy's documentation, and the options docs/cli.md shows."""

from __future__ import annotations

import re

from govbot.kinds import kind_names
from tests.unit.cli.runner import REPO_ROOT, run_cli

DOC_REFERENCE = re.compile(r"\bdocs/[\w./-]+\.(?:md|json|png)\b")


def test_every_referenced_docs_file_exists() -> None:
    sources = [
        *(REPO_ROOT / "lambdas" / "govbot").rglob("*.py"),
        *(REPO_ROOT / "govbot_cli").rglob("*.py"),
        *(REPO_ROOT / "govbot_sandbox").rglob("*.py"),
        *(REPO_ROOT / "tests").rglob("*.py"),
        *(REPO_ROOT / "docs").glob("*.md"),
        REPO_ROOT / "README.md",
    ]
    missing = {
        (ref, str(path.relative_to(REPO_ROOT)))
        for path in sources
        for ref in DOC_REFERENCE.findall(path.read_text(encoding="utf-8"))
        if not (REPO_ROOT / ref).exists()
    }
    assert not missing, missing


def test_example_policy_documents_every_message_kind() -> None:
    text = (REPO_ROOT / "policies" / "example.yaml").read_text(encoding="utf-8")
    block = text[text.index("# kinds: empty = every kind") : text.index("# min_severity:")]
    documented = set(re.findall(r"[a-z]+(?:_[a-z]+)+", block))
    assert documented == set(kind_names())


def test_ledger_profile_is_accepted_as_documented() -> None:
    assert "--profile" in run_cli("ledger", "since", "--help").out
