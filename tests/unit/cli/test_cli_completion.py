"""``govbot completion bash|zsh``: a script derived from the parser, run in a real bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.unit.cli.runner import run_cli

# Its tests share a module-scoped fixture: one worker sets it up once (see tests/conftest.py).
pytestmark = pytest.mark.xdist_group("cli-completion")


def _complete(script: Path, *words: str) -> list[str]:
    """What bash's completion offers for ``words`` (the last one is being typed)."""
    bash = shutil.which("bash")
    assert bash, "bash is needed to run the completion script"
    quoted = " ".join(f"'{w}'" for w in words)
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c",
         f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _govbot; "
         'printf "%s\\n" "${COMPREPLY[@]}"'],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_cli("completion", "bash")
    assert result.code == 0, result.err
    path = tmp_path_factory.mktemp("completion") / "govbot.bash"
    path.write_text(result.out)
    return path


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("govbot", "led"), ["ledger"]),
        (("govbot", ""), ["policy", "check", "ledger", "simulate", "report", "slack",
                          "completion", "--help", "--version"]),
        (("govbot", "ledger", "s"), ["since"]),
        (("govbot", "ledger", "since", "2h", "--n"), ["--now"]),
        (("govbot", "report", "--format", ""), ["csv", "html", "json", "md", "ocsf", "sarif"]),
        (("govbot", "report", "--sev"), ["--severity"]),
        (("govbot", "ledger", "exemptions", "re"), ["revoke"]),
        (("govbot", "check", "--image", "since", "--only"), ["--only-violations"]),
    ],
)  # fmt: skip
def test_bash_completes_commands_options_and_choices(
    script: Path, words: tuple[str, ...], expected: list[str]
) -> None:
    assert _complete(script, *words) == expected


def test_zsh_script_loads_the_same_function_through_bashcompinit() -> None:
    bash, zsh = run_cli("completion", "bash").out, run_cli("completion", "zsh").out
    assert "bashcompinit && bashcompinit" in zsh
    assert zsh.endswith(bash)


def test_unknown_shell_is_refused() -> None:
    result = run_cli("completion", "fish")
    assert result.code == 2
    assert "invalid choice: 'fish'" in result.err
