"""Bearer tokens for the front doors: one file, principals and roles, no token ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.access import Principal, load_tokens, tokens_from
from agent.errors import ConfigError

OPERATOR = "op-token-0123456789abcdef"
VIEWER = "viewer-token-0123456789ab"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tokens.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def book_file(tmp_path: Path) -> Path:
    return _file(
        tmp_path,
        f"- {{token: {OPERATOR}, principal: dana, role: operator, team: payments}}\n"
        f"- {{token: {VIEWER}, principal: sam, role: viewer, team: payments}}\n",
    )


def test_a_token_names_its_principal_and_role(book_file: Path) -> None:
    book = load_tokens(book_file)
    assert book.principal_for(OPERATOR) == Principal("dana", "operator", "payments")
    assert book.principal_for(VIEWER) == Principal("sam", "viewer", "payments")


@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789", OPERATOR[:-1]])
def test_an_unknown_or_missing_token_names_nobody(book_file: Path, token: str | None) -> None:
    assert load_tokens(book_file).principal_for(token) is None


def test_only_operators_may_act(book_file: Path) -> None:
    book = load_tokens(book_file)
    assert book.principal_for(OPERATOR).can_act  # type: ignore[union-attr]
    assert not book.principal_for(VIEWER).can_act  # type: ignore[union-attr]


def test_a_principal_sees_its_own_and_its_teams_runs_only() -> None:
    dana = Principal("dana", "operator", "payments")
    assert dana.may_see("dana")
    assert dana.may_see("sam", "payments")
    assert not dana.may_see("eve", "search")
    assert not Principal("eve", "operator").may_see("dana", "payments")


def test_no_token_appears_in_a_repr_or_an_error(book_file: Path, tmp_path: Path) -> None:
    assert OPERATOR not in repr(load_tokens(book_file))
    short = _file(tmp_path, "- {token: short, principal: x, role: operator}\n")
    with pytest.raises(ConfigError) as caught:
        load_tokens(short)
    assert "short" not in str(caught.value).replace("should", "")
    assert "entry 0: token" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["", "not: a list", f"- {{token: {OPERATOR}, principal: a, role: admin}}\n"],
)
def test_a_malformed_tokens_file_is_a_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="tokens file"):
        load_tokens(_file(tmp_path, text))


def test_the_same_token_twice_is_refused(tmp_path: Path) -> None:
    line = f"- {{token: {OPERATOR}, principal: a, role: operator}}\n"
    with pytest.raises(ConfigError, match="twice"):
        load_tokens(_file(tmp_path, line * 2))


def test_the_file_comes_from_the_option_or_the_environment(
    book_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SKILLWEAVE_TOKENS_FILE", raising=False)
    assert tokens_from(None) is None
    monkeypatch.setenv("SKILLWEAVE_TOKENS_FILE", str(book_file))
    book = tokens_from(None)
    assert book is not None
    assert len(book) == 2
