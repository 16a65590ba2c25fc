"""Count the checks the test suite makes, so a speed change can show it kept every one.

``python -m bench.count_assertions [tests_dir]`` prints, from the source (via :mod:`ast`):
``assert`` statements, ``pytest.raises`` / ``pytest.warns`` / ``pytest.fail`` uses, and calls
to assertion helpers (``assert_*`` / ``has_resource*`` / ``resource_count_is`` etc.). Collected
test ids come from ``pytest --collect-only`` (``--collect`` flag), which is slower.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}
HELPER_PREFIXES = ("assert_", "has_resource", "has_output", "resource_count_is", "all_resources")


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def count_file(path: Path) -> Counter[str]:
    """The checks one Python file makes, by kind."""
    counts: Counter[str] = Counter()
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            counts["assert"] += 1
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            if name is None:
                continue
            if (
                name in PYTEST_CHECKS
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "pytest"
            ):
                counts[f"pytest.{name}"] += 1
            elif name.startswith(HELPER_PREFIXES):
                counts["helper"] += 1
    return counts


def count_tree(root: Path) -> dict[str, int]:
    """Totals over every ``.py`` file under ``root``."""
    total: Counter[str] = Counter()
    for path in sorted(root.rglob("*.py")):
        total.update(count_file(path))
    result = dict(sorted(total.items()))
    result["total"] = sum(total.values())
    return result


def collected_tests(root: Path) -> int:
    """How many test ids pytest collects under ``root`` (every marker included)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "", str(root)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sum(1 for line in out.splitlines() if "::" in line)


def main(argv: list[str]) -> None:
    """Print the counts as JSON."""
    args = [a for a in argv if not a.startswith("--")]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "tests"
    report: dict[str, object] = {"checks": count_tree(root)}
    if "--collect" in argv:
        report["collected_tests"] = collected_tests(root)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
