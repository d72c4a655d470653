"""``skillweave mcp`` on the command line: checked options, and the SDK loaded only when serving."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent.cli import main


@pytest.mark.parametrize("listen", ["8765", "localhost:", "127.0.0.1:99999", ":8765"])
def test_a_malformed_listen_address_is_a_usage_error(
    listen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "--http", listen]) == 2
    assert "use HOST:PORT" in capsys.readouterr().err


def test_a_bad_tokens_file_is_a_usage_error_naming_the_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mcp", "--http", "127.0.0.1:8765", "--tokens", "/no/such/tokens.yaml"]) == 2
    assert "/no/such/tokens.yaml" in capsys.readouterr().err


def test_other_commands_do_not_import_the_mcp_sdk() -> None:
    code = "import sys, agent.cli; sys.exit(1 if 'mcp' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
