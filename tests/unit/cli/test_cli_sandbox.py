"""``govbot-sandbox`` argument checks (no server is started: sockets are blocked here)."""

from __future__ import annotations

import io

import pytest

from govbot_sandbox.cli import UsageError, loopback_host, main

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (the value under test: it must be refused)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost"])
def test_loopback_hosts_are_accepted(host: str) -> None:
    assert loopback_host(host) == host


@pytest.mark.parametrize("host", [ALL_INTERFACES, "10.0.0.1", "::", "example.com", "192.168.1.2"])
def test_other_hosts_are_refused(host: str) -> None:
    with pytest.raises(UsageError, match="loopback only"):
        loopback_host(host)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def never(_server: object) -> None:
        raise AssertionError("no server may start in these tests")

    code = main(list(argv), stdout=out, stderr=err, wait=never)
    return code, out.getvalue(), err.getvalue()


def test_public_host_is_refused_before_listening() -> None:
    code, out, err = _run("serve-emulator", "--host", ALL_INTERFACES)
    assert code == 2
    assert out == ""
    assert err.strip() == (
        "govbot-sandbox serve-emulator: error: --host: refusing '0.0.0.0'; the emulator serves "
        "loopback only (127.0.0.0/8, ::1 or localhost)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve-emulator", "--port", "70000"], "expected a port in 0-65535"),
        (["serve-emulator", "--port", "http"], "expected a port number, got 'http'"),
        ([], "the following arguments are required: COMMAND"),
        (["serv"], "invalid choice: 'serv'"),
        (["serve-emulator", "--account", "12345"], "--account: expected 12 digits, got '12345'"),
        (["serve", "--host", ALL_INTERFACES], "govbot-sandbox serve: error: --host: refusing"),
        (["serve", "--speed", "0"], "govbot-sandbox serve: error: --speed must be > 0, got 0.0"),
        (["serve", "--accounts", "AKIAEXAMPLE000000001"], "expected KEY=ARN"),
        (
            ["serve", "--accounts", "AKIAEXAMPLE000000001=arn:aws:iam::12345:user/x"],
            "ARN must be arn:aws:iam::<12 digits>:user/NAME",
        ),
    ],
)
def test_bad_arguments(argv: list[str], message: str) -> None:
    code, _, err = _run(*argv)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
