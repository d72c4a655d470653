"""``skillweave serve``: refuses to listen beyond loopback without a tokens file."""

from __future__ import annotations

import pytest

from agent.cli import main
from agent.cli._serve import is_loopback


def test_serve_refuses_a_public_address_without_tokens(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLWEAVE_TOKENS_FILE", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "without a tokens file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example.org", False),
    ],
)
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
