"""World-file errors as precise as policy errors: file, field path, line, did-you-mean; every
problem at once, one line each (the policy's own error code, reused)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.cli.runner import DEMO_POLICY, REPO_ROOT, run_cli

EVENTS = str(REPO_ROOT / "docs" / "examples" / "simulate" / "events.jsonl")
WORLD = """\
accounts: ["123456789012"]
images:
  - name: app-base
    permisions:
      - account: "999999999999"
  - name: other
    permissions:
      - account: "12"
        fleet: maybe
"""


def test_every_world_problem_with_path_line_and_did_you_mean(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD)
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", str(world), EVENTS)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 3, result.err
    assert lines[0].endswith(
        f"{world}: images[0].permisions: unknown key (did you mean 'permissions'?) (line 5)"
    )
    assert lines[1].endswith(
        f"{world}: images[1].permissions[0].account: expected a 12-digit AWS account id, "
        "got '12' (line 8)"
    )
    assert lines[2].endswith(
        f"{world}: images[1].permissions[0].fleet: expected true or false, got 'maybe' (line 9)"
    )


def test_cross_field_world_problems_get_their_own_line_and_line_number(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text("regions:\n  - us-east-1\n  - mars-north-9\naccounts: [abc]\n")
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", str(world), EVENTS)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert any(line.endswith("(line 4)") and "accounts[0]: 'abc'" in line for line in lines)
    assert any("regions[1]" in line and line.endswith("(line 3)") for line in lines), lines


def test_world_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text("accounts: [123456789012\nimages: []\n")
    result = run_cli("simulate", "--policy", DEMO_POLICY, "--world", str(world), EVENTS)
    assert result.code == 2
    assert f"{world}: line " in result.err
    assert "invalid YAML" in result.err
