"""No module over 400 lines in the shipped and supporting code.

A module past that size holds more than one responsibility; split it along its seam
(docs/architecture.md names the parts). Tests are not counted: a test module grows with
the cases it proves.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHECKED = ("lambdas", "govbot_sandbox", "infra", "bench")
MAX_LINES = 400


def oversized(root: Path, folders: tuple[str, ...], limit: int) -> dict[str, int]:
    """Every ``*.py`` under ``root/<folder>`` longer than ``limit`` lines -> its line count."""
    found: dict[str, int] = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found[path.relative_to(root).as_posix()] = lines
    return found


def test_no_module_over_the_limit() -> None:
    assert len(list((REPO / "lambdas").rglob("*.py"))) > 100  # it read the source
    found = oversized(REPO, CHECKED, MAX_LINES)
    assert not found, f"modules over {MAX_LINES} lines (split them): " + ", ".join(
        f"{path} ({lines})" for path, lines in sorted(found.items())
    )


def test_the_check_counts_lines_of_every_module_below_a_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "short.py").write_text("x = 1\n" * 3)
    (tmp_path / "pkg" / "sub" / "long.py").write_text("x = 1\n" * 4)
    (tmp_path / "pkg" / "sub" / "notes.txt").write_text("x\n" * 9)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "long.py").write_text("x = 1\n" * 9)
    assert oversized(tmp_path, ("pkg",), 3) == {"pkg/sub/long.py": 4}
    assert oversized(tmp_path, ("pkg", "other"), 4) == {"other/long.py": 9}
